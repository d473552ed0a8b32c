/**
 * `HyperliquidMarket` (the seed's `Market`): order entry and the account, joining an
 * `OrderBookTracker` (books), a `UserStreamTracker` (orders and fills of the account),
 * `Auth` (signatures), the exchange client (`/exchange`, `/info`) and the `InFlightOrder`s.
 *
 * - `buy`/`sell` return the client order id at once: the order is tracked before its
 *   request leaves, so a fill that the stream reports before `/exchange` answers finds it.
 * - Every input (the action's answer, `orderUpdates`, fills, `orderStatus`) goes through the
 *   order's state machine; whichever comes first wins, a state never goes back.
 * - No answer (timeout, connection refused) is not a guess: the order's fate is asked with
 *   `orderStatus` by its cloid, a few times, before it is called unknown (failed).
 * - After a reconnect the account's `openOrders` come back; every unfinished order missing
 *   from them is looked up with `orderStatus`, and the fills missed meanwhile come in the
 *   `userFills` snapshot (each counted once: fills are deduplicated by `tid`).
 */
import { randomBytes } from 'node:crypto';
import {
  ClientBuilder,
  Emitter,
  KeepAlive,
  Post,
  Subscriptions,
  silentLogger,
  systemClock,
  type Client,
  type ClientLogger,
  type Clock,
} from '../client/index.js';
import { Auth } from './auth.js';
import { asError, OrderRefusedError } from './errors.js';
import { ExchangeClient, toOrderAnswer, type Fetch } from './exchange-client.js';
import { statusMeaning } from './order-status.js';
import { InFlightOrder, type OrderEffect, type OrderEvent, type OrderFill, type OrderType, type TradeSide } from './in-flight-order.js';
import { NonceManager } from './nonce.js';
import type { PairBook } from './order-book.js';
import { OrderBookTracker } from './order-book-tracker.js';
import { L2OrderBookDataSource, L4OrderBookDataSource } from './order-book-tracker-data-source.js';
import { ruleOf, tradingRules, type TradingRule } from './trading-rules.js';
import { UserStreamTracker } from './user-stream-tracker.js';
import { UserStreamTrackerDataSource } from './user-stream-tracker-data-source.js';
import type { BasicOrder, WsFill, WsOrder } from './user-stream-message.js';
import { formatPrice, formatSize, roundPrice } from './wire.js';
import { formatAmount, toAmount } from './amount.js';
import { sleep } from '../util/abort.js';

export interface MarketOptions {
  /** Our server (or the public API): `/exchange`, `/info`, and WS on `/ws`. Default `http://127.0.0.1:8000`. */
  url?: string;
  /** The WebSocket URL. Default: `url` with `ws(s)://` and `/ws`. */
  wsUrl?: string;
  /** The signing key: the account's, or an API wallet's (then give `accountAddress`). */
  privateKey: string;
  /** Pairs to keep books for (`BTC`, `PURR/USDC`, `@107`). */
  pairs: string[];
  /** Sign for mainnet (source "a") or testnet ("b"). Default false. */
  isMainnet?: boolean;
  /** With an API wallet: the account it trades for. */
  accountAddress?: string;
  /** Trade for a vault or sub-account. */
  vaultAddress?: string;
  /** `l4` (our server: every order, queue positions) or `l2` (the public API). Default `l4`. */
  depth?: 'l4' | 'l2';
  /** Time and timers. Default: the system clock. */
  clock?: Clock;
  logger?: ClientLogger;
  /** HTTP for `/exchange` and `/info` (tests inject faults). Default: the global fetch. */
  fetch?: Fetch;
  /** `/exchange` waits at most this long for an answer, ms; then the order's fate is asked. Default 10,000. */
  exchangeTimeoutMs?: number;
  /** `/info` waits at most this long, ms. Default 10,000. */
  infoTimeoutMs?: number;
  /** `orderStatus` lookups before an order without an answer is called unknown. Default 5. */
  statusLookups?: number;
  /** Between those lookups, ms. Default 500. */
  statusLookupIntervalMs?: number;
  /** A cancel the exchange refused while the order still rests is sent again this many times. Default 3. */
  cancelRetries?: number;
  /** Books re-checked against a fetched snapshot every this many ms (0: never). Default 0. */
  recheckMs?: number;
  /** Slippage bound of a `market` order without a price: the IOC's limit is this far past the best price. Default "0.05" (5 %). */
  marketSlippage?: string;
  /** The client SDK instance (tests); default one is built with Subscriptions, Post and KeepAlive. */
  client?: Client;
}

