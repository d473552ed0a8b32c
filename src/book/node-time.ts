/**
 * Times as the node writes them: UTC, up to nanosecond precision, no zone suffix
 * (`2026-05-05T17:39:13.024084407`). Read by hand, exactly: `Date.parse` accepts many other
 * forms, reads a zone-less time as local and knows only milliseconds.
 *
 * Here, at the bottom of the layers, because the book reads a status's `time`; the node's
 * input, the state and the simulator take it through `src/node/format.ts`.
 */

/** A point in time: whole epoch milliseconds plus the nanoseconds inside that millisecond. */
export interface NodeInstant {
  ms: number;
  /** 0..999,999. */
  ns: number;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number that `n` ASCII digits of `s` at `from` spell, NaN if one is not a digit. */
function digits(s: string, from: number, n: number): number {
  let x = 0;
  for (let i = from; i < from + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    x = x * 10 + d;
  }
  return x;
}

/** End of the time in `s` (a trailing `Z` is tolerated), or -1 when the fraction is malformed. */
function fractionEnd(s: string): number {
  let end = s.length;
  if (s.charCodeAt(end - 1) === 90 /* Z */) end--;
  if (end > 19 && (s[19] !== '.' || end === 20 || Number.isNaN(digits(s, 20, end - 20)))) return -1;
  return end;
}

/**
 * `"2026-05-05T17:39:13.024084407"` → ms since the epoch (truncated to the millisecond), NaN
 * when it is not such a time. Accepts 0 to 9 (or more) fractional digits and a trailing `Z`;
 * refuses a date or time of day that does not exist.
 */
export function nodeTimeMs(s: string): number {
  if (s.length < 19 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return NaN;
  const end = fractionEnd(s);
  if (end < 0) return NaN;
  const n = end - 20;
  // Only the first three fractional digits count: the rest is below the millisecond.
  const ms = n <= 0 ? 0 : digits(s, 20, Math.min(3, n)) * (n >= 3 ? 1 : n === 2 ? 10 : 100);
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const hh = digits(s, 11, 2);
  const mm = digits(s, 14, 2);
  const ss = digits(s, 17, 2);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= DAYS[mo - 1]! && hh <= 23 && mm <= 59 && ss <= 59)) return NaN;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return NaN;
  return Date.UTC(y, mo - 1, d, hh, mm, ss, ms);
}

/** A node time to the nanosecond (digits past the 9th are dropped); undefined when it is not one. */
export function nodeInstant(s: string): NodeInstant | undefined {
  const ms = nodeTimeMs(s);
  if (Number.isNaN(ms)) return undefined;
  const n = fractionEnd(s) - 20;
  // Fractional digits 4 to 9: the nanoseconds inside the millisecond.
  const ns = n <= 3 ? 0 : digits(s, 23, Math.min(6, n - 3)) * 10 ** Math.max(0, 9 - n);
  return { ms, ns };
}

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` (UTC, 9 fractional digits, no zone). */
export function formatNodeTime(t: NodeInstant): string {
  const iso = new Date(t.ms).toISOString(); // 2026-05-05T17:39:13.024Z
  return iso.slice(0, 23) + String(t.ns).padStart(6, '0');
}

/** Nanoseconds between two instants (b - a), exact for spans up to ~104 days. */
export function nsBetween(a: NodeInstant, b: NodeInstant): number {
  return (b.ms - a.ms) * 1_000_000 + (b.ns - a.ns);
}

/** `a` plus `ns` nanoseconds (ns >= 0). */
export function addNs(a: NodeInstant, ns: number): NodeInstant {
  const total = a.ns + ns;
  const carry = Math.floor(total / 1_000_000);
  return { ms: a.ms + carry, ns: total - carry * 1_000_000 };
}
