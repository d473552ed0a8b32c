/**
 * Reads the node's L4 snapshot file (`[height, [[coin, [[bids…], [asks…]]]…]]`) without
 * freezing the event loop. `JSON.parse` of the whole file (180 MB for 500,000 orders) would
 * block for over a second, and a worker's `postMessage` of the parsed object costs more. So:
 * read in chunks, find runs of whole orders, `JSON.parse` each run, hand it to a sink, and
 * yield to the loop every few ms.
 *
 * Finding the runs: the structure above the orders goes through a string-aware bracket
 * scan. Inside a side, a run is cut with a native `indexOf` at the next `}],["` (one order's
 * end, the next one's start) or `}]]` (the side's end), which never occur elsewhere in the
 * node's order JSON except inside strings. A wrong cut cannot go unnoticed: it leaves an
 * unterminated string or bracket, `JSON.parse` fails, and that stretch is scanned byte by
 * byte instead. The byte scan alone costs about as much as `JSON.parse` itself.
 */
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { ErrorCodes, HlobError } from '../errors.js';
import type { NodeOrder } from './types.js';

/** Receives the snapshot piece by piece, in file order. */
export interface SnapshotSink {
  height(height: number): void;
  /** A coin starts; `wanted` is false when its orders are skipped (not in `coins`). */
  coin(coin: string, wanted: boolean): void;
  /** A run of one side's orders (0 bids, 1 asks), best first, time priority within a level. */
  orders(coin: string, side: 0 | 1, orders: [user: string, order: NodeOrder][]): void;
}

export interface SnapshotReadOptions {
  /** Parse only these coins' orders (the others are skipped by the scan). Default: every coin. */
  coins?: ReadonlySet<string>;
  /** Bytes of orders per `JSON.parse` and `sink.orders` call. Default 256 KiB (~700 orders). */
  batchBytes?: number;
  /** Orders per run where the byte scan finds them. Default 1,000. */
  batchOrders?: number;
  /** Cut runs with `indexOf` (see above); off: the byte scan everywhere (tests). Default true. */
  fastCut?: boolean;
  /** Work at most this long before yielding to the event loop, ms. Default 4. */
  sliceMs?: number;
  /** Read size. Default 1 MiB. */
  chunkBytes?: number;
  signal?: AbortSignal;
}

export interface SnapshotSummary {
  height: number;
  coins: number;
  orders: number;
  bytes: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const COMMA = 0x2c;

/** Depths: 1 top, 2 coin list, 3 `[coin, sides]`, 4 `[bids, asks]`, 5 a side, 6 an order `[user, {…}]`. */
const ORDER = 6;

type Stop = 'none' | 'height' | 'coin' | 'batch' | 'coinEnd' | 'end' | 'orderStart';

/** One order's end and the next one's start, within a side. */
const NEXT_ORDER = Buffer.from('}],["');
/** The last order's end and its side's end. */
const SIDE_END = Buffer.from('}]]');

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The byte-level state machine; positions are indexes into the current buffer (-1: none). */
class Scanner {
  depth = 0;
  inStr = false;
  esc = false;
  done = false;
  /** Element index within the open container at each depth up to a side. */
  readonly idx = [0, 0, 0, 0, 0, 0];
  /** Record orders of the current coin (false: skip them). */
  want = true;
  side: 0 | 1 = 0;
  heightStart = -1;
  heightEnd = -1;
  nameStart = -1;
  nameEnd = -1;
  orderStart = -1;
  batchStart = -1;
  batchEnd = -1;
  batchCount = 0;
  /** Where the last `scan` stopped. */
  pos = 0;
  /** Stop at an order's start for a fast cut (see the file comment) from this position on; -1: never. */
  fastFrom = 0;
  /** Why (or the error message). */
  problem = '';

