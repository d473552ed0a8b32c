/**
 * The paper accounts and their trading on the simulated books: orders checked as the public
 * exchange checks them (same texts), matched through the market's own books and event writing
 * (statuses, diffs and fills land in the block being made, under the account's address), and
 * every fill booked exactly (positions, entry cost, realized PnL, fees, spot balances).
 */
import {
  canonicalDecimal,
  decimalPlaces,
  formatScaledBig as formatBigUnits,
  formatScaled as formatUnits,
  parseScaled as parseUnits,
} from '../../book/decimal.js';
import type { CoinSpec } from '../market.js';
import { ASK, BID, RestKind, type SideIx } from '../matching-book.js';
import { REMOVE_DIFF, SIDE, fillJson, limitOrderJson, newDiff, restingOrderJson, updateDiff } from '../node-json.js';
import type { ExternalFill, ExternalMarket } from '../sim-market.js';
import { Account, type Leverage, type OpenOrder } from './account.js';
import type { AssetTable } from './assets.js';
import type { OrderWire } from './body.js';
import { MICRO, feeMicro, notionalMicro, toMicro } from './money.js';

/** Fees of the public base tier, parts per million of notional. */
export const FEES_PPM = { perp: { taker: 450n, maker: 150n }, spot: { taker: 700n, maker: 400n } } as const;
/** Leverage of an asset until `updateLeverage` (capped by the asset's maximum). */
export const DEFAULT_LEVERAGE = 20;
const MIN_NOTIONAL_MICRO = 10n * MICRO;
const MAX_PX_DECIMALS = { perp: 6, hip3: 6, spot: 8 } as const;

export type OrderStatus =
  { resting: { oid: number; cloid?: string } } | { filled: { totalSz: string; avgPx: string; oid: number; cloid?: string } } | { error: string };

export class Ledger {
  readonly accounts = new Map<string, Account>();
  private readonly byUser = new Map<number, Account>();
  /** The market handle, valid inside a block (set by the exchange before it acts). */
  m!: ExternalMarket;
  /**
   * Free margin per account as of a height, lowered by each order it places in that block:
   * computing it walks every open order, which a busy account must not pay per order.
   */
  private readonly freeMargin = new Map<Account, { height: number; free: bigint }>();

  constructor(
    private readonly assets: AssetTable,
    private readonly addUser: (address: string) => number,
  ) {}

  account(address: string): Account | undefined {
    return this.accounts.get(address);
  }

  open(address: string): Account {
    let a = this.accounts.get(address);
    if (!a) {
      a = new Account(address, this.addUser(address));
      this.accounts.set(address, a);
      this.byUser.set(a.user, a);
    }
    return a;
  }

  leverageOf(a: Account, c: CoinSpec): Leverage {
    return a.leverage.get(c.id) ?? { type: 'cross', value: Math.min(DEFAULT_LEVERAGE, this.assets.maxLeverage[c.id]!) };
  }

  // ---- orders ----

