/**
 * One node line → one typed block envelope. `JSON.parse` is the floor of ingest cost, so
 * validation stays cheap: the envelope fully, each event only as far as joining and
 * applying rely on (coin, oid, side…), never every field of 15,000 statuses a second.
 */
import { RawStatus } from '../book/raw-status.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { nodeTimeMs as blockTimeMs } from './format.js';
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
      // Parsed whole by JSON.parse: every field, `new.insertBefore` included, reaches the
      // engine and `l4Book` Updates as the node wrote it; the engine judges its value.
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
  if (stream === 'statuses') {
    const fast = scanStatusesLine(line);
    if (fast !== undefined) return fast as BlockEnvelope<StreamEvents[S]>;
  }
  return parseJsonLine(stream, line);
}

/**
 * `parseLine` of a line given as its bytes (the tailer's): a statuses line is decoded in
 * pieces as it is scanned (`scanStatusesBytes`), anything else, or a statuses line the scan
 * does not take, is decoded whole and parsed.
 */
export function parseLineBytes<S extends StreamName>(stream: S, bytes: Buffer): BlockEnvelope<StreamEvents[S]> {
  if (stream === 'statuses') {
    const fast = scanStatusesBytes(bytes);
    if (fast !== undefined) return fast as BlockEnvelope<StreamEvents[S]>;
  }
  return parseJsonLine(stream, bytes.toString('utf8'));
}

/** The full path: `JSON.parse`, then the envelope and each event checked. */
function parseJsonLine<S extends StreamName>(stream: S, line: string): BlockEnvelope<StreamEvents[S]> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    throw badLine(stream, `not JSON (${(err as Error).message})`, err);
  }
  const env = checkEnvelope(stream, v);
  const events = env.events;
  for (let i = 0; i < events.length; i++) {
    const problem = eventProblem(stream, events[i]);
    if (problem !== undefined) throw badLine(stream, `block ${env.block_number}: events[${i}]: ${problem}`);
  }
  return env as unknown as BlockEnvelope<StreamEvents[S]>;
}

/** `v` as a block envelope (its events not checked), or a `BAD_LINE` error saying what is wrong. */
function checkEnvelope(stream: StreamName, v: unknown): BlockEnvelope<unknown> {
  if (!isObject(v)) throw badLine(stream, 'not a JSON object');
  const h = v.block_number;
  if (typeof h !== 'number' || !Number.isSafeInteger(h) || h < 0) throw badLine(stream, `block_number ${JSON.stringify(h)}`);
  if (typeof v.block_time !== 'string') throw badLine(stream, `block ${h}: block_time ${JSON.stringify(v.block_time)}`);
  if (Number.isNaN(blockTimeMs(v.block_time))) throw badLine(stream, `block ${h}: block_time ${JSON.stringify(v.block_time)} is not a time`);
  if (!Array.isArray(v.events)) throw badLine(stream, `block ${h}: events is not an array`);
  return v as unknown as BlockEnvelope<unknown>;
}

const EVENTS_KEY = ',"events":[';
const EVENT_START = '{"time":"';
/** Between two status events: the end of one's order and of itself, the start of the next. */
const EVENT_SEP = '}},{"time":"';
const STATUS_KEY = ',"status":"';
const ORDER_COIN = '","order":{"coin":"';
const OID_KEY = ',"oid":';

/**
 * The fast path for a statuses line: the node writes every status event with the same keys
 * in the same order (`time`, `user`, `hash`, `builder`, `status`, `order` starting with
 * `coin`, …, `oid`, …), compact. Events are cut at `}},{"time":"` (an order's and its
 * event's end, the next event's start: not possible anywhere else, since no order field
 * starts an object with `time`, and a quote inside a string is always escaped), and only
 * `status`, `coin` and `oid` are read from each; `open` and `triggered` events, the ones a
 * `new` diff may need, are parsed whole and checked against what was read. The rest become
 * `RawStatus`es. Anything unexpected returns undefined: the caller then parses the whole
 * line with `JSON.parse`, which also reports what is wrong with a bad line.
 */
export function scanStatusesLine(line: string): BlockEnvelope<OrderStatusEvent> | undefined {
  return scanStatusesPieces([line]);
}

/** Decoded pieces of a statuses line this long at most (V8 allocates longer strings one by one, outside its young generation). */
export const STATUS_PIECE_BYTES = 64 * 1024;
/** `EVENT_SEP` as bytes, to cut a line's bytes into pieces. */
const EVENT_CUT = Buffer.from(EVENT_SEP);

/**
 * A statuses line given as bytes (the tailer's read buffer), decoded in pieces of about
 * `pieceBytes`, each cut just after the `}},` that ends an event, then scanned as
 * `scanStatusesLine` does. Decoding a 0.5 MB line into one string costs ~0.3 ms (a large
 * object: fresh pages every block); into 64 KB pieces, ~0.08 ms. Undefined when the fast
 * path does not take the line (then decode it whole and `parseLine` it).
 */
/** The envelope's first key: inside a line's events it means a second line ran into it. */
const ENVELOPE_KEY = '{"local_time":"';

export function scanStatusesBytes(bytes: Buffer, pieceBytes = STATUS_PIECE_BYTES): BlockEnvelope<OrderStatusEvent> | undefined {
  const pieces: string[] = [];
  let start = 0;
  while (bytes.length - start > pieceBytes) {
    const sep = bytes.indexOf(EVENT_CUT, start + pieceBytes - EVENT_CUT.length);
    if (sep === -1) break;
    const cut = sep + 3; // after `}},`
    pieces.push(bytes.toString('utf8', start, cut));
    start = cut;
  }
  pieces.push(bytes.toString('utf8', start, bytes.length));
  return scanStatusesPieces(pieces);
}

