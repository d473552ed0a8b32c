/**
 * One node line → one typed block envelope. `JSON.parse` is the floor of ingest cost, so
 * validation stays cheap: the envelope fully, each event only as far as joining and
 * applying rely on (coin, oid, side…), never every field of 15,000 statuses a second.
 */
import { ErrorCodes, HlobError } from '../errors.js';
import { STREAMS } from './types.js';
import type { BlockEnvelope, BookDiffEvent, FillEvent, OrderStatusEvent, StreamName } from './types.js';

/** The event type of each stream. */
export interface StreamEvents {
  statuses: OrderStatusEvent;
  diffs: BookDiffEvent;
  fills: FillEvent;
}

/** A line that is not a block of its stream; the message says what is wrong. */
export function badLine(stream: StreamName, what: string, cause?: unknown): HlobError {
  return new HlobError(ErrorCodes.BAD_LINE, `${STREAMS[stream].dir} line: ${what}`, cause === undefined ? undefined : { cause });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why an event is not one of `stream`, or undefined when it is (as far as we check). */
function eventProblem(stream: StreamName, e: unknown): string | undefined {
  switch (stream) {
    case 'statuses': {
      if (!isObject(e)) return 'not an object';
      if (typeof e.status !== 'string') return 'no status';
      const o = e.order;
      if (!isObject(o)) return 'no order';
      if (typeof o.coin !== 'string') return 'order without coin';
      if (typeof o.oid !== 'number') return 'order without numeric oid';
      return undefined;
    }
    case 'diffs': {
      if (!isObject(e)) return 'not an object';
      if (typeof e.coin !== 'string') return 'no coin';
      if (typeof e.oid !== 'number') return 'no numeric oid';
      if (e.side !== 'B' && e.side !== 'A') return `side ${JSON.stringify(e.side)}`;
      if (typeof e.px !== 'string') return 'no px';
      const d = e.raw_book_diff;
      if (d !== 'remove' && !isObject(d)) return `raw_book_diff ${JSON.stringify(d)}`;
      return undefined;
    }
    case 'fills': {
      if (!Array.isArray(e) || e.length !== 2) return 'not a [user, fill] pair';
      if (typeof e[0] !== 'string') return 'user is not a string';
      const f: unknown = e[1];
      if (!isObject(f)) return 'fill is not an object';
      if (typeof f.coin !== 'string') return 'fill without coin';
      if (typeof f.tid !== 'number') return 'fill without numeric tid';
      return undefined;
    }
  }
}

/**
 * Parse one line of `stream`'s by-block file. Throws a `BAD_LINE` error naming the stream and
 * what is wrong (the caller adds file and offset).
 */
export function parseLine<S extends StreamName>(stream: S, line: string): BlockEnvelope<StreamEvents[S]> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    throw badLine(stream, `not JSON (${(err as Error).message})`, err);
  }
  if (!isObject(v)) throw badLine(stream, 'not a JSON object');
  const h = v.block_number;
  if (typeof h !== 'number' || !Number.isSafeInteger(h) || h < 0) throw badLine(stream, `block_number ${JSON.stringify(h)}`);
  if (typeof v.block_time !== 'string') throw badLine(stream, `block ${h}: block_time ${JSON.stringify(v.block_time)}`);
  if (Number.isNaN(blockTimeMs(v.block_time))) throw badLine(stream, `block ${h}: block_time ${JSON.stringify(v.block_time)} is not a time`);
  const events = v.events;
  if (!Array.isArray(events)) throw badLine(stream, `block ${h}: events is not an array`);
  for (let i = 0; i < events.length; i++) {
    const problem = eventProblem(stream, events[i]);
    if (problem !== undefined) throw badLine(stream, `block ${h}: events[${i}]: ${problem}`);
  }
  return v as unknown as BlockEnvelope<StreamEvents[S]>;
}

function digits(s: string, from: number, n: number): number {
  let x = 0;
  for (let i = from; i < from + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    x = x * 10 + d;
  }
  return x;
}

/**
 * `"2026-05-05T17:39:13.024084407"` (UTC, nanoseconds, no zone) → ms since the epoch
 * (truncated), NaN when it is not such a time. Hand-rolled: `Date.parse` accepts many
 * forms and reads a zone-less time as local.
 */
export function blockTimeMs(s: string): number {
  if (s.length < 19 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return NaN;
  let end = s.length;
  if (s[end - 1] === 'Z') end--;
  let ms = 0;
  if (end > 19) {
    if (s[19] !== '.' || end === 20) return NaN;
    const frac = digits(s, 20, end - 20);
    if (Number.isNaN(frac)) return NaN;
    const n = end - 20;
    ms = n >= 3 ? Math.floor(frac / 10 ** (n - 3)) : frac * 10 ** (3 - n);
  }
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const hh = digits(s, 11, 2);
  const mm = digits(s, 14, 2);
  const ss = digits(s, 17, 2);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && hh <= 23 && mm <= 59 && ss <= 60)) return NaN;
  return Date.UTC(y, mo - 1, d, hh, mm, ss, ms);
}