  /** One order of an `order` action (or the new half of a modify), inside a block. */
  place(a: Account, w: OrderWire, hash: string): OrderStatus {
    const m = this.m;
    const c = this.assets.byAsset.get(w.a);
    if (!c) return { error: `Invalid asset ${w.a}.` };
    if (!('limit' in w.t)) return { error: 'Trigger orders are not supported by the simulated exchange.' };
    const tag = ` asset=${w.a}`;
    const side: SideIx = w.b ? BID : ASK;
    const tif = w.t.limit.tif === 'Gtc' || w.t.limit.tif === 'Alo' ? w.t.limit.tif : 'Ioc';
    const cloid = w.c?.toLowerCase() ?? null;
    const pxText = canonicalDecimal(w.p);
    const szText = canonicalDecimal(w.s);
    const reject = (status: string, message: string, lots: number | null = null): OrderStatus => {
      const sz = lots === null ? szText : formatUnits(lots, c.szDecimals);
      const oid = m.nextOid();
      const json = limitOrderJson({ coinJson: c.json, side: SIDE[side], limitPx: pxText, sz, oid, timestamp: m.ms, reduceOnly: w.r, origSz: sz, tif, cloid });
      m.status(a.user, null, status, json);
      a.recordStatus(oid, { coin: c, orderJson: json, status, statusTimestamp: m.ms }, cloid);
      return { error: message };
    };
    let lots: number;
    try {
      lots = parseUnits(w.s, c.szDecimals);
    } catch {
      return { error: 'Order has invalid size.' };
    }
    if (lots <= 0) return { error: 'Order has invalid size.' };
    const px = tickUnits(w.p, c);
    // Prices the public exchange takes but this book's ticks cannot hold exist only far from
    // the market (outside the band the simulator keeps prices in): refused with the tick text.
    if (px <= 0 || px > c.maxPx * 4) return reject('tickRejected', `Price must be divisible by tick size.${tag}`);
    if (notionalMicro(c, px, lots) < MIN_NOTIONAL_MICRO) return reject('minTradeNtlRejected', `Order must have minimum value of $10.${tag}`);
    const book = m.books[c.id]!;
    const bb = book.bestBid();
    const ba = book.bestAsk();
    const crosses = side === BID ? ba !== undefined && px >= ba : bb !== undefined && px <= bb;
    if (tif === 'Alo' && crosses) {
      return reject('badAloPxRejected', `Post only order would have immediately matched, bbo was ${bbo(c, bb)}@${bbo(c, ba)}.${tag}`);
    }
    const pos = c.kind === 'spot' ? 0 : (a.positions.get(c.id)?.lots ?? 0);
    const reducing = pos !== 0 && (side === BID) === pos < 0 ? Math.min(lots, Math.abs(pos)) : 0;
    if (w.r) {
      if (reducing === 0) return reject('reduceOnlyRejected', `Reduce only order would increase position.${tag}`);
      lots = reducing;
    }
    if (c.kind === 'spot') {
      if (!this.spotCovers(a, c, side, px, lots)) return reject('insufficientSpotBalanceRejected', `Insufficient spot balance to place order.${tag}`);
    } else if (!w.r) {
      const need = notionalMicro(c, px, lots - reducing) / BigInt(this.leverageOf(a, c).value);
      let cached = this.freeMargin.get(a);
      if (cached === undefined || cached.height !== m.height) this.freeMargin.set(a, (cached = { height: m.height, free: this.available(a) }));
      if (need > cached.free) return reject('perpMarginRejected', `Insufficient margin to place order.${tag}`);
      // Conservative for the rest of the block: what this order fills frees nothing here.
      cached.free -= need;
    }
    if (tif === 'Ioc' && book.available(side, px, lots, a.user) === 0) {
      return reject('iocCancelRejected', `Order could not immediately match against any resting orders.${tag}`, lots);
    }

    const oid = m.nextOid();
    const sz = formatUnits(lots, c.szDecimals);
    const placed = limitOrderJson({ coinJson: c.json, side: SIDE[side], limitPx: pxText, sz, oid, timestamp: m.ms, reduceOnly: w.r, origSz: sz, tif, cloid });
    m.status(a.user, hash, 'open', placed);
    a.recordStatus(oid, { coin: c, orderJson: placed, status: 'open', statusTimestamp: m.ms }, cloid);

    const opposite = book.sides[side === BID ? ASK : BID];
    let rem = lots;
    let filled = 0;
    let cost = 0n;
    while (rem > 0) {
      const level = opposite.best();
      if (!level || (side === BID ? level.px > px : level.px < px)) break;
      const maker = level.head!;
      if (maker.user === a.user) {
        // Self-trade prevention cancels the resting order, as the generated flow does.
        const json = restingOrderJson(c, maker, maker.lots);
        m.status(maker.user, null, 'selfTradeCanceled', json);
        a.recordStatus(maker.oid, { coin: c, orderJson: json, status: 'selfTradeCanceled', statusTimestamp: m.ms }, maker.cloid);
        m.diff(c, maker, REMOVE_DIFF);
        book.remove(maker);
        a.open.delete(maker.oid);
        continue;
      }
      const qty = Math.min(rem, maker.lots);
      m.trade(c, { user: a.user, oid, side, cloid, hash }, maker, level.px, qty);
      if (qty === maker.lots) {
        m.diff(c, maker, REMOVE_DIFF);
        if (maker.kind !== RestKind.Statusless) m.status(maker.user, null, 'filled', restingOrderJson(c, maker, 0));
        book.remove(maker);
      } else {
        m.diff(c, maker, updateDiff(formatUnits(maker.lots, c.szDecimals), formatUnits(maker.lots - qty, c.szDecimals)));
        maker.lots -= qty;
      }
      rem -= qty;
      filled += qty;
      cost += BigInt(level.px) * BigInt(qty);
    }
    const withCloid = <T extends object>(o: T): T => (cloid === null ? o : { ...o, cloid });
    const filledStatus = (): OrderStatus => ({
      filled: withCloid({ totalSz: formatUnits(filled, c.szDecimals), avgPx: avgPx(cost, filled, c), oid }),
    });
    const finalJson = (remSz: string): string =>
      limitOrderJson({ coinJson: c.json, side: SIDE[side], limitPx: pxText, sz: remSz, oid, timestamp: m.ms, reduceOnly: w.r, origSz: sz, tif, cloid });
    if (rem === 0) {
      const json = finalJson('0.0');
      m.status(a.user, null, 'filled', json);
      a.recordStatus(oid, { coin: c, orderJson: json, status: 'filled', statusTimestamp: m.ms }, cloid);
      return filledStatus();
    }
    if (tif === 'Ioc') {
      const json = finalJson(formatUnits(rem, c.szDecimals));
      m.status(a.user, null, 'canceled', json);
      a.recordStatus(oid, { coin: c, orderJson: json, status: 'canceled', statusTimestamp: m.ms }, cloid);
      return filled > 0 ? filledStatus() : { error: `Order could not immediately match against any resting orders.${tag}` };
    }
    const order = m.newOrder(oid, a.user, side, px, rem, tif, w.r, cloid);
    order.origLots = lots;
    book.rest(order);
    m.diff(c, order, newDiff(formatUnits(rem, c.szDecimals)));
    a.open.set(oid, { coin: c, order });
    return { resting: withCloid({ oid }) };
  }

