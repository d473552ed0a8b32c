/**
 * The ladder's numbers from one block's aggregated levels: cumulative sizes (exact),
 * bar lengths (display fractions), spread and mid. Exact decimals stay exact; only the bar
 * lengths and the spread in basis points are floating point, for drawing and reading.
 */
import { addUnits, compareUnits, formatHalfUnits, formatUnits, parseUnits, subUnits, type Units } from '../book/decimal.js';
import type { L2Level, L2Levels } from '../book/types.js';

export interface LadderRow {
  px: string;
  sz: string;
  n: number;
  /** Size of this level and every better one on its side. */
  cum: string;
  /** This level's size over the largest level shown (both sides), 0..1. */
  szFrac: number;
  /** `cum` over the larger of the two sides' totals shown, 0..1. */
  cumFrac: number;
}

export interface Ladder {
  /** Best first. */
  bids: LadderRow[];
  /** Best first. */
  asks: LadderRow[];
  /** Best ask − best bid, or null when a side is empty; negative means crossed. */
  spread: string | null;
  /** The spread in basis points of the mid, two decimals. */
  spreadBps: string | null;
  mid: string | null;
}

function ratio(a: Units, b: Units): number {
  const d = Number(b);
  return d > 0 ? Math.min(1, Number(a) / d) : 0;
}

function side(levels: readonly L2Level[], rows: number): { rows: Omit<LadderRow, 'szFrac' | 'cumFrac'>[]; sizes: Units[]; cums: Units[] } {
  const out: Omit<LadderRow, 'szFrac' | 'cumFrac'>[] = [];
  const sizes: Units[] = [];
  const cums: Units[] = [];
  let cum: Units = 0;
  for (const lv of levels.slice(0, rows)) {
    const sz = parseUnits(lv.sz);
    cum = addUnits(cum, sz);
    sizes.push(sz);
    cums.push(cum);
    out.push({ px: lv.px, sz: lv.sz, n: lv.n, cum: formatUnits(cum) });
  }
  return { rows: out, sizes, cums };
}

/** The ladder of `levels` (`[bids, asks]`, best first), at most `rows` per side. */
export function buildLadder(levels: L2Levels, rows: number): Ladder {
  const b = side(levels[0], rows);
  const a = side(levels[1], rows);
  let maxSz: Units = 0;
  for (const s of [...b.sizes, ...a.sizes]) if (compareUnits(s, maxSz) > 0) maxSz = s;
  const bidTotal = b.cums[b.cums.length - 1] ?? 0;
  const askTotal = a.cums[a.cums.length - 1] ?? 0;
  const maxCum = compareUnits(bidTotal, askTotal) >= 0 ? bidTotal : askTotal;
  const finish = (s: typeof b): LadderRow[] => s.rows.map((r, i) => ({ ...r, szFrac: ratio(s.sizes[i]!, maxSz), cumFrac: ratio(s.cums[i]!, maxCum) }));

  const bestBid = levels[0][0];
  const bestAsk = levels[1][0];
  let spread: string | null = null;
  let spreadBps: string | null = null;
  let mid: string | null = null;
  if (bestBid !== undefined && bestAsk !== undefined) {
    const bid = parseUnits(bestBid.px, 'price');
    const ask = parseUnits(bestAsk.px, 'price');
    const diff = subUnits(ask, bid);
    const sum = addUnits(ask, bid);
    mid = formatHalfUnits(sum);
    spread = compareUnits(diff, 0) < 0 ? `-${formatUnits(subUnits(bid, ask))}` : formatUnits(diff);
    const m = Number(sum) / 2;
    spreadBps = m > 0 ? ((Number(diff) / m) * 10_000).toFixed(2) : null;
  }
  return { bids: finish(b), asks: finish(a), spread, spreadBps, mid };
}
