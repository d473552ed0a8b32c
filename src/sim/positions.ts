/**
 * Trades and what they leave behind: the two fill events of each trade, every user's position
 * per coin (its direction, start position and closed PnL in the fill), fees (taker and maker
 * rates; a spot buyer pays in the token it receives). The paper exchange's users keep their
 * own accounts: their fills come from it.
 */
import { formatScaled, formatScaledBig } from '../book/decimal.js';
import type { CoinSpec } from './market.js';
import type { MarketState } from './market-state.js';
import { BID, ASK, RestKind, type RestingOrder, type SideIx } from './matching-book.js';
import { SIDE, fillJson } from './node-json.js';

const TAKER_FEE_PPM = 405n;
const MAKER_FEE_PPM = -30n;

interface Position {
  lots: number;
  /** Entry price in ticks (the price of the last opening fill: a simplification). */
  entryPx: number;
}

/** The taker of a trade. */
export interface Taker {
  user: number;
  oid: number;
  side: SideIx;
  cloid: string | null;
  hash: string;
  twapId: number | null;
}

/** One side of a trade, as its fill event shows it. */
interface FillSide {
  user: number;
  side: SideIx;
  oid: number;
  crossed: boolean;
  cloid: string | null;
  twapId: number | null;
}

/** A trade at `pxTicks` of `qty` lots, with the strings its events share. */
interface TradeAt {
  c: CoinSpec;
  pxTicks: number;
  px: string;
  qty: number;
  sz: string;
  hash: string;
  tid: number;
}

export class Positions {
  private readonly positions = new Map<number, Position>();

  constructor(private readonly s: MarketState) {}

  /** Two fill events of one trade, sharing a `tid`; the taker's is `crossed:true`. */
  trade(c: CoinSpec, taker: Taker, maker: RestingOrder, pxTicks: number, qty: number): void {
    const s = this.s;
    const tid = s.rng.u50();
    s.tape.trade(c.id, pxTicks, qty, s.ms);
    const at: TradeAt = { c, pxTicks, px: s.px(c, pxTicks), qty, sz: s.sz(c, qty), hash: taker.hash, tid };
    const takerFill = this.fill(at, { user: taker.user, side: taker.side, oid: taker.oid, crossed: true, cloid: taker.cloid, twapId: taker.twapId });
    const makerFill = this.fill(at, {
      user: maker.user,
      side: maker.side,
      oid: maker.oid,
      crossed: false,
      cloid: maker.kind === RestKind.Statusless ? null : maker.cloid,
      twapId: null,
    });
    if (s.rng.chance(0.5)) {
      s.fills.add(takerFill);
      s.fills.add(makerFill);
    } else {
      s.fills.add(makerFill);
      s.fills.add(takerFill);
    }
  }

  private fill(t: TradeAt, f: FillSide): string {
    const s = this.s;
    const { c, pxTicks, qty } = t;
    if (s.external !== null && f.user >= s.external.from) {
      return s.external.fill({
        coin: c,
        user: f.user,
        side: f.side,
        pxTicks,
        lots: qty,
        hash: t.hash,
        oid: f.oid,
        crossed: f.crossed,
        tid: t.tid,
        cloid: f.cloid,
        time: s.ms,
      });
    }
    const key = f.user * 4096 + c.id;
    let pos = this.positions.get(key);
    if (!pos) {
      pos = { lots: 0, entryPx: pxTicks };
      this.positions.set(key, pos);
    }
    const { dir, closedPnl } = this.direction(c, pos, f.side, pxTicks, qty);
    const startPosition = formatScaled(pos.lots, c.szDecimals);
    this.move(c, key, pos, f.side === BID ? qty : -qty, pxTicks);
    const { fee, feeToken } = feeOf(c, f.side, pxTicks, qty, f.crossed);
    return fillJson(s.users.address(f.user), {
      coinJson: c.json,
      px: t.px,
      sz: t.sz,
      side: SIDE[f.side],
      time: s.ms,
      startPosition,
      dir,
      closedPnl,
      hash: t.hash,
      oid: f.oid,
      crossed: f.crossed,
      fee,
      tid: t.tid,
      cloid: f.cloid,
      feeToken,
      twapId: f.twapId,
    });
  }

  /** The fill's `dir` and the PnL a closing perp fill realizes. */
  private direction(c: CoinSpec, pos: Position, side: SideIx, pxTicks: number, qty: number): { dir: string; closedPnl: string } {
    if (c.kind === 'spot') {
      // Spot balances cannot go negative: a seller holds at least what it sells.
      if (side === ASK && pos.lots < qty) pos.lots = qty * 2;
      return { dir: side === BID ? 'Buy' : 'Sell', closedPnl: '0.0' };
    }
    const start = pos.lots;
    const signed = side === BID ? qty : -qty;
    if (start === 0 || Math.sign(start) === Math.sign(signed)) return { dir: side === BID ? 'Open Long' : 'Open Short', closedPnl: '0.0' };
    const closed = Math.min(qty, Math.abs(start));
    const dir = qty > Math.abs(start) ? (side === BID ? 'Short > Long' : 'Long > Short') : side === BID ? 'Close Short' : 'Close Long';
    const scale = c.pxDecimals + c.szDecimals;
    const pnl = BigInt(pxTicks - pos.entryPx) * BigInt(closed) * (start > 0 ? 1n : -1n);
    return { dir, closedPnl: scale > 6 ? formatScaledBig(pnl / 10n ** BigInt(scale - 6), 6) : formatScaledBig(pnl, scale) };
  }

  /** The position after the fill (open interest follows perp positions). */
  private move(c: CoinSpec, key: number, pos: Position, signed: number, pxTicks: number): void {
    const startLots = pos.lots;
    pos.lots += signed;
    if (c.kind !== 'spot') this.s.tape.position(c.id, startLots, pos.lots);
    if (c.kind !== 'spot' && (startLots === 0 || Math.sign(startLots) !== Math.sign(pos.lots))) pos.entryPx = pxTicks;
    if (pos.lots === 0) this.positions.delete(key);
  }
}

/** A fill's fee: USDC on the notional, except a spot buyer's, paid in the token it receives (at most 8 decimals, truncated). */
function feeOf(c: CoinSpec, side: SideIx, pxTicks: number, qty: number, crossed: boolean): { fee: string; feeToken: string } {
  const ppm = crossed ? TAKER_FEE_PPM : MAKER_FEE_PPM;
  if (c.kind === 'spot' && side === BID) {
    const scale = c.szDecimals + 6;
    return {
      fee: scale > 8 ? formatScaledBig((BigInt(qty) * ppm) / 10n ** BigInt(scale - 8), 8) : formatScaledBig(BigInt(qty) * ppm, scale),
      feeToken: c.spot!.base,
    };
  }
  return { fee: formatScaledBig((BigInt(pxTicks) * BigInt(qty) * ppm) / 10n ** BigInt(c.pxDecimals + c.szDecimals), 6), feeToken: 'USDC' };
}
