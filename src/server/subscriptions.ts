/**
 * Subscription objects (untrusted) → typed subscriptions and the key of the view that
 * serves them. Two subscriptions with the same key are the same subscription (so
 * `{"coin":"BTC"}` and `{"coin":"BTC","nSigFigs":null}` count as a duplicate).
 */
import * as v from 'valibot';
import { DEFAULT_N_LEVELS, MAX_N_LEVELS } from '../book/l2.js';
import { CANDLE_INTERVALS, type CandleInterval } from './candles/intervals.js';
import { normalizeAddress } from './user/address.js';

/** Levels per side of an `l2Book` without `nLevels` (protocol.md). */
export const DEFAULT_L2_LEVELS = DEFAULT_N_LEVELS;
/** Levels per side of an `l2Book` with `fast: true` and no `nLevels`. */
export const FAST_L2_LEVELS = 5;
export const MAX_L2_LEVELS = MAX_N_LEVELS;

export type Subscription =
  | { type: 'l2Book'; coin: string; nSigFigs: number | null; mantissa: number | null; nLevels: number }
  | { type: 'trades'; coin: string }
  | { type: 'bbo'; coin: string }
  | { type: 'allMids'; dex: string | null }
  | { type: 'l4Book'; coin: string; bookOnly: boolean }
  | { type: 'serverStatus' }
  | { type: 'candle'; coin: string; interval: CandleInterval }
  | UserSubscription;

/** A user stream (`src/server/user/`); `user` lower case. `{"type":"user"}` is `userEvents`. */
export type UserSubscription =
  { type: 'orderUpdates'; user: string } | { type: 'userFills'; user: string; aggregateByTime: boolean } | { type: 'userEvents'; user: string };

export type SubscriptionType = Subscription['type'];

const Coin = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

const L2BookSchema = v.pipe(
  v.strictObject({
    type: v.literal('l2Book'),
    coin: Coin,
    nSigFigs: v.nullish(v.picklist([2, 3, 4, 5])),
    mantissa: v.nullish(v.picklist([1, 2, 5])),
    nLevels: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_L2_LEVELS))),
    fast: v.nullish(v.boolean()),
  }),
  // Hyperliquid: a mantissa only refines 5 significant figures.
  v.check((s) => s.mantissa == null || s.nSigFigs === 5),
);

const CoinOnly = <T extends 'trades' | 'bbo'>(type: T) => v.strictObject({ type: v.literal(type), coin: Coin });

const Address = v.pipe(
  v.string(),
  v.regex(/^0x[0-9a-fA-F]{40}$/),
  v.transform((a) => normalizeAddress(a)!),
);

const SubscriptionSchema = v.variant('type', [
  v.strictObject({ type: v.literal('orderUpdates'), user: Address }),
  v.strictObject({ type: v.literal('userFills'), user: Address, aggregateByTime: v.nullish(v.boolean()) }),
  // Hummingbot subscribes to `userEvents` as `{"type":"user"}`.
  v.strictObject({ type: v.picklist(['userEvents', 'user']), user: Address }),
  L2BookSchema,
  CoinOnly('trades'),
  CoinOnly('bbo'),
  v.strictObject({ type: v.literal('allMids'), dex: v.nullish(v.pipe(v.string(), v.maxLength(100))) }),
  v.strictObject({ type: v.literal('l4Book'), coin: Coin, bookOnly: v.nullish(v.boolean()) }),
  v.strictObject({ type: v.literal('serverStatus') }),
  v.strictObject({ type: v.literal('candle'), coin: Coin, interval: v.picklist(CANDLE_INTERVALS) }),
]);

/** The typed subscription, or null when the object is not a valid one (unknown type, bad parameters). */
export function parseSubscription(raw: unknown): Subscription | null {
  const r = v.safeParse(SubscriptionSchema, raw);
  if (!r.success) return null;
  const s = r.output;
  switch (s.type) {
    case 'l2Book':
      return {
        type: 'l2Book',
        coin: s.coin,
        nSigFigs: s.nSigFigs ?? null,
        mantissa: s.mantissa ?? null,
        nLevels: s.nLevels ?? (s.fast === true ? FAST_L2_LEVELS : DEFAULT_L2_LEVELS),
      };
    case 'trades':
    case 'bbo':
      return { type: s.type, coin: s.coin };
    case 'allMids':
      return { type: 'allMids', dex: s.dex ?? null };
    case 'l4Book':
      return { type: 'l4Book', coin: s.coin, bookOnly: s.bookOnly === true };
    case 'serverStatus':
      return { type: 'serverStatus' };
    case 'candle':
      return { type: 'candle', coin: s.coin, interval: s.interval };
    case 'orderUpdates':
      return { type: 'orderUpdates', user: s.user };
    case 'userFills':
      return { type: 'userFills', user: s.user, aggregateByTime: s.aggregateByTime === true };
    case 'userEvents':
    case 'user':
      return { type: 'userEvents', user: s.user };
  }
}

/** Whether a subscription is a user stream. */
export function isUserSubscription(s: Subscription): s is UserSubscription {
  return s.type === 'orderUpdates' || s.type === 'userFills' || s.type === 'userEvents';
}

/** The view serving this subscription: coin × kind × parameters. */
export function viewKey(s: Subscription): string {
  switch (s.type) {
    case 'l2Book':
      return `l2Book\u0000${s.coin}\u0000${s.nSigFigs ?? ''}\u0000${s.mantissa ?? ''}\u0000${s.nLevels}`;
    case 'trades':
    case 'bbo':
      return `${s.type}\u0000${s.coin}`;
    case 'allMids':
      return s.dex === null ? 'allMids' : `allMids\u0000${s.dex}`;
    case 'l4Book':
      return `l4Book\u0000${s.coin}\u0000${s.bookOnly ? 'bookOnly' : 'all'}`;
    case 'serverStatus':
      return 'serverStatus';
    case 'candle':
      return `candle\u0000${s.coin}\u0000${s.interval}`;
    case 'orderUpdates':
    case 'userEvents':
      return `${s.type}\u0000${s.user}`;
    case 'userFills':
      return `userFills\u0000${s.user}\u0000${s.aggregateByTime ? 'aggregated' : 'all'}`;
  }
}

/** The coin a subscription names, if any. */
export function subscriptionCoin(s: Subscription): string | null {
  return 'coin' in s ? s.coin : null;
}

/** HIP-3 coins are `dex:COIN`; their dex, or null for perps and spot. */
export function dexOf(coin: string): string | null {
  const i = coin.indexOf(':');
  return i < 0 ? null : coin.slice(0, i);
}
