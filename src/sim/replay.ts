/**
 * `startReplay`: recorded node data (a copy of `hl/data`, plain or gzip-compressed) written
 * again into a data directory, block by block, with the recorded spacing (`1x`) or at once
 * (`max`), while an info server answers with the recorded L4 snapshot. Lines are written
 * byte for byte as recorded, into the same `{YYYYMMDD}/{H}` files; the `_streaming` streams
 * are replayed too when present.
 */
import { EventEmitter } from 'node:events';
import { mkdir, open, readdir, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { L4SnapshotFile } from '../book/events.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { STREAM_PREFIXES, parseNodeTime, nsBetween, type NodeInstant } from '../node/format.js';
import { decimalPlaces } from '../book/decimal.js';
import { startInfoServer, type InfoServer } from './info-server.js';
import { runningNode, type RunningSim, type SimStats } from './running-node.js';
import { metaResponse, spotMetaResponse, type CoinSpec } from './market.js';
import { perpDexsResponse } from './public-info.js';
import { fileLines, hourlyFiles, resolveDataDir, type FileLine } from './node-files.js';
import { assertSnapshotShape, readSnapshotText } from './snapshot-file.js';
import { defaultNow, defaultSleep, ensureWritableDir, followAbort } from './seams.js';

export interface ReplayOptions {
  /** Recorded data: a directory holding `hl/data/node_*` (or the `node_*` directories themselves). */
  from: string;
  /** The recorded L4 snapshot file (`.gz` ok) served on `fileSnapshot`. */
  snapshot: string;
  /** Where to write the node's files. Created if missing. */
  dataDir: string;
  /** Info server port on 127.0.0.1; 0 picks a free one. Default 3001. */
  infoPort?: number;
  /** `'1x'` (alias `'realtime'`) keeps the recorded spacing of block times; `'max'` writes at once. Default `'1x'`. */
  speed?: '1x' | 'realtime' | 'max';
  signal?: AbortSignal;
  /** Time seam: epoch ms now. Default `performance.timeOrigin + performance.now()`. */
  now?: () => number;
  /** Time seam: resolve after `ms` (or when `signal` aborts). Default a timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** A recorded stream directory and where its lines go. */
interface Source {
  /** e.g. `node_fills_by_block` */
  name: string;
  byBlock: boolean;
  lines: AsyncGenerator<FileLine & { height: number; blockTime: string }>;
  head: (FileLine & { height: number; blockTime: string }) | null | undefined;
}

const HEIGHT = /"block_number":(\d+)/;
const BLOCK_TIME = /"block_time":"([^"]+)"/;

async function* recordedLines(hourlyDir: string): AsyncGenerator<FileLine & { height: number; blockTime: string }> {
  for (const file of await hourlyFiles(hourlyDir)) {
    for await (const fl of fileLines(file)) {
      const h = HEIGHT.exec(fl.text);
      const t = BLOCK_TIME.exec(fl.text);
      if (!h || !t) throw new HlobError(ErrorCodes.BAD_LINE, `${file}:${fl.line}: not a node block line (no block_number or block_time)`);
      yield { ...fl, height: Number(h[1]), blockTime: t[1]! };
    }
  }
}

/** Coins of a snapshot as far as `meta`/`spotMeta` need them (size decimals from the sizes seen). */
function coinsOfSnapshot(snap: L4SnapshotFile): CoinSpec[] {
  return snap[1].map(([name, sides], id) => {
    let szDecimals = 0;
    for (const side of sides) for (const [, o] of side) szDecimals = Math.max(szDecimals, decimalPlaces(o.sz), decimalPlaces(o.origSz));
    const spotIndex = /^@(\d+)$/.exec(name);
    const kind = spotIndex || name.includes('/') ? 'spot' : name.includes(':') ? 'hip3' : 'perp';
    const spec: CoinSpec = { name, json: JSON.stringify(name), kind, id, szDecimals, pxDecimals: 0, refPx: 1, minPx: 1, maxPx: 1, weight: 1, typicalLots: 1 };
    if (kind === 'spot') spec.spot = { pairIndex: spotIndex ? Number(spotIndex[1]) : 0, base: name.split('/')[0] ?? name, tokenIndex: 0, weiDecimals: 8 };
    if (kind === 'hip3') spec.dex = name.split(':')[0]!;
    return spec;
  });
}

