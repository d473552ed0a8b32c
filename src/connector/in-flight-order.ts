/**
 * `InFlightOrder`: everything the connector knows about one order it placed, and the state
 * machine that the exchange's answers and the user stream drive, whichever comes first:
 *
 *     pendingCreate ──► open ──► partiallyFilled ──► filled
 *          │  │          │            │
 *          │  └──────────┴─► pendingCancel ─► canceled   (filled too, when fills win the race)
 *          └─► failed
 *
 * States are ranked and a state never goes back: a late `open` status after a fill, or an
 * `/exchange` answer after the stream already said `filled`, changes nothing. Fills are
 * facts, not states: each (deduplicated by `tid`) adds to the executed amount and fees even
 * when the order already ended (a partial fill reported after its cancel is still counted).
 * The order is `filled` when a status says so or when the fills reach its amount.
 *
 * `apply(event)` is pure bookkeeping (no I/O, the time is passed in) and returns what
 * happened, for the market to turn into events.
 */
import { averagePrice, formatAmount, notional, toAmount } from './amount.js';
import { statusMeaning, statusReason } from './order-status.js';

export type OrderState = 'pendingCreate' | 'open' | 'partiallyFilled' | 'pendingCancel' | 'filled' | 'canceled' | 'failed';
export type TradeSide = 'buy' | 'sell';
export type OrderType = 'limit' | 'limitMaker' | 'market';

const RANK: Record<OrderState, number> = { pendingCreate: 0, open: 1, partiallyFilled: 2, pendingCancel: 3, filled: 4, canceled: 4, failed: 4 };

export function isTerminal(state: OrderState): boolean {
  return RANK[state] === 4;
}

/** One fill of the order, as the user stream (or `userFills`) reports it. */
export interface OrderFill {
  tid: number;
  hash: string;
  oid: number;
  px: string;
  sz: string;
  /** Signed (a maker rebate is negative). */
  fee: string;
  feeToken: string;
  /** Block time, ms. */
  time: number;
  /** True when this fill took liquidity. */
  crossed: boolean;
}

/** The `/exchange` answer for one order of an `order` action. */
export type OrderAnswer = { resting: { oid: number } } | { filled: { totalSz: string; avgPx: string; oid: number } } | { error: string };

export type OrderEvent =
  | { kind: 'orderAnswer'; answer: OrderAnswer }
  | { kind: 'cancelRequested' }
  /** The cancel's answer: `success`, or the exchange's error text. */
  | { kind: 'cancelAnswer'; ok: true }
  | { kind: 'cancelAnswer'; ok: false; error: string }
  /** A status by name (`orderUpdates`, `orderStatus`), with the exchange oid when known. */
  | { kind: 'status'; status: string; oid?: number }
  | { kind: 'fill'; fill: OrderFill }
  /** `orderStatus` answered `unknownOid` after the place timed out: the exchange never took it. */
  | { kind: 'unknown'; reason: string }
  /** The exchange oid, named by a status whose meaning waits (a rejection awaiting the answer's words). */
  | { kind: 'oid'; oid: number };

export type OrderEffect =
  /** The exchange oid became known (index the order by it). */
  | { type: 'oid' }
  | { type: 'created' }
  | { type: 'filled'; fill: OrderFill }
  | { type: 'completed' }
  | { type: 'canceled' }
  | { type: 'failed'; reason: string }
  | { type: 'state'; from: OrderState; to: OrderState }
  /** A status name in no known family: logged by the market, the order unchanged. */
  | { type: 'unknownStatus'; status: string };

export interface InFlightOrderInit {
  clientOrderId: string;
  pair: string;
  side: TradeSide;
  type: OrderType;
  /** Wire price (limit price; for a market order the IOC's limit). */
  price: string;
  /** Wire size. */
  amount: string;
  /** Creation time, ms. */
  time: number;
}

export class InFlightOrder {
  /** The `cloid` sent with the order: `0x` + 32 hex digits. */
  readonly clientOrderId: string;
  readonly pair: string;
  readonly side: TradeSide;
  readonly type: OrderType;
  readonly price: string;
  readonly amount: string;
  readonly creationTimestamp: number;
  lastUpdateTimestamp: number;
  exchangeOrderId: number | undefined;
  state: OrderState = 'pendingCreate';
  /** Why it failed (the exchange's message), when `failed`. */
  failureReason: string | undefined;
  /** The last status name seen from the exchange. */
  lastStatus: string | undefined;
  readonly fills: OrderFill[] = [];

  private readonly amountUnits: bigint;
  private executed = 0n;
  private notional16 = 0n;
  private readonly feesByToken = new Map<string, bigint>();
  private readonly tids = new Set<number>();
  /** Filled by a status before its fills were all in: `completed` waits for them. */
  private completionPending = false;

  constructor(init: InFlightOrderInit) {
    this.clientOrderId = init.clientOrderId;
    this.pair = init.pair;
    this.side = init.side;
    this.type = init.type;
    this.price = init.price;
    this.amount = init.amount;
    this.creationTimestamp = init.time;
    this.lastUpdateTimestamp = init.time;
    this.amountUnits = toAmount(init.amount, 'amount');
  }

  get isDone(): boolean {
    return isTerminal(this.state);
  }

  /** Executed size so far (exact). */
  get executedAmount(): string {
    return formatAmount(this.executed);
  }

