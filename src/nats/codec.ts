/**
 * The compact block of the NATS block log: only what changes books and trades.
 *
 * A joined block is ~95 % rejected statuses that never touch a book. The log keeps the diffs,
 * the fills, and of the statuses only those that put an order on the book (the `open` or
 * `triggered` status of an order a `new` diff of the same block rests): what `Books.applyBlock`
 * reads. `statuses: 'all'` keeps every status instead, for edges that must serve the full
 * `l4Book` (without `bookOnly`) and the user channels exactly as a core does.
 *
 * Each status travels as its exact JSON text (the node's own bytes when it was read raw), so
 * an edge's `l4Book` Updates are the same bytes as a core's.
 *
 * Wire form, version 2: a msgpack array `[2, height, time, body, partialCoins, statusesEnd, packing]`
 * whose `body` (binary, raw deflate when `packing` is 1, as is when 0) is UTF-8 text: the
 * statuses' JSON texts one after the other (the first `statusesEnd` characters), a newline,
 * then one JSON array `[[[status, coin, oid, start, end]…], diffs, fills]`. Deflated (level
 * 1: ~0.1 ms per busy BTC block on the core) a block is ~3 KB instead of ~19 KB: the NATS
 * client's CPU grows with the bytes it reads (~0.15 ms per 19 KB message on an edge, more
 * than decoding and applying), as do the stream's storage and the traffic to every edge. An edge reads it with one native
 * `JSON.parse` and keeps each status as a `RawStatus` over the body text (parsed only when its
 * order is needed), instead of decoding every diff field by field in msgpack (version 1:
 * statuses, diffs and fills all msgpack; a third of an edge's CPU per block).
 *
 * The version is the array's first element, and the array keeps version 1's seven elements:
 * a version-1 edge reading this log says "version 2, this server reads 1", and this one says
 * the same of a version-1 message (`BAD_LINE`, logged; the edge resyncs and waits for a log it
 * reads). A core checks the log's last message before publishing into it (publisher.ts).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { decode, encode } from '@msgpack/msgpack';
import type { Block, BookDiffEvent, FillEvent, OrderStatusEvent } from '../book/events.js';
import { RawStatus, statusCoin, statusOid } from '../book/raw-status.js';
import type { BlockChange } from '../book/types.js';
import { ErrorCodes, HlobError } from '../errors.js';

export const CODEC_VERSION = 2;

/** Which statuses the log carries: those that rest an order (default), or every one. */
export type StatusMode = 'book' | 'all';

/** A block as read back from the log. */
export interface LogBlock {
  block: Block;
  /**
   * Coins the publishing core left out of this block (it was repairing them, so their events
   * were not in its change): the block is not whole for them.
   */
  partial: string[];
  /** Size of the message. */
  bytes: number;
}

type TableEntry = [status: string, coin: string, oid: number, start: number, end: number];
/** How `body` is packed: 0 as is, 1 raw deflate. */
type Packing = 0 | 1;
type Wire = [version: number, height: number, time: number, body: Uint8Array, partial: string[], statusesEnd: number, packing: Packing];

function statusJson(st: OrderStatusEvent): string {
  return st instanceof RawStatus ? st.json : JSON.stringify(st);
}

/** The statuses applying `diffs` needs: those of orders a `new` diff rests. */
export function bookStatuses(statuses: readonly OrderStatusEvent[], diffs: readonly BookDiffEvent[]): OrderStatusEvent[] {
  const opened = new Set<number>();
  for (const d of diffs) {
    const rbd = d.raw_book_diff;
    if (typeof rbd === 'object' && rbd !== null && 'new' in rbd) opened.add(d.oid);
  }
  if (opened.size === 0) return [];
  return statuses.filter((s) => opened.has(statusOid(s)) && (s.status === 'open' || s.status === 'triggered'));
}

/**
 * The block a core applied, from its `BlockChange`: every status and fill (node order), and
 * the diffs of every coin in the change (per coin in node order, which is all that applying
 * and the frames depend on).
 */
export function blockOfChange(change: BlockChange): Block {
  const diffs: BookDiffEvent[] = [];
  for (const cc of change.coins.values()) for (const d of cc.diffs) diffs.push(d);
  return { height: change.height, time: change.time, statuses: change.statuses as OrderStatusEvent[], diffs, fills: change.fills as FillEvent[] };
}