/** The envelope after `local_time` of the last statuses line whose head was parsed, and its block time and number. */
let lastHead: { rest: string; block_time: string; block_number: number } | undefined;
const LOCAL_TIME_KEY = '{"local_time":"';
const BLOCK_TIME_KEY = '","block_time":"';

/**
 * The envelope of a statuses line whose events start at `ev`. Streaming lines (one event
 * each) repeat their block's envelope but for `local_time`: when the rest of the head is the
 * previous line's, its checked block time and number are reused instead of parsing the head
 * again (the same text gives the same values). Undefined when the head is not one.
 */
function statusesEnvelope(head: string, ev: number): BlockEnvelope<unknown> | undefined {
  const bt = head.indexOf(BLOCK_TIME_KEY, LOCAL_TIME_KEY.length);
  if (bt !== -1 && bt < ev && lastHead !== undefined && lastHead.rest.length === ev - bt && head.startsWith(lastHead.rest, bt)) {
    const localTime = head.slice(LOCAL_TIME_KEY.length, bt);
    // A quote or backslash inside would make it another JSON text: let the full parse judge.
    if (localTime.indexOf('"') === -1 && localTime.indexOf('\\') === -1) {
      return { local_time: localTime, block_time: lastHead.block_time, block_number: lastHead.block_number, events: [] };
    }
  }
  let env: BlockEnvelope<unknown>;
  try {
    env = checkEnvelope('statuses', { ...(JSON.parse(head.slice(0, ev) + '}') as object), events: [] });
  } catch {
    return undefined;
  }
  lastHead = bt !== -1 && bt < ev ? { rest: head.slice(bt, ev), block_time: env.block_time, block_number: env.block_number } : undefined;
  return env;
}

/**
 * The scan over a line's pieces: the first holds the envelope's head, each but the last ends
 * with the `,` after an event, the last ends with `]}`.
 */
function scanStatusesPieces(pieces: readonly string[]): BlockEnvelope<OrderStatusEvent> | undefined {
  const head = pieces[0]!;
  const last = pieces.length - 1;
  const tail = pieces[last]!;
  if (!head.startsWith('{"local_time":"') || tail.charCodeAt(tail.length - 2) !== 93 /* ] */ || tail.charCodeAt(tail.length - 1) !== 125 /* } */)
    return undefined;
  const ev = head.indexOf(EVENTS_KEY);
  if (ev === -1 || ev > 512) return undefined;
  const env = statusesEnvelope(head, ev);
  if (env === undefined) return undefined;
  const events: OrderStatusEvent[] = [];
  for (let k = 0; k <= last; k++) {
    const line = pieces[k]!;
    let p = k === 0 ? ev + EVENTS_KEY.length : 0;
    // A half-written line runs into the next line's envelope: the scan does not parse rejected
    // events, so it would not notice. Leave such a line to JSON.parse, which refuses it.
    if (line.includes(ENVELOPE_KEY, p)) return undefined;
    let stop: number;
    if (k === last) stop = line.length - 2;
    else {
      // A piece cut after an event: it ends with `}},`.
      stop = line.length - 1;
      if (line.charCodeAt(stop) !== 44 /* , */ || p >= stop) return undefined;
    }
    while (p < stop) {
      if (!line.startsWith(EVENT_START, p)) return undefined;
      const sep = line.indexOf(EVENT_SEP, p);
      const end = sep === -1 || sep + 2 > stop ? stop : sep + 2;
      if (line.charCodeAt(end - 1) !== 125 || line.charCodeAt(end - 2) !== 125) return undefined;
      const s = line.indexOf(STATUS_KEY, p);
      if (s === -1 || s >= end) return undefined;
      const vs = s + STATUS_KEY.length;
      const ve = line.indexOf('"', vs);
      if (ve === -1 || !line.startsWith(ORDER_COIN, ve)) return undefined;
      const cs = ve + ORDER_COIN.length;
      const ce = line.indexOf('"', cs);
      if (ce === -1 || ce >= end) return undefined;
      const o = line.indexOf(OID_KEY, ce);
      if (o === -1 || o >= end) return undefined;
      let i = o + OID_KEY.length;
      let oid = 0;
      let c = line.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
      do {
        oid = oid * 10 + (c - 48);
        c = line.charCodeAt(++i);
      } while (c >= 48 && c <= 57);
      if ((c !== 44 && c !== 125) || !Number.isSafeInteger(oid)) return undefined;
      const status = line.slice(vs, ve);
      const coin = line.slice(cs, ce);
      if (status.includes('\\') || coin.includes('\\')) return undefined;
      if (status === 'open' || status === 'triggered') {
        let e: unknown;
        try {
          e = JSON.parse(line.slice(p, end));
        } catch {
          return undefined;
        }
        if (eventProblem('statuses', e) !== undefined) return undefined;
        const st = e as OrderStatusEvent;
        if (st.status !== status || st.order.coin !== coin || st.order.oid !== oid) return undefined;
        events.push(st);
      } else {
        events.push(new RawStatus(status, coin, oid, line, p, end));
      }
      if (end === stop) break;
      if (line.charCodeAt(end) !== 44 /* , */) return undefined;
      p = end + 1;
    }
  }
  env.events = events;
  return env as BlockEnvelope<OrderStatusEvent>;
}

/**
 * `"2026-05-05T17:39:13.024084407"` (UTC, nanoseconds, no zone) → ms since the epoch
 * (truncated), NaN when it is not such a time: the node format's exact parser.
 */
export { blockTimeMs };