/** The recorded snapshot: its text as served, parsed, and its coins array alone (served without height). */
interface RecordedSnapshot {
  text: string;
  parsed: L4SnapshotFile;
  coinsText: string;
}

async function loadSnapshot(path: string): Promise<RecordedSnapshot> {
  const text = (await readSnapshotText(path)).trim();
  let parsed: L4SnapshotFile;
  try {
    const value: unknown = JSON.parse(text);
    assertSnapshotShape(value, `snapshot ${path}`);
    parsed = value;
  } catch (err) {
    if (err instanceof HlobError) throw err;
    throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `snapshot ${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  // Without height, the file is the coins array: the text after `[height,` minus the last `]`.
  return { text, parsed, coinsText: text.slice(text.indexOf(',') + 1, -1) };
}

/** The recorded stream directories (`node_*_by_block`, and `node_*_streaming` when present), in name order. */
async function recordedStreamDirs(from: string): Promise<string[]> {
  const names = (await readdir(from)).filter((n) => STREAM_PREFIXES.some((s) => n === `${s}_by_block` || n === `${s}_streaming`)).sort();
  const lacking = STREAM_PREFIXES.filter((s) => !names.includes(`${s}_by_block`));
  if (lacking.length > 0) throw new HlobError(ErrorCodes.MISSING_DIR, `recorded data ${from} lacks ${lacking.map((s) => `${s}_by_block`).join(', ')}`);
  return names;
}

/** The info server of a replay: the recorded snapshot (written anew on each request), meta from its coins. */
function startReplayInfo(port: number, snap: RecordedSnapshot): Promise<InfoServer> {
  const coins = coinsOfSnapshot(snap.parsed);
  let counter = 0;
  return startInfoServer(port, {
    writeL4Snapshot: async (outPath, includeHeight) => {
      const tmp = `${outPath}.partial-${process.pid}-${++counter}`;
      try {
        await writeFile(tmp, includeHeight ? snap.text : snap.coinsText);
        await rename(tmp, outPath);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
    },
    meta: (dex) => metaResponse(coins, dex),
    spotMeta: () => spotMetaResponse(coins),
    perpDexs: () => perpDexsResponse(coins),
  });
}

function checkReplayOptions(options: ReplayOptions): { speed: '1x' | 'realtime' | 'max'; infoPort: number } {
  const speed = options.speed ?? '1x';
  if (speed !== '1x' && speed !== 'realtime' && speed !== 'max') throw new HlobError(ErrorCodes.CONFIG, `invalid speed: ${JSON.stringify(speed)} (1x or max)`);
  const infoPort = options.infoPort ?? 3001;
  if (!Number.isInteger(infoPort) || infoPort < 0 || infoPort > 65535) throw new HlobError(ErrorCodes.CONFIG, `invalid infoPort: ${JSON.stringify(infoPort)}`);
  return { speed, infoPort };
}

/**
 * Start replaying. Fails with nothing written on a missing or bad input (`HLOB_ERR_MISSING_DIR`,
 * `HLOB_ERR_BAD_SNAPSHOT`), a port in use (`HLOB_ERR_LISTEN`) or a data directory that cannot
 * be written (`HLOB_ERR_UNWRITABLE_DIR`).
 */
export async function startReplay(options: ReplayOptions): Promise<RunningSim> {
  const { speed, infoPort } = checkReplayOptions(options);
  const from = await resolveDataDir(resolve(options.from));
  const dataDir = resolve(options.dataDir);
  if (dataDir === from) throw new HlobError(ErrorCodes.CONFIG, `replay would write into its own input ${from}: choose another --data-dir`);
  const snap = await loadSnapshot(options.snapshot);
  const names = await recordedStreamDirs(from);
  const info = await startReplayInfo(infoPort, snap);
  try {
    await ensureWritableDir(dataDir, 'data directory');
  } catch (err) {
    await info.close();
    throw err;
  }
  const { abort, release } = followAbort(options.signal);
  const replayer = new Replayer({
    sources: names.map((name) => ({ name, byBlock: name.endsWith('_by_block'), lines: recordedLines(join(from, name, 'hourly')), head: undefined })),
    out: new ReplayFiles(dataDir),
    height: snap.parsed[0],
    realtime: speed !== 'max',
    now: options.now ?? defaultNow,
    sleep: options.sleep ?? defaultSleep,
    signal: abort.signal,
  });
  return runningNode({
    info,
    dataDir,
    coins: [],
    height: () => replayer.height,
    snapshot: () => snap.parsed,
    stats: () => ({ ...replayer.stats, bytes: replayer.out.bytes }),
    emitter: replayer.emitter,
    abort,
    done: replayer.run().finally(release),
  });
}

/** The files being written: one open file per stream directory, the recorded `{date}/{hour}` of each line. */
class ReplayFiles {
  private readonly files = new Map<string, { path: string; handle: FileHandle }>();
  bytes = 0;

  constructor(private readonly dataDir: string) {}

  async append(source: Source, fl: FileLine): Promise<void> {
    const hour = basename(fl.file).replace(/\.gz$/, '');
    const date = basename(dirname(fl.file));
    const path = join(this.dataDir, source.name, 'hourly', date, hour);
    let f = this.files.get(source.name);
    if (!f || f.path !== path) {
      if (f) await f.handle.close();
      await mkdir(dirname(path), { recursive: true });
      f = { path, handle: await open(path, 'a') };
      this.files.set(source.name, f);
    }
    const buf = Buffer.from(fl.text + '\n');
    this.bytes += buf.length;
    await f.handle.write(buf);
  }

  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map((f) => f.handle.close()));
  }
}

interface ReplayerParts {
  sources: Source[];
  out: ReplayFiles;
  /** The snapshot's height: the height before the first block. */
  height: number;
  /** Keep the recorded spacing of block times (else write at once). */
  realtime: boolean;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  signal: AbortSignal;
}

/** The replay loop: the lowest height any stream holds next, at its recorded time, every stream's lines of it. */
class Replayer {
  readonly emitter = new EventEmitter();
  readonly stats: Omit<SimStats, 'bytes'> = { blocks: 0, statuses: 0, rejected: 0, diffs: 0, fills: 0, restingOrders: 0 };
  readonly out: ReplayFiles;
  height: number;

  constructor(private readonly p: ReplayerParts) {
    this.out = p.out;
    this.height = p.height;
  }

  async run(): Promise<void> {
    const { sources, signal } = this.p;
    let first: NodeInstant | undefined;
    const startWall = this.p.now();
    try {
      for (;;) {
        if (signal.aborted) break;
        for (const s of sources) if (s.head === undefined) s.head = (await s.lines.next()).value ?? null;
        const live = sources.filter((s) => s.head);
        if (live.length === 0) break;
        const height = Math.min(...live.map((s) => s.head!.height));
        const blockTime = parseNodeTime(live.find((s) => s.head!.height === height)!.head!.blockTime);
        if (this.p.realtime) {
          first ??= blockTime;
          const wait = startWall + nsBetween(first, blockTime) / 1e6 - this.p.now();
          if (wait > 0) await this.p.sleep(wait, signal);
          if (signal.aborted) break;
        }
        for (const s of sources) await this.writeBlock(s, height);
        this.height = height;
        this.stats.blocks++;
        this.emitter.emit('block', height);
      }
    } finally {
      await this.out.close();
      await Promise.all(sources.map((s) => s.lines.return(undefined)));
    }
  }

  /** One source's lines of block `height` (a by-block line, or the streaming lines of its events). */
  private async writeBlock(s: Source, height: number): Promise<void> {
    while (s.head && s.head.height === height) {
      await this.out.append(s, s.head);
      if (s.byBlock) this.count(s.name, s.head.text);
      s.head = (await s.lines.next()).value ?? null;
    }
  }

  private count(stream: string, text: string): void {
    const events = (JSON.parse(text) as { events: unknown[] }).events;
    if (stream.startsWith('node_order_statuses')) {
      this.stats.statuses += events.length;
      for (const e of events) if (String((e as { status?: unknown }).status).endsWith('Rejected')) this.stats.rejected++;
    } else if (stream.startsWith('node_raw_book_diffs')) this.stats.diffs += events.length;
    else this.stats.fills += events.length;
  }
}