  /** Size not yet executed (exact). */
  get remainingAmount(): string {
    const r = this.amountUnits - this.executed;
    return formatAmount(r > 0n ? r : 0n);
  }

  /** Volume-weighted fill price, truncated to 8 decimals; `"0.0"` before any fill. */
  get averageExecutedPrice(): string {
    return formatAmount(averagePrice(this.notional16, this.executed));
  }

  /** Fees paid per token (signed: rebates negative). */
  get fees(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [token, v] of this.feesByToken) out[token] = formatAmount(v);
    return out;
  }

  hasFill(tid: number): boolean {
    return this.tids.has(tid);
  }

  /** Applies one input and returns what changed (empty when nothing did). */
  apply(event: OrderEvent, now: number): OrderEffect[] {
    const effects: OrderEffect[] = [];
    switch (event.kind) {
      case 'orderAnswer':
        this.onOrderAnswer(event.answer, effects);
        break;
      case 'cancelRequested':
        if (!this.isDone) this.moveTo('pendingCancel', effects);
        break;
      case 'cancelAnswer':
        // An error (already filled or canceled, never placed) settles nothing by itself:
        // the stream or `orderStatus` says which; the market asks.
        if (event.ok) this.moveTo('canceled', effects);
        break;
      case 'status':
        this.onStatus(event.status, event.oid, effects);
        break;
      case 'fill':
        this.onFill(event.fill, effects);
        break;
      case 'unknown':
        this.fail(event.reason, effects);
        break;
      case 'oid':
        if (this.exchangeOrderId === undefined) {
          this.exchangeOrderId = event.oid;
          effects.push({ type: 'oid' });
        }
        break;
    }
    if (effects.length > 0) this.lastUpdateTimestamp = now;
    return effects;
  }

  private onOrderAnswer(answer: OrderAnswer, effects: OrderEffect[]): void {
    if ('error' in answer) {
      this.fail(answer.error, effects);
      return;
    }
    if ('resting' in answer) {
      this.learnOid(answer.resting.oid, effects);
      this.moveTo(this.executed > 0n ? 'partiallyFilled' : 'open', effects);
      return;
    }
    this.learnOid(answer.filled.oid, effects);
    // The answer's totalSz says how much crossed at once; the fills that make it up come
    // on the stream and are what the executed amount counts (no double counting).
    if (toAmount(answer.filled.totalSz, 'totalSz') >= this.amountUnits) this.moveTo('filled', effects);
    // An IOC (market) order does not rest: what did not fill at once is canceled.
    else if (this.type === 'market') this.moveTo('canceled', effects);
    else this.moveTo('partiallyFilled', effects);
  }

  private onStatus(status: string, oid: number | undefined, effects: OrderEffect[]): void {
    this.lastStatus = status;
    if (oid !== undefined) this.learnOid(oid, effects);
    const meaning = statusMeaning(status);
    switch (meaning) {
      case 'open':
        this.moveTo(this.executed > 0n ? 'partiallyFilled' : 'open', effects);
        break;
      case 'filled':
        this.moveTo('filled', effects);
        break;
      case 'canceled':
        this.moveTo('canceled', effects);
        break;
      case 'failed':
        this.fail(statusReason(status), effects);
        break;
      default:
        effects.push({ type: 'unknownStatus', status });
    }
  }

  private onFill(fill: OrderFill, effects: OrderEffect[]): void {
    if (this.tids.has(fill.tid)) return;
    this.tids.add(fill.tid);
    this.learnOid(fill.oid, effects);
    const sz = toAmount(fill.sz, 'fill size');
    const px = toAmount(fill.px, 'fill price');
    this.executed += sz;
    this.notional16 += notional(px, sz);
    this.feesByToken.set(fill.feeToken, (this.feesByToken.get(fill.feeToken) ?? 0n) + toAmount(fill.fee, 'fee'));
    this.fills.push(fill);
    effects.push({ type: 'filled', fill });
    if (this.completionPending && this.executed >= this.amountUnits) {
      this.completionPending = false;
      effects.push({ type: 'completed' });
    }
    if (this.executed >= this.amountUnits) this.moveTo('filled', effects);
    else this.moveTo('partiallyFilled', effects);
  }

  private learnOid(oid: number, effects: OrderEffect[]): void {
    if (this.exchangeOrderId !== undefined || typeof oid !== 'number') return;
    this.exchangeOrderId = oid;
    effects.push({ type: 'oid' });
    // An order that already ended (a rejection answered before its status named the oid) was never created.
    if (!this.isDone) effects.push({ type: 'created' });
  }

  private fail(reason: string, effects: OrderEffect[]): void {
    if (this.isDone) return;
    this.failureReason = reason;
    this.moveTo('failed', effects);
  }

  /** Moves forward only; a terminal state is final. Emits the state change and its event. */
  private moveTo(to: OrderState, effects: OrderEffect[]): void {
    const from = this.state;
    if (from === to || isTerminal(from) || RANK[to] < RANK[from]) return;
    this.state = to;
    effects.push({ type: 'state', from, to });
    // `completed` comes after the fills that make the order up: a `filled` status that
    // overtakes its fills on the stream holds it until they are in.
    if (to === 'filled') {
      if (this.executed >= this.amountUnits || this.type === 'market') effects.push({ type: 'completed' });
      else this.completionPending = true;
    } else if (to === 'canceled') effects.push({ type: 'canceled' });
    else if (to === 'failed') effects.push({ type: 'failed', reason: this.failureReason ?? 'failed' });
  }
}