  /** Cancel one open order; `status` names why (`canceled`, `scheduledCancel`…). */
  cancel(a: Account, asset: number, oid: number, status = 'canceled'): 'success' | { error: string } {
    const c = this.assets.byAsset.get(asset);
    const o = a.open.get(oid);
    if (!c || !o || o.coin !== c || o.order.level === null) return { error: `Order was never placed, already canceled, or filled. asset=${asset}` };
    this.remove(a, o, status);
    return 'success';
  }

  /** Cancel every open order of `a` (scheduled cancel). */
  cancelAll(a: Account, status: string): void {
    for (const o of a.liveOrders()) this.remove(a, o, status);
  }

  /** An open order found by oid or cloid, if it still rests. */
  findOpen(a: Account, oidOrCloid: number | string): OpenOrder | undefined {
    const oid = typeof oidOrCloid === 'number' ? oidOrCloid : a.cloids.get(oidOrCloid.toLowerCase());
    const o = oid === undefined ? undefined : a.open.get(oid);
    return o && o.order.level !== null ? o : undefined;
  }

  remove(a: Account, o: OpenOrder, status: string): void {
    const m = this.m;
    this.freeMargin.delete(a);
    const json = restingOrderJson(o.coin, o.order, o.order.lots);
    m.status(a.user, null, status, json);
    a.recordStatus(o.order.oid, { coin: o.coin, orderJson: json, status, statusTimestamp: m.ms }, o.order.cloid);
    m.diff(o.coin, o.order, REMOVE_DIFF);
    m.books[o.coin.id]!.remove(o.order);
    a.open.delete(o.order.oid);
  }

  maxLeverage(c: CoinSpec): number {
    return this.assets.maxLeverage[c.id]!;
  }

  assetOf(c: CoinSpec): number {
    return this.assets.assetOf[c.id]!;
  }

  // ---- fills ----

