/**
 * `aggregateByTime` (userFills, as the public API documents it): the partial fills of one
 * crossing order against several resting orders at one time are combined into one fill;
 * a resting order filled by several crossing orders stays as several fills. Combined: sizes,
 * fees, builder fees and closed PnL summed exactly, the price the size-weighted average (8
 * decimals, half up), everything else the first part's (`startPosition` is where it began).
 */
import type { NodeFill } from '../../book/events.js';

/** A signed decimal string as an integer and its decimals, or null when it is not one. */
function parseSigned(s: unknown): { v: bigint; d: number } | null {
  if (typeof s !== 'string') return null;
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (m === null) return null;
  const frac = m[3] ?? '';
  const v = BigInt(m[2]! + frac);
  return { v: m[1] === '-' ? -v : v, d: frac.length };
}

function formatSigned(v: bigint, d: number): string {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(d + 1, '0');
  const int = digits.slice(0, digits.length - d);
  const frac = digits.slice(digits.length - d).replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}.${frac === '' ? '0' : frac}`;
}

function scale(x: { v: bigint; d: number }, d: number): bigint {
  return x.v * 10n ** BigInt(d - x.d);
}

/** Exact sum of decimal strings, or undefined when one is not a decimal. */
function sum(values: unknown[]): string | undefined {
  const parsed = values.map(parseSigned);
  if (parsed.some((p) => p === null)) return undefined;
  const ps = parsed as { v: bigint; d: number }[];
  const d = Math.max(...ps.map((p) => p.d));
  return formatSigned(
    ps.reduce((acc, p) => acc + scale(p, d), 0n),
    d,
  );
}

/** Σ(px·sz) / Σsz to 8 decimals, half up; undefined when a part is not a decimal. */
function weightedPx(parts: readonly NodeFill[]): string | undefined {
  const px = parts.map((f) => parseSigned(f.px));
  const sz = parts.map((f) => parseSigned(f.sz));
  if (px.some((p) => p === null) || sz.some((p) => p === null)) return undefined;
  const dp = Math.max(...px.map((p) => p!.d));
  const ds = Math.max(...sz.map((p) => p!.d));
  let notional = 0n;
  let size = 0n;
  for (let i = 0; i < parts.length; i++) {
    notional += scale(px[i]!, dp) * scale(sz[i]!, ds);
    size += scale(sz[i]!, ds);
  }
  if (size <= 0n) return undefined;
  // notional / size has dp decimals; compute with 8 (or dp, if more) and round half up.
  const out = Math.max(8, dp);
  const num = notional * 10n ** BigInt(out - dp) * 2n + size;
  return formatSigned(num / (2n * size), out);
}

/** The parts as one fill, or the parts as they are when one is not a decimal (never a made-up number). */
function combine(parts: NodeFill[]): NodeFill[] {
  if (parts.length === 1) return parts;
  const first = parts[0]!;
  const out: NodeFill = { ...first };
  const px = weightedPx(parts);
  const sz = sum(parts.map((f) => f.sz));
  const fee = sum(parts.map((f) => f.fee));
  const pnl = sum(parts.map((f) => f.closedPnl));
  if (px === undefined || sz === undefined || fee === undefined || pnl === undefined) return parts;
  out.px = px;
  out.sz = sz;
  out.fee = fee;
  out.closedPnl = pnl;
  if (parts.some((f) => f.builderFee !== undefined)) {
    const bf = sum(parts.map((f) => f.builderFee ?? '0'));
    if (bf !== undefined) out.builderFee = bf;
  }
  return [out];
}

/** Whether `b` is another part of the crossing order that `a` is a part of. */
function samePart(a: NodeFill, b: NodeFill): boolean {
  return a.crossed && b.crossed && a.oid === b.oid && a.time === b.time && a.coin === b.coin && a.side === b.side && a.hash === b.hash;
}

/** One user's fills (any order) with each crossing order's parts at one time combined, in place of the first part. */
export function aggregateByTime(fills: readonly NodeFill[]): NodeFill[] {
  const out: NodeFill[] = [];
  const groups: NodeFill[][] = [];
  const open = new Map<string, NodeFill[]>();
  for (const f of fills) {
    if (!f.crossed) {
      groups.push([f]);
      continue;
    }
    const key = `${f.oid}\u0000${f.time}\u0000${f.coin}`;
    const g = open.get(key);
    if (g !== undefined && samePart(g[0]!, f)) {
      g.push(f);
      continue;
    }
    const ng = [f];
    open.set(key, ng);
    groups.push(ng);
  }
  for (const g of groups) out.push(...combine(g));
  return out;
}
