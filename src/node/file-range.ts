/**
 * `blocksFromFiles`: a range of heights read back from the node's own hourly files, joined.
 *
 * When a snapshot comes back older than the first block the tailers delivered (they start
 * near the end of each file, and the node takes 10-30 s to write a snapshot), the blocks in
 * between are still on disk in this hour's and the previous hour's files. Reading them back
 * is much cheaper than asking the node for another snapshot (which loads the node, and on a
 * replay can never be newer). Each stream's files are searched by bisection on the byte
 * offset (a line's `block_number` is near its start), then read forward: only the lines in
 * the range are parsed, one block is held at a time. Both layouts: `blocksFromFiles` reads
 * the by-block files, `blocksFromStreamingFiles` the `_streaming` ones.
 */
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Block } from '../book/events.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { blockTimeMs, parseLineBytes, type StreamEvents } from './parse.js';
import { STREAMING_DIRS } from './format.js';
import { StreamJoiner } from './stream-joiner.js';
import { STREAMS, type BlockEnvelope, type StreamName } from './types.js';

export interface FileRangeOptions {
  /** How many of each stream's newest hourly files to search (this hour's and the previous one's). Default 2. */
  files?: number;
  /** Read size. Default 1 MiB. */
  readBytes?: number;
  signal?: AbortSignal;
}

const NAMES = Object.keys(STREAMS) as StreamName[];
const NEWLINE = 0x0a;
const HEIGHT = /"block_number":(\d+)/;
/** The node writes `local_time`, `block_time`, then `block_number`: within the first bytes of a line. */
const PREFIX_BYTES = 256;
const DATE = /^\d{8}$/;
const HOUR = /^(?:[0-9]|1[0-9]|2[0-3])$/;

/** The newest `n` hourly files of a stream directory, oldest first. */
export async function recentHourlyFiles(streamDir: string, n: number): Promise<string[]> {
  const hourly = join(streamDir, 'hourly');
  const list = async (dir: string): Promise<string[]> => readdir(dir).catch(() => [] as string[]);
  const found: { path: string; key: number }[] = [];
  const dates = (await list(hourly))
    .filter((d) => DATE.test(d))
    .sort()
    .reverse();
  for (const date of dates) {
    const hours = (await list(join(hourly, date))).filter((h) => HOUR.test(h)).map(Number);
    for (const h of hours) found.push({ path: join(hourly, date, String(h)), key: Number(date) * 100 + h });
    if (found.length >= n) break;
  }
  return found
    .sort((a, b) => a.key - b.key)
    .slice(-n)
    .map((f) => f.path);
}

/** The start and height of the first complete line starting at or after `offset`, if any. */
async function lineAtOrAfter(fh: FileHandle, offset: number, size: number, buf: Buffer): Promise<{ start: number; height: number } | undefined> {
  let start = offset;
  if (offset > 0) {
    // Find the newline that ends the line `offset - 1` belongs to.
    let pos = offset - 1;
    for (;;) {
      if (pos >= size) return undefined;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) return undefined;
      const nl = buf.subarray(0, bytesRead).indexOf(NEWLINE);
      if (nl !== -1) {
        start = pos + nl + 1;
        break;
      }
      pos += bytesRead;
    }
  }
  if (start >= size) return undefined;
  const { bytesRead } = await fh.read(buf, 0, Math.min(PREFIX_BYTES, size - start), start);
  const m = HEIGHT.exec(buf.toString('latin1', 0, bytesRead));
  if (m === null) throw new HlobError(ErrorCodes.BAD_LINE, `no block_number at the start of the line at offset ${start}`);
  return { start, height: Number(m[1]) };
}

/** Offset of the first line whose height is at least `from` (lines are in height order), or `size`. */
async function seek(fh: FileHandle, size: number, from: number, buf: Buffer): Promise<number> {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const l = await lineAtOrAfter(fh, mid, size, buf);
    if (l === undefined || l.height >= from) hi = mid;
    else lo = l.start + 1;
  }
  return (await lineAtOrAfter(fh, lo, size, buf))?.start ?? size;
}