  /** A fill of one of our users (taker or maker): book it, return the node's fill event. */
  fill(f: ExternalFill): string {
    const a = this.byUser.get(f.user)!;
    const c = f.coin;
    this.freeMargin.delete(a);
    const fees = c.kind === 'spot' ? FEES_PPM.spot : FEES_PPM.perp;
    const ppm = f.crossed ? fees.taker : fees.maker;
    const px = formatUnits(f.pxTicks, c.pxDecimals);
    const sz = formatUnits(f.lots, c.szDecimals);
    let dir: string;
    let startPosition: string;
    let closedPnl = 0n;
    let fee: string;
    let feeToken = 'USDC';
    if (c.kind === 'spot') {
      const base = a.spot.get(c.id) ?? 0n;
      startPosition = formatBigUnits(base, c.szDecimals + 6);
      const amount = BigInt(f.lots) * MICRO;
      const notional = notionalMicro(c, f.pxTicks, f.lots);
      if (f.side === BID) {
        dir = 'Buy';
        // A spot buyer pays its fee in the token it receives.
        const feeBase = (amount * ppm) / MICRO;
        a.spot.set(c.id, base + amount - feeBase);
        a.spotUsdc -= notional;
        fee = formatBigUnits(feeBase, c.szDecimals + 6);
        feeToken = c.spot!.base;
      } else {
        dir = 'Sell';
        const feeUsd = feeMicro(c, f.pxTicks, f.lots, ppm);
        a.spot.set(c.id, base - amount);
        a.spotUsdc += notional - feeUsd;
        fee = formatBigUnits(feeUsd, 6);
      }
    } else {
      const pos = a.positions.get(c.id) ?? { lots: 0, cost: 0n };
      const start = pos.lots;
      const signed = f.side === BID ? f.lots : -f.lots;
      startPosition = formatUnits(start, c.szDecimals);
      const tradeCost = BigInt(f.pxTicks) * BigInt(f.lots);
      if (start === 0 || Math.sign(start) === Math.sign(signed)) {
        dir = f.side === BID ? 'Open Long' : 'Open Short';
        pos.cost += tradeCost;
      } else {
        const held = Math.abs(start);
        const closed = Math.min(f.lots, held);
        const closedCost = (pos.cost * BigInt(closed)) / BigInt(held);
        const pnlUnits = (BigInt(f.pxTicks) * BigInt(closed) - closedCost) * (start > 0 ? 1n : -1n);
        closedPnl = toMicro(c, pnlUnits);
        a.usdc += closedPnl;
        pos.cost -= closedCost;
        if (f.lots > held) {
          dir = f.side === BID ? 'Short > Long' : 'Long > Short';
          pos.cost = BigInt(f.pxTicks) * BigInt(f.lots - held);
        } else dir = f.side === BID ? 'Close Short' : 'Close Long';
      }
      pos.lots += signed;
      if (pos.lots === 0) a.positions.delete(c.id);
      else a.positions.set(c.id, pos);
      const feeUsd = feeMicro(c, f.pxTicks, f.lots, ppm);
      a.usdc -= feeUsd;
      fee = formatBigUnits(feeUsd, 6);
    }
    // A maker order of ours filled completely: the market writes its `filled` status.
    if (!f.crossed) {
      const o = a.open.get(f.oid);
      if (o && o.order.lots === f.lots) {
        a.recordStatus(f.oid, { coin: c, orderJson: restingOrderJson(c, o.order, 0), status: 'filled', statusTimestamp: f.time }, o.order.cloid);
        a.open.delete(f.oid);
      }
    }
    const json = fillJson(a.address, {
      coinJson: c.json,
      px,
      sz,
      side: SIDE[f.side],
      time: f.time,
      startPosition,
      dir,
      closedPnl: formatBigUnits(closedPnl, 6),
      hash: f.hash,
      oid: f.oid,
      crossed: f.crossed,
      fee,
      tid: f.tid,
      cloid: f.cloid,
      feeToken,
      twapId: null,
    });
    // Kept as the fill object alone: `["0x…",{…}]` → `{…}`.
    a.recordFill(json.slice(a.address.length + 4, -1));
    return json;
  }