export function encodeBlock(block: Block, mode: StatusMode = 'book', partial: readonly string[] = []): Uint8Array {
  const statuses = mode === 'all' ? block.statuses : bookStatuses(block.statuses, block.diffs);
  const texts: string[] = new Array<string>(statuses.length);
  const table: TableEntry[] = new Array<TableEntry>(statuses.length);
  let at = 0;
  for (let i = 0; i < statuses.length; i++) {
    const st = statuses[i]!;
    const json = statusJson(st);
    texts[i] = json;
    table[i] = [st.status, statusCoin(st), statusOid(st), at, at + json.length];
    at += json.length;
  }
  const text = Buffer.from(`${texts.join('')}\n${JSON.stringify([table, block.diffs, block.fills])}`, 'utf8');
  const wire: Wire = [CODEC_VERSION, block.height, block.time, deflateRawSync(text, { level: 1 }), [...partial], at, 1];
  return encode(wire);
}

function bad(why: string): never {
  throw new HlobError(ErrorCodes.BAD_LINE, `block log message: ${why}`);
}

/**
 * Whether two log messages hold the same block: the same bytes, or the same content packed
 * differently (two cores' zlib builds may deflate the same text differently).
 */
export function sameMessage(a: Uint8Array, b: Uint8Array): boolean {
  if (Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0) return true;
  const unpacked = (m: Uint8Array): string | undefined => {
    try {
      const w = decode(m) as Wire;
      const body = Buffer.from(w[3].buffer, w[3].byteOffset, w[3].byteLength);
      return JSON.stringify([w[0], w[1], w[2], w[4], w[5]]) + (w[6] === 1 ? inflateRawSync(body) : body).toString('utf8');
    } catch {
      return undefined;
    }
  };
  const ua = unpacked(a);
  return ua !== undefined && ua === unpacked(b);
}

/** The format version a log message was written in, or undefined when it is not one. */
export function messageVersion(bytes: Uint8Array): number | undefined {
  try {
    const w = decode(bytes);
    return Array.isArray(w) && typeof w[0] === 'number' ? w[0] : undefined;
  } catch {
    return undefined;
  }
}

/** Read one log message back. Throws `HlobError` naming what is wrong (the caller treats it as a gap). */
export function decodeBlock(bytes: Uint8Array): LogBlock {
  let w: unknown;
  try {
    w = decode(bytes);
  } catch (err) {
    bad(`not msgpack (${(err as Error).message})`);
  }
  if (!Array.isArray(w) || w.length < 7) bad('not [version, height, time, body, partial, statusesEnd, packing]');
  const [version, height, time, body, partial, statusesEnd, packing] = w as Wire;
  if (version !== CODEC_VERSION)
    bad(`format version ${String(version)}, this server reads ${CODEC_VERSION} (the cores publishing and the edges reading a log must run the same version)`);
  if (
    !Number.isSafeInteger(height) ||
    typeof time !== 'number' ||
    !(body instanceof Uint8Array) ||
    !Array.isArray(partial) ||
    !Number.isSafeInteger(statusesEnd) ||
    (packing !== 0 && packing !== 1)
  )
    bad('fields of the wrong type');
  const raw = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let text: string;
  try {
    text = (packing === 1 ? inflateRawSync(raw) : raw).toString('utf8');
  } catch (err) {
    bad(`block ${height}: body does not inflate (${(err as Error).message})`);
  }
  if (text.charCodeAt(statusesEnd) !== 10) bad(`block ${height}: no newline after the statuses at ${statusesEnd}`);
  let rest: unknown;
  try {
    rest = JSON.parse(text.slice(statusesEnd + 1));
  } catch (err) {
    bad(`block ${height}: body is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(rest) || rest.length < 3 || !Array.isArray(rest[0]) || !Array.isArray(rest[1]) || !Array.isArray(rest[2]))
    bad(`block ${height}: body is not [statuses, diffs, fills]`);
  const table = rest[0] as TableEntry[];
  const statuses: OrderStatusEvent[] = new Array<OrderStatusEvent>(table.length);
  for (let i = 0; i < table.length; i++) {
    const t = table[i]!;
    if (
      !Array.isArray(t) ||
      typeof t[0] !== 'string' ||
      typeof t[1] !== 'string' ||
      typeof t[2] !== 'number' ||
      !(t[3] >= 0 && t[3] < t[4] && t[4] <= statusesEnd)
    )
      bad(`block ${height}: status ${i} is not [status, coin, oid, start, end] within the statuses`);
    statuses[i] = new RawStatus(t[0], t[1], t[2], text, t[3], t[4]);
  }
  return { block: { height, time, statuses, diffs: rest[1] as BookDiffEvent[], fills: rest[2] as FillEvent[] }, partial, bytes: bytes.length };
}

/** The height a message's `Nats-Msg-Id` names, or NaN. */
export function heightOfMsgId(id: string | undefined): number {
  return id === undefined || !/^\d+$/.test(id) ? NaN : Number(id);
}
