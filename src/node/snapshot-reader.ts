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
      // The structure above the orders: a few bytes per order, read with the state in fields.
      this.depth = depth;
      this.inStr = false;
      const s = this.structure(c, i);
      depth = this.depth;
      inStr = this.inStr;
      if (s !== null) {
        stop = s;
        // An error or an order start is looked at again by the caller; any other stop is past its byte.
        if (s !== 'error' && s !== 'orderStart') i++;
        break;
      }
    }
    this.depth = depth;
    this.inStr = inStr;
    this.esc = esc;
    this.pos = i;
    return stop;
  }

  /** One byte of the structure above the orders, outside strings: a stop, or null to go on. */
  private structure(c: number, i: number): Stop | 'error' | null {
    if (this.done) return isSpace(c) ? null : this.fail('data after the end of the snapshot');
    if (c === QUOTE) return this.nameOpens(i);
    if (c === LBRACKET || c === LBRACE) return this.opens(c, i);
    if (c === RBRACKET || c === RBRACE) return this.closes();
    if (c === COMMA) return this.comma(i);
    if (!isSpace(c) && this.depth !== 1) return this.fail(`unexpected ${JSON.stringify(String.fromCharCode(c))} at depth ${this.depth}`);
    return null;
  }

  private fail(problem: string): 'error' {
    this.problem = problem;
    return 'error';
  }

  /** Above the orders, the only strings are coin names. */
  private nameOpens(i: number): 'error' | null {
    if (this.depth !== 3 || this.idx[3] !== 0) return this.fail(`unexpected string at depth ${this.depth}`);
    this.inStr = true;
    this.nameStart = i;
    return null;
  }

  private opens(c: number, i: number): Stop | 'error' | null {
    const depth = ++this.depth;
    if (c !== LBRACKET) return this.fail(`an object where an array belongs (depth ${depth})`);
    if (depth === ORDER) {
      if (!this.want) return null;
      if (this.fastFrom >= 0 && i >= this.fastFrom) {
        this.depth--;
        return 'orderStart';
      }
      this.orderStart = i;
      if (this.batchStart < 0) this.batchStart = i;
      return null;
    }
    const idx = this.idx;
    idx[depth] = 0;
    if (depth === 1) this.heightStart = i + 1;
    else if (depth === 2 && idx[1] !== 1) {
      return this.fail(idx[1] === 0 ? 'no height before the coin list (was includeHeightInOutput set?)' : 'the coin list is not the second element');
    } else if (depth === 4 && idx[3] !== 1) return this.fail('a coin entry is not [coin, [bids, asks]]');
    else if (depth === 5) {
      const s = idx[4]!;
      if (s > 1) return this.fail('more than two sides');
      this.side = s as 0 | 1;
    }
    return null;
  }

  private closes(): Stop | null {
    const depth = --this.depth;
    // A side ended: hand over its last run before the next side begins.
    if (depth === 4 && this.batchCount > 0) return 'batch';
    if (depth === 2) return 'coinEnd';
    if (depth === 0) {
      this.done = true;
      return 'end';
    }
    return null;
  }

  private comma(i: number): Stop | null {
    const idx = this.idx;
    if (this.depth === 1 && idx[1] === 0) {
      this.heightEnd = i;
      idx[1] = 1;
      return 'height';
    }
    idx[this.depth]!++;
    return null;
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
    if (
      typeof o !== 'object' ||
      o === null ||
      typeof o.oid !== 'number' ||
      typeof o.limitPx !== 'string' ||
      typeof o.sz !== 'string' ||
      (o.side !== 'B' && o.side !== 'A')
    ) {
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
export function readSnapshotFile(path: string, sink: SnapshotSink, opts: SnapshotReadOptions = {}): Promise<SnapshotSummary> {
  return new SnapshotFileReader(path, sink, opts).read();
}

interface Chunk {
  chunk: Buffer;
  bytesRead: number;
}

/** One read of one snapshot file: chunks in, runs of orders out to the sink. */
class SnapshotFileReader {
  private readonly sc = new Scanner();
  private readonly chunkBytes: number;
  private readonly batchMax: number;
  private readonly batchBytes: number;
  private readonly sliceMs: number;
  private height: number | undefined;
  /** The coin whose orders are being read. */
  private coin = '';
  private coins = 0;
  private orders = 0;
  private readonly users = new Map<string, string>();
  /** When the current slice of work started (see `sliceMs`). */
  private t0 = performance.now();

  constructor(
    private readonly path: string,
    private readonly sink: SnapshotSink,
    private readonly opts: SnapshotReadOptions,
  ) {
    this.chunkBytes = opts.chunkBytes ?? 1024 * 1024;
    this.batchMax = opts.batchOrders ?? 1000;
    this.batchBytes = opts.batchBytes ?? 256 * 1024;
    this.sliceMs = opts.sliceMs ?? 4;
    if (!(opts.fastCut ?? true)) this.sc.fastFrom = -1;
  }

  async read(): Promise<SnapshotSummary> {
    const path = this.path;
    const fh = await open(path, 'r').catch((err: unknown) => {
      throw badSnapshot(path, (err as Error).message, err);
    });
    const readChunk = async (at: number): Promise<Chunk> => {
      const chunk = Buffer.allocUnsafe(this.chunkBytes);
      const { bytesRead } = await fh.read(chunk, 0, this.chunkBytes, at);
      return { chunk, bytesRead };
    };
    let filePos = 0;
    let carry: Buffer = Buffer.alloc(0);
    let next: Promise<Chunk> | null = null;
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
        // What was carried over is scanned already.
        await this.scanBuffer(buf, base, carry.length);
        carry = this.carryOver(buf, base);
      }
    } finally {
      await next?.catch(() => undefined);
      await fh.close();
    }
    const sc = this.sc;
    if (!sc.done || this.height === undefined) {
      throw badSnapshot(path, `ends early after ${filePos} bytes (depth ${sc.depth}${sc.inStr ? ', inside a string' : ''}): not a complete file`);
    }
    return { height: this.height, coins: this.coins, orders: this.orders, bytes: filePos };
  }

  /** Scan `buf` (which starts at file offset `base`) from `from`, handing over what is found, yielding to the loop every slice. */
  private async scanBuffer(buf: Buffer, base: number, from: number): Promise<void> {
    const sc = this.sc;
    let i = from;
    while (i < buf.length) {
      const stop = sc.scan(buf, i, buf.length, this.batchMax);
      i = this.onStop(stop, buf, base, sc.pos);
      if (performance.now() - this.t0 >= this.sliceMs) {
        await yieldToLoop();
        this.opts.signal?.throwIfAborted();
        this.t0 = performance.now();
      }
    }
  }

  /** Act on what the scan stopped for at `i`; returns where to scan on. */
  private onStop(stop: Stop | 'error', buf: Buffer, base: number, i: number): number {
    const sc = this.sc;
    switch (stop) {
      case 'error':
        throw badSnapshot(this.path, `${sc.problem} at offset ${base + i}`);
      case 'height':
        this.onHeight(buf.toString('utf8', sc.heightStart, sc.heightEnd).trim());
        break;
      case 'coin':
        this.onCoin(JSON.parse(buf.toString('utf8', sc.nameStart, sc.nameEnd)) as string);
        break;
      case 'batch':
        this.flush(buf, base);
        break;
      case 'orderStart':
        // Orders the byte scan found before this one go first.
        this.flush(buf, base);
        sc.batchStart = -1;
        if (!this.fastRun(buf, i) && sc.fastFrom <= i) sc.fastFrom = buf.length;
        return sc.pos;
      case 'coinEnd':
      case 'end':
      case 'none':
        break;
    }
    return i;
  }

  private onHeight(text: string): void {
    const h = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(h))
      throw badSnapshot(this.path, `height ${JSON.stringify(text.slice(0, 40))} is not a block number (was includeHeightInOutput set?)`);
    this.height = h;
    this.sink.height(h);
  }

  private onCoin(coin: string): void {
    const sc = this.sc;
    this.coin = coin;
    sc.nameStart = sc.nameEnd = -1;
    sc.want = this.opts.coins === undefined || this.opts.coins.has(coin);
    this.coins++;
    this.sink.coin(coin, sc.want);
  }

  /** Hand over the run of orders the byte scan collected. */
  private flush(buf: Buffer, base: number): void {
    const sc = this.sc;
    if (sc.batchCount === 0) return;
    let parsed: unknown[];
    try {
      parsed = JSON.parse(`[${buf.toString('utf8', sc.batchStart, sc.batchEnd)}]`) as unknown[];
    } catch (err) {
      throw badSnapshot(this.path, `orders of ${this.coin} at offset ${base + sc.batchStart} are not JSON: ${(err as Error).message}`, err);
    }
    this.deliver(parsed);
    sc.batchStart = sc.orderStart >= 0 ? sc.orderStart : -1;
    sc.batchEnd = -1;
    sc.batchCount = 0;
  }

  /** A run of whole orders from `start` cut with indexOf; false when none is found or it does not parse. */
  private fastRun(buf: Buffer, start: number): boolean {
    const end = fastCutEnd(buf, start, this.batchBytes);
    if (end < 0) return false;
    let parsed: unknown[];
    try {
      parsed = JSON.parse(`[${buf.toString('utf8', start, end)}]`) as unknown[];
    } catch {
      // A cut inside a string (or a deeper structure): scan this stretch byte by byte.
      this.sc.fastFrom = end;
      return false;
    }
    this.deliver(parsed);
    this.sc.pos = end;
    return true;
  }

  private deliver(parsed: unknown[]): void {
    this.orders += parsed.length;
    this.sink.orders(this.coin, this.sc.side, checkOrders(this.path, this.coin, parsed, this.users));
  }

  /** Orders complete in `buf` go now; returns the unfinished piece to carry over to the next chunk. */
  private carryOver(buf: Buffer, base: number): Buffer {
    const sc = this.sc;
    this.flush(buf, base);
    sc.batchStart = -1;
    const keep = sc.keepFrom();
    const carry = keep < 0 ? Buffer.alloc(0) : Buffer.from(buf.subarray(keep));
    sc.shift(keep < 0 ? buf.length : keep);
    if (sc.fastFrom >= 0) sc.fastFrom = 0;
    if (sc.depth >= ORDER && sc.want) sc.batchStart = sc.orderStart;
    return carry;
  }
}

/**
 * Where a fast cut of orders starting at `start` ends (just after an order's `}]`): about
 * `batchBytes` on, at the side's end if that comes first, else at the last whole order in
 * the buffer; -1 when the buffer holds no order's end.
 */
function fastCutEnd(buf: Buffer, start: number, batchBytes: number): number {
  const n = buf.length;
  const target = start + batchBytes;
  let limit = n;
  if (target < n) {
    const c = buf.indexOf(NEXT_ORDER, target);
    if (c >= 0 && c + NEXT_ORDER.length <= n) limit = c + 2;
  }
  const se = buf.subarray(start, limit).indexOf(SIDE_END);
  if (se >= 0) return start + se + 2;
  if (limit < n) return limit;
  const c = buf.lastIndexOf(NEXT_ORDER, n - NEXT_ORDER.length);
  return c >= start ? c + 2 : -1;
}