  // ---- margin ----

  /** Mark price in ticks: the book's mid (rounded down), one side, or the reference price. */
  markTicks(c: CoinSpec): number {
    const book = this.m.books[c.id]!;
    const bb = book.bestBid();
    const ba = book.bestAsk();
    if (bb !== undefined && ba !== undefined) return Math.floor((bb + ba) / 2);
    return bb ?? ba ?? c.refPx;
  }

  /** Account value, margin used by positions and by open orders, micro-USDC. */
  margin(a: Account): { accountValue: bigint; positions: bigint; orders: bigint; ntl: bigint; signedNtl: bigint } {
    let upnl = 0n;
    let used = 0n;
    let ntl = 0n;
    let signedNtl = 0n;
    for (const [id, p] of a.positions) {
      const c = this.m.coins[id]!;
      const mark = BigInt(this.markTicks(c));
      const value = toMicro(c, mark * BigInt(Math.abs(p.lots)));
      upnl += toMicro(c, mark * BigInt(p.lots) - (p.lots > 0 ? p.cost : -p.cost));
      used += value / BigInt(this.leverageOf(a, c).value);
      ntl += value;
      signedNtl += p.lots > 0 ? value : -value;
    }
    let orders = 0n;
    for (const o of a.liveOrders()) {
      if (o.coin.kind === 'spot' || o.order.reduceOnly) continue;
      orders += notionalMicro(o.coin, o.order.px, o.order.lots) / BigInt(this.leverageOf(a, o.coin).value);
    }
    return { accountValue: a.usdc + upnl, positions: used, orders, ntl, signedNtl };
  }

  available(a: Account): bigint {
    const mg = this.margin(a);
    const free = mg.accountValue - mg.positions - mg.orders;
    return free > 0n ? free : 0n;
  }

  /** Spot held by open orders: USDC (micro) for bids, base (scale szDecimals + 6) for asks of `c`. */
  spotHolds(a: Account, c: CoinSpec | null): { usdc: bigint; base: bigint } {
    let usdc = 0n;
    let base = 0n;
    for (const o of a.liveOrders()) {
      if (o.coin.kind !== 'spot') continue;
      if (o.order.side === BID) usdc += notionalMicro(o.coin, o.order.px, o.order.lots);
      else if (c !== null && o.coin === c) base += BigInt(o.order.lots) * MICRO;
    }
    return { usdc, base };
  }

  private spotCovers(a: Account, c: CoinSpec, side: SideIx, px: number, lots: number): boolean {
    const held = this.spotHolds(a, c);
    if (side === BID) return notionalMicro(c, px, lots) <= a.spotUsdc - held.usdc;
    return BigInt(lots) * MICRO <= (a.spot.get(c.id) ?? 0n) - held.base;
  }
}

/**
 * The public tick rule: at most 5 significant figures (integers always allowed) and at most
 * 6 − szDecimals decimals for perps, 8 − szDecimals for spot.
 */
export function validPrice(text: string, c: CoinSpec): boolean {
  const places = decimalPlaces(text);
  if (places > MAX_PX_DECIMALS[c.kind] - c.szDecimals) return false;
  if (places === 0) return true;
  const digits = canonicalDecimal(text).replace('.', '').replace(/^0+/, '');
  return digits.length <= 5;
}

/** The price in ticks of `c`, or 0 when the public rule or this book's ticks refuse it. */
function tickUnits(text: string, c: CoinSpec): number {
  try {
    return validPrice(text, c) ? parseUnits(text, c.pxDecimals) : 0;
  } catch {
    return 0;
  }
}

function bbo(c: CoinSpec, px: number | undefined): string {
  if (px === undefined) return '';
  const s = formatUnits(px, c.pxDecimals);
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

/** Average fill price, exact to 8 more decimals than the tick, trailing zeros trimmed. */
function avgPx(cost: bigint, lots: number, c: CoinSpec): string {
  return formatBigUnits((cost * 10n ** 8n) / BigInt(lots), c.pxDecimals + 8);
}
