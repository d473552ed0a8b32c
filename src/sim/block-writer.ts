/**
 * Writes blocks the way a node does: one line per block in each of the three by-block streams
 * (`events:[]` for an empty one), in `<data-dir>/node_*_by_block/hourly/{YYYYMMDD}/{H}`, a new
 * file each UTC hour of the block time; optionally the `_streaming` layout (one event per
 * line, same envelope). Lines are appended whole, or in pieces with `partialWrites` (as a node
 * without `--disable-output-file-buffering` may). Closed hourly files older than
 * `keepMinutes` are deleted, like the node's pruner.
 */
import { mkdir, open, readdir, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DATE_DIR, HOUR_FILE, STREAM_PREFIXES, byBlockDir, hourOf, hourStartMs, streamingDir, type StreamPrefix } from '../node/format.js';
import type { EventSink } from './event-sink.js';
import { ENVELOPE_END, envelopeStart } from './node-json.js';
import type { Rng } from '../util/rng.js';
import { codedError } from '../errors.js';
import { sleep as sleepFor } from '../util/abort.js';

export interface BlockWriterOptions {
  /** The node's data directory (the equivalent of `~/hl/data`). */
  dataDir: string;
  /** Also write the `_streaming` layout. Default false. */
  streaming?: boolean;
  /** Write the by-block layout. Default true (false with `streaming`: the streaming layout alone). */
  byBlock?: boolean;
  /**
   * Streaming layout: space a block's events over this long, in up to 8 slices, as a node
   * writes them while it processes the block (the by-block lines follow the last slice).
   * Default 0: all at once.
   */
  spreadMs?: number;
  /** Waits between slices. Default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Write each line in 2–3 pieces with a turn of the event loop between them. Default false. */
  partialWrites?: boolean;
  /** Delete closed hourly files that ended more than this many minutes ago. Default 60; `Infinity` keeps everything. */
  keepMinutes?: number;
  /** Chooses the split points of partial writes (deterministic). Required with `partialWrites`. */
  rng?: Rng;
}

export interface BlockToWrite {
  height: number;
  /** The node's time string of the block. */
  blockTime: string;
  /** Epoch ms of the block time (decides the hourly file). */
  blockMs: number;
  /** `local_time` of each stream's line, asked just before writing it. */
  localTime: (stream: StreamPrefix) => string;
  /** Events per stream, in `STREAM_PREFIXES` order. */
  events: readonly [EventSink, EventSink, EventSink];
  /** An injected fault (`--faults`, src/sim/faults.ts): lines left out, mangled or half-written. */
  fault?: { omit: ReadonlySet<StreamPrefix>; corrupt?: StreamPrefix; half?: StreamPrefix };
}

interface OpenFile {
  path: string;
  handle: FileHandle;
}

export class BlockWriter {
  private readonly files = new Map<string, OpenFile>();
  private readonly keepMs: number;
  /** Bytes written so far (all files). */
  bytes = 0;

  constructor(private readonly opts: BlockWriterOptions) {
    this.keepMs = (opts.keepMinutes ?? 60) * 60_000;
    if (opts.partialWrites && !opts.rng) throw codedError('USAGE', 'BlockWriter: partialWrites needs an rng');
  }

  async write(block: BlockToWrite): Promise<void> {
    const { date, hour } = hourOf(block.blockMs);
    const spread = this.opts.streaming === true && (this.opts.spreadMs ?? 0) > 0;
    if (spread) await this.writeSpread(block, date, hour);
    await Promise.all(
      STREAM_PREFIXES.map(async (stream, i) => {
        const events = block.events[i]!;
        if (this.opts.byBlock !== false) {
          const dir = byBlockDir(this.opts.dataDir, stream);
          const start = Buffer.from(envelopeStart(block.localTime(stream), block.blockTime, block.height));
          const fault = block.fault;
          if (fault === undefined) await this.append(dir, date, hour, [start, events.bytes(), END]);
          else if (!fault.omit.has(stream)) await this.append(dir, date, hour, [faulty(Buffer.concat([start, events.bytes(), END]), stream, fault)]);
        }
        if (this.opts.streaming && !spread && events.count > 0) await this.appendStreaming(block, stream, i, 0, events.count, date, hour);
      }),
    );
  }

  /** The streaming lines of events `from..to` of one stream, in one append. */
  private async appendStreaming(block: BlockToWrite, stream: StreamPrefix, i: number, from: number, to: number, date: string, hour: string): Promise<void> {
    const events = block.events[i]!;
    const fault = streamingFault(block);
    // Skip and restart: the stream's lines of the block are lost (a restart with a gap loses every stream's).
    if (fault !== undefined && fault.omit.has(stream)) return;
    const parts: Buffer[] = [];
    for (let e = from; e < to; e++) {
      const line = Buffer.concat([Buffer.from(envelopeStart(block.localTime(stream), block.blockTime, block.height)), events.event(e), END]);
      // Corrupt and half hit the stream's first line of the block: mangled, or cut without its newline.
      parts.push(fault !== undefined && e === 0 ? faulty(line, stream, fault) : line);
    }
    if (parts.length > 0) await this.append(streamingDir(this.opts.dataDir, stream), date, hour, [Buffer.concat(parts)]);
  }