  /** Scan `buf[from, to)` until something for the caller happens; `pos` is where to go on. */
  scan(buf: Buffer, from: number, to: number, batchMax: number): Stop | 'error' {
    let depth = this.depth;
    let inStr = this.inStr;
    let esc = this.esc;
    const idx = this.idx;
    let stop: Stop | 'error' = 'none';
    let i = from;
    for (; i < to; i++) {
      const c = buf[i]!;
      if (inStr) {
        if (esc) esc = false;
        else if (c === BACKSLASH) esc = true;
        else if (c === QUOTE) {
          inStr = false;
          if (depth === 3 && this.nameStart >= 0) {
            this.nameEnd = i + 1;
            stop = 'coin';
            i++;
            break;
          }
        }
        continue;
      }
      if (depth >= ORDER) {
        // The hot path: inside an order, only nesting and strings matter.
        if (c === QUOTE) inStr = true;
        else if (c === LBRACKET || c === LBRACE) depth++;
        else if (c === RBRACKET || c === RBRACE) {
          depth--;
          if (depth === ORDER - 1 && this.want) {
            this.batchEnd = i + 1;
            this.orderStart = -1;
            if (++this.batchCount >= batchMax) {
              stop = 'batch';
              i++;
              break;
            }
          }
        }
        continue;
      }
      if (this.done) {
        if (!isSpace(c)) {
          this.problem = `data after the end of the snapshot`;
          stop = 'error';
          break;
        }
        continue;
      }
      if (c === QUOTE) {
        // Above the orders, the only strings are coin names.
        if (depth !== 3 || idx[3] !== 0) {
          this.problem = `unexpected string at depth ${depth}`;
          stop = 'error';
          break;
        }
        inStr = true;
        this.nameStart = i;
      } else if (c === LBRACKET || c === LBRACE) {
        depth++;
        if (c !== LBRACKET) {
          this.problem = `an object where an array belongs (depth ${depth})`;
          stop = 'error';
          break;
        }
        if (depth === ORDER) {
          if (this.want) {
            if (this.fastFrom >= 0 && i >= this.fastFrom) {
              depth--;
              stop = 'orderStart';
              break;
            }
            this.orderStart = i;
            if (this.batchStart < 0) this.batchStart = i;
          }
          continue;
        }
        idx[depth] = 0;
        if (depth === 1) this.heightStart = i + 1;
        else if (depth === 2 && idx[1] !== 1) {
          this.problem = idx[1] === 0 ? 'no height before the coin list (was includeHeightInOutput set?)' : 'the coin list is not the second element';
          stop = 'error';
          break;
        } else if (depth === 4 && idx[3] !== 1) {
          this.problem = 'a coin entry is not [coin, [bids, asks]]';
          stop = 'error';
          break;
        } else if (depth === 5) {
          const s = idx[4]!;
          if (s > 1) {
            this.problem = 'more than two sides';
            stop = 'error';
            break;
          }
          this.side = s as 0 | 1;
        }
      } else if (c === RBRACKET || c === RBRACE) {
        depth--;
        if (depth === 4 && this.batchCount > 0) {
          // A side ended: hand over its last run before the next side begins.
          stop = 'batch';
          i++;
          break;
        }
        if (depth === 2) {
          stop = 'coinEnd';
          i++;
          break;
        }
        if (depth === 0) {
          this.done = true;
          stop = 'end';
          i++;
          break;
        }
      } else if (c === COMMA) {
        if (depth === 1 && idx[1] === 0) {
          this.heightEnd = i;
          idx[1] = 1;
          stop = 'height';
          i++;
          break;
        }
        idx[depth]!++;
      } else if (!isSpace(c) && depth !== 1) {
        this.problem = `unexpected ${JSON.stringify(String.fromCharCode(c))} at depth ${depth}`;
        stop = 'error';
        break;
      }
    }
    this.depth = depth;
    this.inStr = inStr;
    this.esc = esc;
    this.pos = i;
    return stop;
  }

