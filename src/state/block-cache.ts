/**
 * Blocks kept while a snapshot loads, to replay on top of it. Bounded in bytes, and each
 * block is cut down to what applying needs: a coin's diffs and only the statuses of orders
 * that a `new` diff puts on the book (95 % of statuses are rejections), no fills (their
 * trades were never going to be sent).
 */
import type { Block } from '../book/events.js';
import { plainStatus, statusOid } from '../book/raw-status.js';
import type { JoinedBlock } from '../node/joiner.js';
import { Fifo } from '../util/fifo.js';

export interface CachedBlock {
  block: Block;
  /** Estimated bytes (from the line sizes, scaled by what was kept). */
  bytes: number;
}

/** `block` reduced to what rebuilding `coins` (every coin when undefined) needs. */
export function compactBlock(joined: JoinedBlock, coins?: ReadonlySet<string>): CachedBlock {
  const b = joined.block;
  const diffs = coins === undefined ? b.diffs : b.diffs.filter((d) => coins.has(d.coin));
  const opened = new Set<number>();
  for (const d of diffs) {
    const rbd = d.raw_book_diff;
    if (typeof rbd === 'object' && 'new' in rbd) opened.add(d.oid);
  }
  const statuses = opened.size === 0 ? [] : b.statuses.filter((s) => opened.has(statusOid(s))).map(plainStatus);
  const share = (kept: number, all: number): number => (all === 0 ? 0 : kept / all);
  const bytes =
    Math.ceil(joined.lineBytes.statuses * share(statuses.length, b.statuses.length) + joined.lineBytes.diffs * share(diffs.length, b.diffs.length)) + 200;
  return { block: { height: b.height, time: b.time, statuses, diffs, fills: [] }, bytes };
}

export class BlockCache {
  private readonly blocks = new Fifo<CachedBlock>();
  private total = 0;
  /** Blocks dropped from the front to stay under the bound, since the last clear. */
  evicted = 0;

  /** @param maxBytes Bound on the estimated bytes held; the oldest blocks go first. */
  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  get length(): number {
    return this.blocks.length;
  }

  /** Height of the oldest block held. */
  first(): number | undefined {
    return this.blocks.peek()?.block.height;
  }

  push(c: CachedBlock): void {
    this.blocks.push(c);
    this.total += c.bytes;
    while (this.total > this.maxBytes && this.length > 1) {
      this.shift();
      this.evicted++;
    }
  }

  /** Take the oldest block. */
  shift(): Block | undefined {
    const c = this.blocks.shift();
    if (c === undefined) return undefined;
    this.total -= c.bytes;
    return c.block;
  }

  clear(): void {
    this.blocks.clear();
    this.total = 0;
    this.evicted = 0;
  }
}