  /** A block's streaming lines in slices spaced over `spreadMs`, each stream's share of the events in each slice. */
  private async writeSpread(block: BlockToWrite, date: string, hour: string): Promise<void> {
    const total = block.events.reduce((a, e) => a + e.count, 0);
    const slices = Math.max(1, Math.min(8, total));
    const pause = (this.opts.spreadMs ?? 0) / slices;
    const sleep = this.opts.sleep ?? ((ms: number) => sleepFor(ms));
    for (let k = 0; k < slices; k++) {
      await Promise.all(
        STREAM_PREFIXES.map((stream, i) => {
          const n = block.events[i]!.count;
          return this.appendStreaming(block, stream, i, Math.floor((n * k) / slices), Math.floor((n * (k + 1)) / slices), date, hour);
        }),
      );
      if (k < slices - 1 && pause > 0) await sleep(pause);
    }
  }

  /** Append whole lines (`parts` concatenated) to the stream's file of that hour. */
  private async append(dir: string, date: string, hour: string, parts: Buffer[]): Promise<void> {
    const path = join(dir, date, hour);
    let file = this.files.get(dir);
    if (!file || file.path !== path) {
      if (file) await file.handle.close();
      await mkdir(join(dir, date), { recursive: true });
      file = { path, handle: await open(path, 'a') };
      this.files.set(dir, file);
    }
    let total = 0;
    for (const p of parts) total += p.length;
    this.bytes += total;
    if (this.opts.partialWrites && this.opts.rng && total > 2) {
      const buf = Buffer.concat(parts, total);
      const rng = this.opts.rng;
      const cuts = [1 + rng.int(total - 1)];
      if (rng.chance(0.5)) cuts.push(1 + rng.int(total - 1));
      cuts.sort((a, b) => a - b);
      let from = 0;
      for (const cut of [...cuts, total]) {
        if (cut > from) {
          await writeAll(file.handle, buf.subarray(from, cut));
          from = cut;
          if (from < total) await new Promise<void>((r) => setImmediate(r));
        }
      }
      return;
    }
    // One writev: the line reaches the file in one append.
    const { bytesWritten } = await file.handle.writev(parts);
    if (bytesWritten < total) await writeAll(file.handle, Buffer.concat(parts, total).subarray(bytesWritten));
  }

  /**
   * Delete hourly files (of every stream directory, ours or older runs') whose hour ended
   * more than `keepMinutes` before `nowMs`; never a file still open for writing.
   */
  async prune(nowMs: number): Promise<string[]> {
    if (!Number.isFinite(this.keepMs)) return [];
    const open = new Set([...this.files.values()].map((f) => f.path));
    const removed: string[] = [];
    for (const stream of STREAM_PREFIXES) {
      for (const dir of [byBlockDir(this.opts.dataDir, stream), streamingDir(this.opts.dataDir, stream)]) {
        const dates = await readdir(dir).catch(() => [] as string[]);
        for (const date of dates) {
          if (!DATE_DIR.test(date)) continue;
          const hours = await readdir(join(dir, date)).catch(() => [] as string[]);
          let left = hours.length;
          for (const h of hours) {
            if (!HOUR_FILE.test(h)) continue;
            const path = join(dir, date, h);
            const endMs = hourStartMs(date, Number(h) + 1);
            if (open.has(path) || endMs + this.keepMs > nowMs) continue;
            await unlink(path).catch(() => undefined);
            removed.push(path);
            left--;
          }
          if (left === 0) await rmdir(join(dir, date)).catch(() => undefined);
        }
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map((f) => f.handle.close()));
  }
}

const END = Buffer.from(ENVELOPE_END);

/**
 * A block's fault as the streaming lines take it: a stream with no event in the block has no
 * line to mangle there, so corrupt and half move to the first stream that has one.
 */
function streamingFault(block: BlockToWrite): BlockToWrite['fault'] {
  const f = block.fault;
  if (f === undefined || (f.corrupt === undefined && f.half === undefined)) return f;
  const has = (s: StreamPrefix | undefined): boolean => s !== undefined && block.events[STREAM_PREFIXES.indexOf(s)]!.count > 0;
  const target = STREAM_PREFIXES.find((s) => block.events[STREAM_PREFIXES.indexOf(s)]!.count > 0);
  const out: NonNullable<BlockToWrite['fault']> = { omit: f.omit };
  if (f.corrupt !== undefined) out.corrupt = has(f.corrupt) ? f.corrupt : target;
  if (f.half !== undefined) out.half = has(f.half) ? f.half : target;
  return out;
}

/** A line as a fault leaves it: mangled at its start (it no longer parses), or its first half alone. */
function faulty(line: Buffer, stream: StreamPrefix, fault: NonNullable<BlockToWrite['fault']>): Buffer {
  if (fault.corrupt === stream) {
    const out = Buffer.from(line);
    out.fill('#', 0, Math.min(24, out.length - 1));
    return out;
  }
  if (fault.half === stream) return line.subarray(0, Math.floor(line.length / 2));
  return line;
}

async function writeAll(handle: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await handle.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}