/** Complete lines of `path` from `offset` on (an unfinished last line is left out). */
async function* linesFrom(fh: FileHandle, offset: number, readBytes: number): AsyncGenerator<{ bytes: Buffer; at: number }> {
  let buf = Buffer.allocUnsafe(readBytes);
  let have = 0;
  let pos = offset;
  for (;;) {
    if (have === buf.length) {
      // One line longer than the buffer: grow it.
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, have);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, have, buf.length - have, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    have += bytesRead;
    const view = buf.subarray(0, have);
    const base = pos - have;
    let lineStart = 0;
    for (let nl = view.indexOf(NEWLINE, 0); nl !== -1; nl = view.indexOf(NEWLINE, lineStart)) {
      if (nl > lineStart) yield { bytes: view.subarray(lineStart, nl), at: base + lineStart };
      lineStart = nl + 1;
    }
    // Keep the unfinished line at the front (copyWithin: the views yielded are already used).
    buf.copyWithin(0, lineStart, have);
    have -= lineStart;
  }
}

type Env<S extends StreamName> = BlockEnvelope<StreamEvents[S]>;

/** One stream's lines with heights in [from, to], in file order, parsed; with `onePast`, also the first line above `to`. */
async function* streamRange<S extends StreamName>(
  stream: S,
  files: string[],
  from: number,
  to: number,
  opts: Required<Omit<FileRangeOptions, 'signal'>>,
  onePast = false,
): AsyncGenerator<Env<S>> {
  const probe = Buffer.allocUnsafe(64 * 1024);
  for (const path of files) {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch {
      continue; // Pruned meanwhile: the other file may still hold the range.
    }
    try {
      const { size } = await fh.stat();
      let start: number;
      try {
        start = await seek(fh, size, from, probe);
      } catch (err) {
        throw new HlobError(ErrorCodes.BAD_LINE, `${path}: ${(err as Error).message}`, { cause: err });
      }
      for await (const { bytes, at } of linesFrom(fh, start, opts.readBytes)) {
        const m = HEIGHT.exec(bytes.toString('latin1', 0, Math.min(PREFIX_BYTES, bytes.length)));
        const h = m === null ? NaN : Number(m[1]);
        if (h < from) continue;
        // Later files hold only later heights: the range ends here (with `onePast`, after this line).
        if (h > to && !onePast) return;
        let env: Env<S>;
        try {
          env = parseLineBytes(stream, bytes);
        } catch (err) {
          throw new HlobError(ErrorCodes.BAD_LINE, `${path} offset ${at}: ${(err as Error).message}`, { cause: err });
        }
        yield env;
        if (h > to) return;
      }
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
}

/**
 * The blocks `from`..`to` (inclusive) from the node's files under `dataDir`, in order. Throws
 * `HLOB_ERR_HEIGHT_GAP` naming the first height and stream the files no longer (or do not yet)
 * hold, `HLOB_ERR_BAD_LINE` for a line in the range that does not parse.
 */
export async function* blocksFromFiles(dataDir: string, from: number, to: number, opts: FileRangeOptions = {}): AsyncGenerator<Block> {
  if (to < from) return;
  const o = { files: opts.files ?? 2, readBytes: opts.readBytes ?? 1024 * 1024 };
  const iters = {} as { [S in StreamName]: AsyncGenerator<Env<S>> };
  const heads: Partial<Record<StreamName, Env<StreamName>>> = {};
  for (const s of NAMES) {
    const files = await recentHourlyFiles(join(dataDir, STREAMS[s].dir), o.files);
    (iters as Record<StreamName, AsyncGenerator<Env<StreamName>>>)[s] = streamRange(s, files, from, to, o);
  }
  const next = async <S extends StreamName>(s: S, h: number): Promise<Env<S>> => {
    let head = heads[s] as Env<S> | undefined;
    while (head === undefined || head.block_number < h) {
      const r = await iters[s].next();
      if (r.done === true) throw new HlobError(ErrorCodes.HEIGHT_GAP, `block ${h} is not in the ${STREAMS[s].dir} files (they end before it)`);
      head = r.value;
    }
    heads[s] = head as Env<StreamName>;
    if (head.block_number !== h)
      throw new HlobError(ErrorCodes.HEIGHT_GAP, `block ${h} is not in the ${STREAMS[s].dir} files (next there: ${head.block_number})`);
    return head;
  };
  try {
    for (let h = from; h <= to; h++) {
      opts.signal?.throwIfAborted();
      const st = await next('statuses', h);
      const d = await next('diffs', h);
      const f = await next('fills', h);
      yield { height: h, time: blockTimeMs(st.block_time), statuses: st.events, diffs: d.events, fills: f.events };
    }
  } finally {
    await Promise.all(NAMES.map((s) => iters[s].return(undefined)));
  }
}

/**
 * The blocks `from`..`to` from the `_streaming` files (one event a line, the block envelope on
 * each), put together by the same `StreamJoiner` as live: every stream's lines are pushed in
 * height order across the streams, so a block closes as soon as a line of a later block comes
 * (no close timer). So block `to` is known whole only by a later line in some stream, and a
 * height with no line in any stream is an empty block (its time the previous block's), as
 * live; too many in a row is a gap. `from` must have a line: the files may begin after it
 * otherwise. Throws `HLOB_ERR_HEIGHT_GAP` naming the height the files do not show whole,
 * `HLOB_ERR_BAD_LINE` for a line in the range that does not parse.
 */
export async function* blocksFromStreamingFiles(dataDir: string, from: number, to: number, opts: FileRangeOptions = {}): AsyncGenerator<Block> {
  if (to < from) return;
  const o = { files: opts.files ?? 2, readBytes: opts.readBytes ?? 1024 * 1024 };
  const iters = {} as Record<StreamName, AsyncGenerator<Env<StreamName>>>;
  for (const s of NAMES) iters[s] = streamRange(s, await recentHourlyFiles(join(dataDir, STREAMING_DIRS[s]), o.files), from, to, o, true);
  const heads: Partial<Record<StreamName, Env<StreamName>>> = {};
  const advance = async (s: StreamName): Promise<void> => {
    const r = await iters[s].next();
    if (r.done === true) delete heads[s];
    else heads[s] = r.value;
  };
  const closed: Block[] = [];
  let gap: HlobError | undefined;
  // Lines come in height order across the streams: a later height means every earlier block is whole.
  const joiner = new StreamJoiner({ block: (jb) => closed.push(jb.block), gap: (g) => (gap ??= g.error) }, { blockCloseMs: 0, blockIdleMs: 0 });
  // Each stream is read from its first line at or above `from`: that height is whole in every stream.
  for (const s of NAMES) joiner.markWhole(s);
  let next = from;
  let first = true;
  try {
    for (const s of NAMES) await advance(s);
    for (;;) {
      opts.signal?.throwIfAborted();
      let lowest: StreamName | undefined;
      for (const s of NAMES) if (heads[s] !== undefined && (lowest === undefined || heads[s].block_number < heads[lowest]!.block_number)) lowest = s;
      if (lowest === undefined) {
        throw new HlobError(ErrorCodes.HEIGHT_GAP, `block ${next} is not whole in the streaming files (they end before a later block shows it complete)`);
      }
      const env = heads[lowest]!;
      if (first && env.block_number !== from) {
        throw new HlobError(ErrorCodes.HEIGHT_GAP, `block ${from} is not in the streaming files (first line there: block ${env.block_number})`);
      }
      joiner.push(lowest, env, 0);
      first = false;
      // What closed before a gap is whole: it goes out first.
      for (const b of closed.splice(0)) {
        yield b;
        next = b.height + 1;
      }
      if (next > to) return;
      if (gap !== undefined) throw gap;
      await advance(lowest);
    }
  } finally {
    joiner.close();
    await Promise.all(NAMES.map((s) => iters[s].return(undefined)));
  }
}
