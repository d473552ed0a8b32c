/**
 * The load tool's `--subscribe` / `--coins` flags, parsed into the subscription objects each
 * client sends. A spec item is `type[:coin[:params…]]`:
 *
 * - `l2Book:BTC`, `l2Book:BTC:5` (nSigFigs 5), `l2Book:BTC:5:2` (nSigFigs 5, mantissa 2)
 * - `trades:ETH`, `bbo:SOL`, `l4Book:BTC`, `l4Book:BTC:bookOnly`
 * - `allMids`, `allMids:xyz` (a HIP-3 dex), `serverStatus`
 *
 * A coin of `*` stands for "this client's coin": with `--coins BTC,ETH,…` client i gets
 * coin i mod n, so `l2Book:*,bbo:*,trades:*` with ten coins gives every client the l2Book,
 * bbo and trades of one of ten coins, spread evenly. HIP-3 coins contain a colon
 * (`xyz:ABC`): only the trailing numeric (l2Book) or `bookOnly` (l4Book) parts are taken as
 * parameters, the rest is the coin.
 */
import { ErrorCodes, HlobError } from '../errors.js';

/** A subscription object exactly as sent in `{"method":"subscribe","subscription":…}`. */
export type Subscription = Readonly<Record<string, string | number | boolean>>;

/** One parsed spec item; `coin` is `'*'` when it is the client's round-robin coin. */
export interface SubscriptionTemplate {
  readonly type: string;
  readonly coin?: string;
  readonly params: Readonly<Record<string, number | boolean | string>>;
}

const COIN_TYPES = new Set(['l2Book', 'trades', 'bbo', 'l4Book']);
const KNOWN_TYPES = [...COIN_TYPES, 'allMids', 'serverStatus'];

function bad(message: string): HlobError {
  return new HlobError(ErrorCodes.CONFIG, message);
}

function isSmallInt(s: string): boolean {
  return /^\d{1,3}$/.test(s);
}

/** Parses one spec item such as `l2Book:BTC:5`. */
export function parseSubscriptionItem(item: string): SubscriptionTemplate {
  const parts = item.trim().split(':');
  const type = parts.shift() ?? '';
  if (!KNOWN_TYPES.includes(type)) {
    throw bad(`--subscribe: unknown subscription type ${JSON.stringify(type)} in ${JSON.stringify(item)}; known: ${KNOWN_TYPES.join(', ')}`);
  }
  const params: Record<string, number | boolean | string> = {};
  if (type === 'serverStatus') {
    if (parts.length > 0) throw bad(`--subscribe: serverStatus takes no coin or parameter: ${JSON.stringify(item)}`);
    return { type, params };
  }
  if (type === 'allMids') {
    if (parts.length > 0) params.dex = parts.join(':');
    return { type, params };
  }
  if (type === 'l2Book') {
    // Trailing numbers are nSigFigs then mantissa; a coin is never purely digits.
    const numeric: string[] = [];
    while (parts.length > 1 && numeric.length < 2 && isSmallInt(parts[parts.length - 1] ?? '')) {
      numeric.unshift(parts.pop() ?? '');
    }
    if (numeric[0] !== undefined) params.nSigFigs = Number(numeric[0]);
    if (numeric[1] !== undefined) params.mantissa = Number(numeric[1]);
  } else if (type === 'l4Book' && parts.length > 1 && parts[parts.length - 1] === 'bookOnly') {
    parts.pop();
    params.bookOnly = true;
  }
  const coin = parts.join(':');
  if (coin === '') throw bad(`--subscribe: ${type} needs a coin (${type}:BTC, or ${type}:* with --coins): ${JSON.stringify(item)}`);
  return { type, coin, params };
}

/** What every client subscribes to: `forClient(i)` gives client i's subscription objects. */
export class SubscriptionPlan {
  readonly templates: readonly SubscriptionTemplate[];
  readonly coins: readonly string[];

  /**
   * @param spec the `--subscribe` list, comma separated
   * @param coins the `--coins` list that `*` cycles through (required when a `*` is used)
   */
  constructor(spec: string, coins: readonly string[] = []) {
    const items = spec
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) throw bad('--subscribe: give at least one subscription, such as l2Book:BTC');
    this.templates = items.map(parseSubscriptionItem);
    this.coins = coins.map((c) => c.trim()).filter((c) => c !== '');
    const wild = this.templates.some((t) => t.coin === '*');
    if (wild && this.coins.length === 0) {
      throw bad("--subscribe uses * (each client's coin) but --coins is empty: give --coins BTC,ETH,…");
    }
    if (!wild && this.coins.length > 0) {
      throw bad('--coins is only used by * in --subscribe (such as l2Book:*): add a * or drop --coins');
    }
  }

  /** The subscriptions per client (the same count for every client). */
  get perClient(): number {
    return this.templates.length;
  }

  forClient(index: number): Subscription[] {
    const coin = this.coins.length > 0 ? this.coins[index % this.coins.length] : undefined;
    return this.templates.map((t) => {
      const s: Record<string, string | number | boolean> = { type: t.type };
      if (t.coin !== undefined) s.coin = t.coin === '*' ? (coin ?? '*') : t.coin;
      return Object.assign(s, t.params);
    });
  }
}
