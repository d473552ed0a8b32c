/**
 * Times as the node writes them: UTC, nanosecond precision, no zone suffix
 * (`2026-05-05T17:39:13.024084407`), and the hourly file each time belongs to.
 */
import { ErrorCodes, HlobError } from '../errors.js';

/** A point in time: whole epoch milliseconds plus the nanoseconds inside that millisecond. */
export interface NodeInstant {
  ms: number;
  /** 0..999,999. */
  ns: number;
}

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` (UTC, 9 fractional digits, no zone). */
export function formatNodeTime(t: NodeInstant): string {
  const iso = new Date(t.ms).toISOString(); // 2026-05-05T17:39:13.024Z
  return iso.slice(0, 23) + String(t.ns).padStart(6, '0');
}

const NODE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{3})(\d{6})$/;

/** The inverse of {@link formatNodeTime}; also accepts fewer fractional digits. */
export function parseNodeTime(text: string): NodeInstant {
  const m = NODE_TIME.exec(text);
  if (m) {
    const ms = Date.parse(`${m[1]}.${m[2]}Z`);
    if (!Number.isNaN(ms)) return { ms, ns: Number(m[3]) };
  }
  const loose = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/.exec(text);
  if (loose) {
    const frac = (loose[2] ?? '').padEnd(9, '0');
    const ms = Date.parse(`${loose[1]}.${frac.slice(0, 3)}Z`);
    if (!Number.isNaN(ms)) return { ms, ns: Number(frac.slice(3)) };
  }
  throw new HlobError(ErrorCodes.BAD_LINE, `not a node time (UTC, no zone): ${JSON.stringify(text)}`);
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

/** The hourly file of a time: date folder `YYYYMMDD` and hour without zero padding. */
export function hourlyPath(ms: number): { date: string; hour: string } {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return { date, hour: String(d.getUTCHours()) };
}

/** Start of the UTC hour containing `ms`. */
export function hourStart(ms: number): number {
  return ms - (((ms % 3_600_000) + 3_600_000) % 3_600_000);
}