  /** First byte still needed after this buffer (-1: none). */
  keepFrom(): number {
    let k = -1;
    const take = (p: number): void => {
      if (p >= 0 && (k < 0 || p < k)) k = p;
    };
    if (this.depth >= ORDER && this.want) take(this.orderStart);
    if (this.nameStart >= 0 && this.nameEnd < 0) take(this.nameStart);
    if (this.heightStart >= 0 && this.heightEnd < 0) take(this.heightStart);
    return k;
  }

  /** The buffer now starts at old position `by`. */
  shift(by: number): void {
    const s = (p: number): number => (p >= 0 ? p - by : p);
    this.orderStart = s(this.orderStart);
    this.nameStart = s(this.nameStart);
    this.heightStart = s(this.heightStart);
  }
}

function badSnapshot(path: string, what: string, cause?: unknown): HlobError {
  return new HlobError(ErrorCodes.BAD_SNAPSHOT, `L4 snapshot ${path}: ${what}`, cause === undefined ? undefined : { cause });
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Check each parsed `[user, order]`, and make orders of one user share one `user` string: the
 * books keep it for every order (500,000 orders of a few thousand users), so this saves
 * memory and the garbage collector's copying of each order's own copy.
 */
function checkOrders(path: string, coin: string, parsed: unknown[], users: Map<string, string>): [string, NodeOrder][] {
  for (let k = 0; k < parsed.length; k++) {
    const p = parsed[k];
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string') throw badSnapshot(path, `${coin}: an order is not [user, order]`);
    const user = users.get(p[0] as string);
    if (user === undefined) users.set(p[0] as string, p[0] as string);
    else p[0] = user;
    const o = p[1] as Partial<NodeOrder> | null;
    if (typeof o !== 'object' || o === null || typeof o.oid !== 'number' || typeof o.limitPx !== 'string' || typeof o.sz !== 'string' || (o.side !== 'B' && o.side !== 'A')) {
      throw badSnapshot(path, `${coin}: order ${JSON.stringify(o).slice(0, 200)} lacks oid, side, limitPx or sz`);
    }
    if (o.coin !== coin) throw badSnapshot(path, `order ${o.oid} of ${JSON.stringify(o.coin)} listed under ${coin}`);
  }
  return parsed as [string, NodeOrder][];
}

/**
 * Read the snapshot at `path` into `sink`. Rejects with a `BAD_SNAPSHOT` error naming the
 * file and byte offset when it is not the node's shape or ends early (a truncated file).
 */
export async function readSnapshotFile(path: string, sink: SnapshotSink, opts: SnapshotReadOptions = {}): Promise<SnapshotSummary> {
  const chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  const batchMax = opts.batchOrders ?? 1000;
  const batchBytes = opts.batchBytes ?? 256 * 1024;
  const fastCut = opts.fastCut ?? true;
  const sliceMs = opts.sliceMs ?? 4;
  const wanted = opts.coins;
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw badSnapshot(path, (err as Error).message, err);
  });
  const sc = new Scanner();
  if (!fastCut) sc.fastFrom = -1;
  let height: number | undefined;
  let coin = '';
  let coins = 0;
  let orders = 0;
  const users = new Map<string, string>();
  let filePos = 0;
  let carry = Buffer.alloc(0);
  let t0 = performance.now();
  const readChunk = async (at: number): Promise<{ chunk: Buffer; bytesRead: number }> => {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    const { bytesRead } = await fh.read(chunk, 0, chunkBytes, at);
    return { chunk, bytesRead };
  };
  let next: Promise<{ chunk: Buffer; bytesRead: number }> | null = null;
  try {
    // The next chunk is read while this one is parsed.
    next = readChunk(filePos);
    while (true) {
      const { chunk, bytesRead } = await next;
      next = null;
      const base = filePos - carry.length;
      filePos += bytesRead;
      if (bytesRead === 0) break;
      next = readChunk(filePos);
      const buf = carry.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      const n = buf.length;
      const flush = (): void => {
        if (sc.batchCount === 0) return;
        let parsed: unknown[];
        try {
          parsed = JSON.parse(`[${buf.toString('utf8', sc.batchStart, sc.batchEnd)}]`) as unknown[];
        } catch (err) {
          throw badSnapshot(path, `orders of ${coin} at offset ${base + sc.batchStart} are not JSON: ${(err as Error).message}`, err);
        }
        orders += parsed.length;
        sink.orders(coin, sc.side, checkOrders(path, coin, parsed, users));
        sc.batchStart = sc.orderStart >= 0 ? sc.orderStart : -1;
        sc.batchEnd = -1;
        sc.batchCount = 0;
      };
      /** A run of whole orders from `start` cut with indexOf; false when none is found or it does not parse. */
      const fastRun = (start: number): boolean => {
        const target = start + batchBytes;
        let limit = n;
        if (target < n) {
          const c = buf.indexOf(NEXT_ORDER, target);
          if (c >= 0 && c + NEXT_ORDER.length <= n) limit = c + 2;
        }
        let end = -1;
        const se = buf.subarray(start, limit).indexOf(SIDE_END);
        if (se >= 0) end = start + se + 2;
        else if (limit < n) end = limit;
        else {
          const c = buf.lastIndexOf(NEXT_ORDER, n - NEXT_ORDER.length);
          if (c >= start) end = c + 2;
        }
        if (end < 0) return false;
        let parsed: unknown[];
        try {
          parsed = JSON.parse(`[${buf.toString('utf8', start, end)}]`) as unknown[];
        } catch {
          // A cut inside a string (or a deeper structure): scan this stretch byte by byte.
          sc.fastFrom = end;
          return false;
        }
        orders += parsed.length;
        sink.orders(coin, sc.side, checkOrders(path, coin, parsed, users));
        sc.pos = end;
        return true;
      };
      let i = carry.length;
      while (i < n) {
        const stop = sc.scan(buf, i, n, batchMax);
        i = sc.pos;
        switch (stop) {
          case 'error':
            throw badSnapshot(path, `${sc.problem} at offset ${base + i}`);
          case 'height': {
            const text = buf.toString('utf8', sc.heightStart, sc.heightEnd).trim();
            const h = Number(text);
            if (!/^\d+$/.test(text) || !Number.isSafeInteger(h)) throw badSnapshot(path, `height ${JSON.stringify(text.slice(0, 40))} is not a block number (was includeHeightInOutput set?)`);
            height = h;
            sink.height(h);
            break;
          }
          case 'coin': {
            coin = JSON.parse(buf.toString('utf8', sc.nameStart, sc.nameEnd)) as string;
            sc.nameStart = sc.nameEnd = -1;
            sc.want = wanted === undefined || wanted.has(coin);
            coins++;
            sink.coin(coin, sc.want);
            break;
          }
          case 'batch':
            flush();
            break;
          case 'orderStart':
            // Orders the byte scan found before this one go first.
            flush();
            sc.batchStart = -1;
            if (!fastRun(i)) {
              if (sc.fastFrom <= i) sc.fastFrom = n;
            }
            i = sc.pos;
            break;
          case 'coinEnd':
          case 'end':
          case 'none':
            break;
        }
        if (performance.now() - t0 >= sliceMs) {
          await yieldToLoop();
          opts.signal?.throwIfAborted();
          t0 = performance.now();
        }
      }
      // Orders complete in this buffer go now; only an unfinished piece is carried over.
      flush();
      sc.batchStart = -1;
      const keep = sc.keepFrom();
      carry = keep < 0 ? Buffer.alloc(0) : Buffer.from(buf.subarray(keep, n));
      sc.shift(keep < 0 ? n : keep);
      if (sc.fastFrom >= 0) sc.fastFrom = 0;
      if (sc.depth >= ORDER && sc.want) sc.batchStart = sc.orderStart;
    }
  } finally {
    await next?.catch(() => undefined);
    await fh.close();
  }
  if (!sc.done || height === undefined) {
    throw badSnapshot(path, `ends early after ${filePos} bytes (depth ${sc.depth}${sc.inStr ? ', inside a string' : ''}): not a complete file`);
  }
  return { height, coins, orders, bytes: filePos };
}