export interface OrderOptions {
  /** Default `limit`. */
  type?: OrderType;
  /** Required for `limit` and `limitMaker`; for `market`, the IOC's limit (default: the best price ± `marketSlippage`). */
  price?: string;
  reduceOnly?: boolean;
}

export interface Position {
  pair: string;
  /** Signed: long positive. */
  size: string;
  entryPrice: string | null;
  unrealizedPnl: string;
  positionValue: string;
  marginUsed: string;
  liquidationPrice: string | null;
}

export interface Balance {
  /** `USDC (perp)` for the perp account's margin, else the spot token. */
  asset: string;
  total: string;
  available: string;
}

export type MarketEvents = {
  orderCreated: [order: InFlightOrder];
  orderFilled: [order: InFlightOrder, fill: OrderFill];
  orderCompleted: [order: InFlightOrder];
  orderCanceled: [order: InFlightOrder];
  orderFailed: [order: InFlightOrder, reason: string];
  /** Every state change. */
  orderState: [order: InFlightOrder, from: string, to: string];
  /** After a reconnect, once open orders and statuses were reconciled. */
  reconciled: [resolved: number];
  error: [error: Error];
};

/** `http://h:p` → `ws://h:p/ws`. */
export function wsUrlOf(url: string): string {
  const u = new URL(url);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = '/ws';
  return u.toString();
}

function newCloid(): string {
  return '0x' + randomBytes(16).toString('hex');
}

const TIF: Record<OrderType, 'Gtc' | 'Alo' | 'Ioc'> = { limit: 'Gtc', limitMaker: 'Alo', market: 'Ioc' };

export class HyperliquidMarket {
  readonly events: Emitter<MarketEvents>;
  /** Every order placed in this session, by client order id (finished ones stay until `forget`). */
  readonly inFlightOrders = new Map<string, InFlightOrder>();
  readonly auth: Auth;
  readonly exchange: ExchangeClient;
  readonly orderBookTracker: OrderBookTracker;
  readonly userStreamTracker: UserStreamTracker;
  readonly client: Client;
  private readonly byOid = new Map<number, InFlightOrder>();
  /** Fills whose order was not known yet (oid → fills), applied when it is. */
  private readonly orphanFills = new Map<number, WsFill[]>();
  /** Orders whose `/exchange` request has no answer yet. */
  private readonly placing = new Set<string>();
  private readonly lookingUp = new Set<string>();
  /** Rejection statuses seen on the stream while the order's answer was awaited. */
  private readonly heldRejections = new Map<string, WsOrder>();
  private readonly clock: Clock;
  private readonly logger: ClientLogger;
  private readonly statusLookups: number;
  private readonly statusLookupIntervalMs: number;
  private readonly cancelRetries: number;
  private readonly cancelsLeft = new Map<string, number>();
  private readonly marketSlippage: bigint;
  private closed = false;

  private constructor(
    private readonly options: MarketOptions,
    readonly rules: Map<string, TradingRule>,
    parts: { client: Client; exchange: ExchangeClient; auth: Auth; books: OrderBookTracker; users: UserStreamTracker },
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.statusLookups = options.statusLookups ?? 5;
    this.statusLookupIntervalMs = options.statusLookupIntervalMs ?? 500;
    this.cancelRetries = options.cancelRetries ?? 3;
    this.marketSlippage = toAmount(options.marketSlippage ?? '0.05', 'marketSlippage');
    this.client = parts.client;
    this.exchange = parts.exchange;
    this.auth = parts.auth;
    this.orderBookTracker = parts.books;
    this.userStreamTracker = parts.users;
    this.events = new Emitter((error, event) => this.logger.error({ err: asError(error), event }, 'market listener threw'));
    const users = this.userStreamTracker.events;
    users.on('orderUpdate', (u) => this.onOrderUpdate(u));
    users.on('fill', (f) => this.onFill(f));
    users.on('openOrders', (orders, reconnect) => {
      if (reconnect) void this.reconcile(orders);
    });
  }

