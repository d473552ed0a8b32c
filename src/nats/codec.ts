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
 * an edge's `l4Book` Updates are the same bytes as a core's. Wire form (msgpack):
 * `[1, height, time, [[status, coin, oid, json]…], diffs, fills, partialCoins]`.
 */
import { decode, encode } from '@msgpack/msgpack';
import type { Block, BookDiffEvent, FillEvent, OrderStatusEvent } from '../book/events.js';
import { RawStatus, statusCoin, statusOid } from '../book/raw-status.js';
import type { BlockChange } from '../book/types.js';
import { ErrorCodes, HlobError } from '../errors.js';

export const CODEC_VERSION = 1;

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

type WireStatus = [status: string, coin: string, oid: number, json: string];
type Wire = [version: number, height: number, time: number, statuses: WireStatus[], diffs: BookDiffEvent[], fills: FillEvent[], partial: string[]];

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
  const wire: Wire = [
    CODEC_VERSION,
    block.height,
    block.time,
    statuses.map((s) => [s.status, statusCoin(s), statusOid(s), statusJson(s)]),
    block.diffs,
    block.fills,
    [...partial],
  ];
  return encode(wire);
}

function bad(why: string): never {
  throw new HlobError(ErrorCodes.BAD_LINE, `block log message: ${why}`);
}

/** Read one log message back. Throws `HlobError` naming what is wrong (the caller treats it as a gap). */
export function decodeBlock(bytes: Uint8Array): LogBlock {
  let w: unknown;
  try {
    w = decode(bytes);
  } catch (err) {
    bad(`not msgpack (${(err as Error).message})`);
  }
  if (!Array.isArray(w) || w.length < 7) bad('not [version, height, time, statuses, diffs, fills, partial]');
  const [version, height, time, statuses, diffs, fills, partial] = w as Wire;
  if (version !== CODEC_VERSION) bad(`version ${String(version)}, this server reads ${CODEC_VERSION}`);
  if (
    !Number.isSafeInteger(height) ||
    typeof time !== 'number' ||
    !Array.isArray(statuses) ||
    !Array.isArray(diffs) ||
    !Array.isArray(fills) ||
    !Array.isArray(partial)
  )
    bad('fields of the wrong type');
  const raw: OrderStatusEvent[] = new Array<OrderStatusEvent>(statuses.length);
  for (let i = 0; i < statuses.length; i++) {
    const s = statuses[i]!;
    if (!Array.isArray(s) || typeof s[3] !== 'string') bad(`status ${i} is not [status, coin, oid, json]`);
    raw[i] = new RawStatus(s[0], s[1], s[2], s[3], 0, s[3].length);
  }
  return { block: { height, time, statuses: raw, diffs, fills }, partial, bytes: bytes.length };
}

/** The height a message's `Nats-Msg-Id` names, or NaN. */
export function heightOfMsgId(id: string | undefined): number {
  return id === undefined || !/^\d+$/.test(id) ? NaN : Number(id);
}
