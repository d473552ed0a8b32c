/**
 * `CandleStore`: closed candles on disk, one append-only file of JSON lines per coin and
 * interval (`<dir>/<coin>/<interval>.jsonl`), bounded to `maxPerSeries` candles.
 *
 * Why it survives a kill -9: a candle is one `write` of one complete line appended at the
 * end; a process killed in the middle leaves at most a partial last line, which readers
 * ignore and the next writer cuts off before appending. A file grows to twice the bound,
 * then its newest `maxPerSeries` candles are written to a temporary file that is renamed
 * over it (a rename is atomic: a kill leaves the old file or the new one, never a mix).
 * Writes run in the background, one chain per file, so the block path never waits on disk;
 * a candle is served from memory until its line is written.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, accessSync, constants } from 'node:fs';
import { appendFile, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../../util/logger.js';
import { ErrorCodes, HlobError } from '../../errors.js';
import { asCandle, candleJson, type Candle } from './candle.js';
import { intervalFileName, type CandleInterval } from './intervals.js';

/** Candles kept per coin and interval by default: as many as one `candleSnapshot` answers. */
export const DEFAULT_MAX_PER_SERIES = 5000;

export interface CandleStoreOptions {
  dir: string;
  /** Candles kept per coin and interval (the file holds up to twice as many before it is compacted). Default 5,000. */
  maxPerSeries?: number;
  logger?: Logger;
}

interface SeriesFile {
  path: string;
  coin: string;
  interval: CandleInterval;
  /** Complete lines in the file, once known (the first write counts them). */
  lines: number | undefined;
  /** Candles queued or being written, oldest first. */
  pending: Candle[];
  /** The newest candle stored or queued, once looked up. */
  last: Candle | null | undefined;
  chain: Promise<void>;
}

/** Where candles go unless told: `hlob-candles` next to the node's data dir. */
export function defaultCandlesDir(dataDir: string): string {
  return join(dirname(resolve(dataDir)), 'hlob-candles');
}

/** A coin name as one safe path component (`PURR/USDC` → `PURR%2FUSDC`, never `.` or `..`). */
export function coinDirName(coin: string): string {
  return encodeURIComponent(coin).replace(/\./g, '%2E');
}

/** Parse a file's text: every complete, valid line, deduplicated by `t` (the last wins), in time order. */
export function parseCandleLines(text: string, coin: string, interval: CandleInterval): Candle[] {
  const byT = new Map<number, Candle>();
  const end = text.lastIndexOf('\n');
  if (end < 0) return [];
  for (const line of text.slice(0, end).split('\n')) {
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    const c = asCandle(v, coin, interval);
    if (c !== undefined) byT.set(c.t, c);
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

export class CandleStore {
  readonly dir: string;
  readonly maxPerSeries: number;
  private readonly logger: Logger | undefined;
  private readonly files = new Map<string, SeriesFile>();

  constructor(opts: CandleStoreOptions) {
    this.dir = opts.dir;
    this.maxPerSeries = opts.maxPerSeries ?? DEFAULT_MAX_PER_SERIES;
    this.logger = opts.logger;
    try {
      mkdirSync(this.dir, { recursive: true });
      accessSync(this.dir, constants.W_OK);
    } catch (err) {
      throw new HlobError(
        ErrorCodes.UNWRITABLE_DIR,
        `cannot write candles to ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (choose another with --candles-dir)`,
        { cause: err },
      );
    }
  }

  private series(coin: string, interval: CandleInterval): SeriesFile {
    const key = `${coin}\u0000${interval}`;
    let f = this.files.get(key);
    if (f === undefined) {
      f = {
        path: join(this.dir, coinDirName(coin), `${intervalFileName(interval)}.jsonl`),
        coin,
        interval,
        lines: undefined,
        pending: [],
        last: undefined,
        chain: Promise.resolve(),
      };
      this.files.set(key, f);
    }
    return f;
  }

  /**
   * The newest candle on disk or queued for this series, or null. Reads only the file's last
   * few KB, synchronously (once per series and process): a series starts in the block path.
   */
  last(coin: string, interval: CandleInterval): Candle | null {
    const f = this.series(coin, interval);
    if (f.last === undefined) f.last = readLastLine(f.path, coin, interval);
    return f.last;
  }

  /** Queue a closed candle for its file (in time order per series). */
  append(candle: Candle): void {
    const f = this.series(candle.s, candle.i);
    f.pending.push(candle);
    f.last = candle;
    f.chain = f.chain
      .then(() => this.write(f))
      .catch((err: unknown) => {
        this.logger?.warn({ err, file: f.path }, `candles not written to ${f.path}: ${(err as Error).message}`);
        f.pending.length = 0;
      });
  }

  /** Every stored candle of a series (disk and queued), deduplicated, in time order. */
  async read(coin: string, interval: CandleInterval): Promise<Candle[]> {
    const f = this.series(coin, interval);
    const queued = [...f.pending];
    let text = '';
    try {
      text = await readFile(f.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const stored = parseCandleLines(text, coin, interval);
    if (queued.length === 0) return stored;
    const byT = new Map(stored.map((c) => [c.t, c]));
    for (const c of queued) byT.set(c.t, c);
    return [...byT.values()].sort((a, b) => a.t - b.t);
  }

  /** Resolves once everything queued so far is written. */
  async flush(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.chain));
  }

  private async write(f: SeriesFile): Promise<void> {
    if (f.pending.length === 0) return;
    if (f.lines === undefined) f.lines = await this.prepare(f);
    const batch = f.pending.slice();
    await appendFile(f.path, batch.map((c) => candleJson(c) + '\n').join(''));
    f.pending.splice(0, batch.length);
    f.lines += batch.length;
    if (f.lines > 2 * this.maxPerSeries) f.lines = await this.compact(f);
  }

  /** Before the first append: create the folder, cut off a partial last line (a killed writer's), count the lines. */
  private async prepare(f: SeriesFile): Promise<number> {
    mkdirSync(join(this.dir, coinDirName(f.coin)), { recursive: true });
    await rm(f.path + '.tmp', { force: true });
    let buf: Buffer;
    try {
      buf = await readFile(f.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    const end = buf.lastIndexOf(0x0a) + 1;
    if (end < buf.length) {
      this.logger?.warn({ file: f.path, bytes: buf.length - end }, `cut an incomplete last line off ${f.path} (a write was interrupted)`);
      await truncate(f.path, end);
    }
    let n = 0;
    for (let i = 0; i < end; i++) if (buf[i] === 0x0a) n++;
    return n;
  }

  /** Keep the newest `maxPerSeries` candles: written aside, then renamed over the file. */
  private async compact(f: SeriesFile): Promise<number> {
    const all = parseCandleLines(await readFile(f.path, 'utf8'), f.coin, f.interval);
    const keep = all.slice(-this.maxPerSeries);
    const tmp = f.path + '.tmp';
    await writeFile(tmp, keep.map((c) => candleJson(c) + '\n').join(''));
    await rename(tmp, f.path);
    return keep.length;
  }
}

/** The last complete, valid line of a file, read from its end. */
function readLastLine(path: string, coin: string, interval: CandleInterval): Candle | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    for (let span = 4096; ; span *= 4) {
      const from = Math.max(0, size - span);
      const buf = Buffer.alloc(size - from);
      readSync(fd, buf, 0, buf.length, from);
      const candles = parseCandleLines(buf.toString('utf8'), coin, interval);
      if (candles.length > 0) return candles[candles.length - 1]!;
      if (from === 0) return null;
    }
  } finally {
    closeSync(fd);
  }
}