  /** Connects, loads the trading rules, starts the books and the account's streams. */
  static async create(options: MarketOptions): Promise<HyperliquidMarket> {
    const url = (options.url ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    const client =
      options.client ??
      new ClientBuilder(options.wsUrl ?? wsUrlOf(url))
        .withModule(Subscriptions)
        .withModule(Post)
        .withLightweightModule(KeepAlive)
        .withReconnectPolicy({ baseMs: 250, maxMs: 5_000 })
        .withClock(clock)
        .withLogger(logger)
        .build();
    const exchange = new ExchangeClient({
      baseUrl: url,
      clock,
      fetch: options.fetch,
      timeoutMs: options.exchangeTimeoutMs,
      infoTimeoutMs: options.infoTimeoutMs,
    });
    const auth = new Auth({
      privateKey: options.privateKey,
      isMainnet: options.isMainnet ?? false,
      accountAddress: options.accountAddress,
      vaultAddress: options.vaultAddress,
      nonces: new NonceManager(clock),
    });
    // The account is looked at first, as a client does (the paper exchange opens an account
    // for a new signer on that first look; the real one answers an empty state).
    const [meta, spotMeta] = await Promise.all([
      exchange.info({ type: 'meta' }),
      exchange.info({ type: 'spotMeta' }).catch(() => null),
      exchange.info({ type: 'clearinghouseState', user: auth.account }),
    ]);
    const rules = tradingRules(meta, spotMeta);
    for (const pair of options.pairs) ruleOf(rules, pair);
    if (client.state !== 'open') await client.connect();
    const source = (options.depth ?? 'l4') === 'l4' ? new L4OrderBookDataSource(client, { trades: true }) : new L2OrderBookDataSource(client, { trades: true });
    const books = new OrderBookTracker(source, { clock, logger, recheckMs: options.recheckMs });
    const users = new UserStreamTracker(new UserStreamTrackerDataSource(client, auth.account), { logger });
    const market = new HyperliquidMarket(options, rules, { client, exchange, auth, books, users });
    try {
      const t = clock.now();
      await Promise.all(options.pairs.map((p) => books.track(p)));
      logger.debug({ ms: clock.now() - t }, 'books synced');
      await users.start();
      logger.debug({ ms: clock.now() - t }, 'user streams subscribed');
    } catch (error) {
      await market.close();
      throw error;
    }
    return market;
  }

  /** The account traded (the vault, the master of an API wallet, or the key's address). */
  get account(): string {
    return this.auth.account;
  }

  /** The pair's book (the tracker's): `bbo()`, `l2()`, and at L4 `l4()`, `ordersOf()`, `queuePosition()`. */
  getOrderBook(pair: string): PairBook {
    const book = this.orderBookTracker.book(pair);
    if (!book) throw new OrderRefusedError(`no book for ${JSON.stringify(pair)}: pairs tracked are ${this.orderBookTracker.pairs().join(', ')}`);
    return book;
  }

  tradingRule(pair: string): TradingRule {
    return ruleOf(this.rules, pair);
  }

  buy(pair: string, amount: string, options: OrderOptions = {}): string {
    return this.place(pair, 'buy', amount, options);
  }

  sell(pair: string, amount: string, options: OrderOptions = {}): string {
    return this.place(pair, 'sell', amount, options);
  }

  /** Whether the order's `/exchange` request is still waiting for its answer (a rejection seen on the stream waits for it). */
  isAwaitingAnswer(clientOrderId: string): boolean {
    return this.placing.has(clientOrderId);
  }

  /** Orders not finished yet. */
  openOrders(): InFlightOrder[] {
    return [...this.inFlightOrders.values()].filter((o) => !o.isDone);
  }

  /**
   * Asks the exchange to cancel; resolves once the request is answered (the order's end
   * comes as `orderCanceled`, or `orderCompleted` when it filled meanwhile).
   */
  async cancel(pair: string, clientOrderId: string): Promise<void> {
    const order = this.inFlightOrders.get(clientOrderId);
    if (!order || order.pair !== pair) throw new OrderRefusedError(`no order ${clientOrderId} on ${pair} in this market`);
    if (order.isDone) return;
    this.applyTo(order, { kind: 'cancelRequested' });
    await this.sendCancels([order]);
  }

  /** Cancels every unfinished order (one action per pair's batch); resolves when answered. */
  async cancelAll(): Promise<void> {
    const open = this.openOrders();
    for (const o of open) this.applyTo(o, { kind: 'cancelRequested' });
    if (open.length > 0) await this.sendCancels(open);
  }

  /** Waits until no order is unfinished (after `cancelAll`, for instance), or the signal aborts. */
  async settled(signal?: AbortSignal): Promise<void> {
    while (this.openOrders().length > 0) {
      if (signal?.aborted) throw signal.reason;
      await new Promise<void>((resolve) => {
        const offs = [this.events.on('orderState', () => done()), this.events.on('orderFailed', () => done())];
        const done = (): void => {
          for (const off of offs) off();
          signal?.removeEventListener('abort', done);
          resolve();
        };
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Drops finished orders from `inFlightOrders`. */
  forget(): number {
    let n = 0;
    for (const [id, o] of this.inFlightOrders) {
      if (!o.isDone) continue;
      this.inFlightOrders.delete(id);
      if (o.exchangeOrderId !== undefined) this.byOid.delete(o.exchangeOrderId);
      n++;
    }
    return n;
  }

  /** Positions from `clearinghouseState`. */
  async positions(): Promise<Position[]> {
    const state = await this.exchange.info<{ assetPositions?: { position: Record<string, unknown> }[] }>({ type: 'clearinghouseState', user: this.account });
    return (state.assetPositions ?? []).map(({ position: p }) => ({
      pair: String(p.coin),
      size: String(p.szi),
      entryPrice: p.entryPx == null ? null : String(p.entryPx),
      unrealizedPnl: String(p.unrealizedPnl ?? '0.0'),
      positionValue: String(p.positionValue ?? '0.0'),
      marginUsed: String(p.marginUsed ?? '0.0'),
      liquidationPrice: p.liquidationPx == null ? null : String(p.liquidationPx),
    }));
  }

  /** The perp account's USDC (`clearinghouseState`) and the spot tokens (`spotClearinghouseState`). */
  async balances(): Promise<Balance[]> {
    const [perp, spot] = await Promise.all([
      this.exchange.info<{ marginSummary?: { accountValue?: string }; withdrawable?: string }>({ type: 'clearinghouseState', user: this.account }),
      this.exchange
        .info<{ balances?: { coin: string; total: string; hold: string }[] }>({ type: 'spotClearinghouseState', user: this.account })
        .catch(() => ({ balances: [] })),
    ]);
    const out: Balance[] = [{ asset: 'USDC (perp)', total: perp.marginSummary?.accountValue ?? '0.0', available: perp.withdrawable ?? '0.0' }];
    for (const b of spot.balances ?? []) {
      out.push({ asset: b.coin, total: b.total, available: formatAmount(toAmount(b.total, 'total') - toAmount(b.hold, 'hold')) });
    }
    return out;
  }

  /** Stops the books and streams and closes the connection. Unfinished orders stay on the exchange: `cancelAll()` first to remove them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.userStreamTracker.stop().catch(() => {});
    await this.orderBookTracker.close().catch(() => {});
    if (!this.options.client) await this.client.close();
  }

  // ── order entry ────────────────────────────────────────────────────────────

  private place(pair: string, side: TradeSide, amount: string, options: OrderOptions): string {
    if (this.closed) throw new OrderRefusedError(`the market is closed: cannot ${side} ${pair}`);
    const rule = ruleOf(this.rules, pair);
    const type = options.type ?? 'limit';
    if (!(type in TIF)) throw new OrderRefusedError(`order type ${JSON.stringify(type)} is not one of limit, limitMaker, market`);
    const sz = formatSize(amount, rule);
    let px: string;
    if (options.price !== undefined) px = formatPrice(options.price, rule);
    else if (type === 'market') px = this.marketLimit(pair, side, rule);
    else throw new OrderRefusedError(`a ${type} order needs a price (${side} ${amount} ${pair})`);
    const cloid = newCloid();
    const order = new InFlightOrder({ clientOrderId: cloid, pair, side, type, price: px, amount: sz, time: this.clock.now() });
    this.inFlightOrders.set(cloid, order);
    this.placing.add(cloid);
    const wire = { a: rule.asset, b: side === 'buy', p: px, s: sz, r: options.reduceOnly === true, t: { limit: { tif: TIF[type] } }, c: cloid };
    const body = this.auth.sign({ type: 'order', orders: [wire], grouping: 'na' });
    this.exchange.action(body).then(
      (answer) => {
        this.placing.delete(cloid);
        const held = this.heldRejections.get(cloid);
        this.heldRejections.delete(cloid);
        if (!answer.ok) this.applyTo(order, { kind: 'orderAnswer', answer: { error: answer.error } });
        else this.applyTo(order, { kind: 'orderAnswer', answer: toOrderAnswer(answer.statuses[0]) });
        // The error answer names no oid; the held status does (and changes nothing else now).
        if (held) this.applyTo(order, { kind: 'status', status: held.status, oid: held.order.oid });
      },
      (error: unknown) => {
        this.placing.delete(cloid);
        const held = this.heldRejections.get(cloid);
        this.heldRejections.delete(cloid);
        if (held) {
          this.applyTo(order, { kind: 'status', status: held.status, oid: held.order.oid });
          return;
        }
        this.logger.warn({ err: asError(error), cloid }, 'order without an answer; asking orderStatus');
        void this.lookUp(order, `no answer to the order: ${asError(error).message}`);
      },
    );
    return cloid;
  }

  /** The IOC limit of a market order: the best opposite price ± slippage, on the tick. */
  private marketLimit(pair: string, side: TradeSide, rule: TradingRule): string {
    const [bid, ask] = this.getOrderBook(pair).bbo();
    const best = side === 'buy' ? ask : bid;
    if (!best) throw new OrderRefusedError(`market ${side} on ${pair}: the book has no ${side === 'buy' ? 'ask' : 'bid'}`);
    const u = toAmount(best.px, 'price');
    const one = 100_000_000n;
    const limit = side === 'buy' ? (u * (one + this.marketSlippage)) / one : (u * (one - this.marketSlippage)) / one;
    return roundPrice(formatAmount(limit), rule, side === 'buy' ? 'up' : 'down');
  }

  private async sendCancels(orders: InFlightOrder[]): Promise<void> {
    const byCloid = orders.map((o) => ({ asset: ruleOf(this.rules, o.pair).asset, cloid: o.clientOrderId }));
    let answer;
    try {
      answer = await this.exchange.action(this.auth.sign({ type: 'cancelByCloid', cancels: byCloid }));
    } catch (error) {
      // No answer: whether the cancels landed is asked, not guessed.
      for (const o of orders) void this.lookUp(o, `no answer to the cancel: ${asError(error).message}`);
      return;
    }
    orders.forEach((o, i) => {
      const status: unknown = answer.ok ? answer.statuses[i] : { error: answer.error };
      if (status === 'success') {
        this.applyTo(o, { kind: 'cancelAnswer', ok: true });
        return;
      }
      const error = typeof status === 'object' && status !== null && 'error' in status ? String((status as { error: unknown }).error) : JSON.stringify(status);
      this.applyTo(o, { kind: 'cancelAnswer', ok: false, error });
      // Refused: already filled or canceled, or never placed. The exchange says which.
      void this.lookUp(o, `cancel refused: ${error}`);
    });
  }

  // ── the order's fate from orderStatus ─────────────────────────────────────

  /** Asks `orderStatus` until the exchange knows the order (or `statusLookups` times), then applies it. */
  private async lookUp(order: InFlightOrder, why: string): Promise<void> {
    const key = order.clientOrderId;
    if (this.lookingUp.has(key) || this.closed) return;
    this.lookingUp.add(key);
    try {
      for (let i = 0; i < this.statusLookups && !order.isDone && !this.closed; i++) {
        if (i > 0) await this.sleep(this.statusLookupIntervalMs);
        let answer: { status?: string; order?: { order?: BasicOrder; status?: string } };
        try {
          answer = await this.exchange.info({ type: 'orderStatus', user: this.account, oid: order.exchangeOrderId ?? order.clientOrderId });
        } catch (error) {
          this.logger.warn({ err: asError(error), cloid: key }, 'orderStatus failed');
          continue;
        }
        if (answer.status === 'order' && answer.order?.status) {
          const oid = answer.order.order?.oid;
          const status = answer.order.status;
          this.applyTo(order, { kind: 'status', status, oid });
          if (order.state === 'pendingCancel' && (status === 'open' || status === 'resting' || status === 'triggered')) {
            // The cancel was refused while the order rests: send it again (bounded).
            const left = this.cancelsLeft.get(key) ?? this.cancelRetries;
            if (left > 0) {
              this.cancelsLeft.set(key, left - 1);
              this.lookingUp.delete(key);
              await this.sendCancels([order]);
            }
          }
          return;
        }
      }
      if (!order.isDone && !this.placing.has(key) && order.exchangeOrderId === undefined && order.state === 'pendingCreate') {
        this.applyTo(order, { kind: 'unknown', reason: `${why}; orderStatus does not know it after ${this.statusLookups} lookups` });
      }
    } finally {
      this.lookingUp.delete(key);
    }
  }

  private sleep(ms: number): Promise<void> {
    return sleep(ms, undefined, this.clock);
  }

  // ── the user stream ───────────────────────────────────────────────────────

  private find(oid: number | undefined, cloid: string | null | undefined): InFlightOrder | undefined {
    return (oid !== undefined ? this.byOid.get(oid) : undefined) ?? (cloid ? this.inFlightOrders.get(cloid.toLowerCase()) : undefined);
  }

  private onOrderUpdate(u: WsOrder): void {
    const order = this.find(u.order.oid, u.order.cloid);
    if (!order) return;
    if (statusMeaning(u.status) === 'failed' && this.placing.has(order.clientOrderId)) {
      // The answer to the order carries the exchange's words for the same rejection
      // ("Post only order would have immediately matched…"): wait for it, unless it never comes.
      this.heldRejections.set(order.clientOrderId, u);
      this.applyTo(order, { kind: 'oid', oid: u.order.oid });
      return;
    }
    this.applyTo(order, { kind: 'status', status: u.status, oid: u.order.oid });
  }

  private onFill(f: WsFill): void {
    const order = this.find(f.oid, f.cloid);
    if (!order) {
      // A fill can precede the answer that tells the oid only if it carries no cloid: keep it.
      if (!f.cloid) {
        const list = this.orphanFills.get(f.oid) ?? [];
        list.push(f);
        this.orphanFills.set(f.oid, list);
        if (this.orphanFills.size > 10_000) this.orphanFills.delete(this.orphanFills.keys().next().value!);
      }
      return;
    }
    this.applyTo(order, { kind: 'fill', fill: toOrderFill(f) });
  }

  private async reconcile(resting: BasicOrder[]): Promise<void> {
    const byOid = new Map(resting.map((o) => [o.oid, o]));
    const byCloid = new Map(resting.filter((o) => o.cloid).map((o) => [o.cloid!.toLowerCase(), o]));
    const lookups: Promise<void>[] = [];
    for (const order of this.openOrders()) {
      const r = (order.exchangeOrderId !== undefined ? byOid.get(order.exchangeOrderId) : undefined) ?? byCloid.get(order.clientOrderId);
      if (r) this.applyTo(order, { kind: 'status', status: 'open', oid: r.oid });
      else if (!this.placing.has(order.clientOrderId)) lookups.push(this.lookUp(order, 'not among openOrders after a reconnect'));
    }
    await Promise.all(lookups);
    this.events.emit('reconciled', lookups.length);
  }

  // ── effects → events ──────────────────────────────────────────────────────

  private applyTo(order: InFlightOrder, event: OrderEvent): void {
    const effects = order.apply(event, this.clock.now());
    for (const e of effects) this.emitEffect(order, e);
  }

  private emitEffect(order: InFlightOrder, e: OrderEffect): void {
    switch (e.type) {
      case 'created':
        this.events.emit('orderCreated', order);
        break;
      case 'oid': {
        const oid = order.exchangeOrderId!;
        this.byOid.set(oid, order);
        const early = this.orphanFills.get(oid);
        if (early) {
          this.orphanFills.delete(oid);
          for (const f of early) this.applyTo(order, { kind: 'fill', fill: toOrderFill(f) });
        }
        break;
      }
      case 'filled':
        this.events.emit('orderFilled', order, e.fill);
        break;
      case 'completed':
        this.events.emit('orderCompleted', order);
        break;
      case 'canceled':
        this.events.emit('orderCanceled', order);
        break;
      case 'failed':
        this.events.emit('orderFailed', order, e.reason);
        break;
      case 'state':
        this.events.emit('orderState', order, e.from, e.to);
        break;
      case 'unknownStatus':
        this.logger.warn({ status: e.status, cloid: order.clientOrderId }, 'order status of no known family; order unchanged');
        break;
    }
  }
}

function toOrderFill(f: WsFill): OrderFill {
  return { tid: f.tid, hash: f.hash, oid: f.oid, px: f.px, sz: f.sz, fee: f.fee, feeToken: f.feeToken, time: f.time, crossed: f.crossed };
}
