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
import { startInfoServer } from './info-server.js';
import { runningNode } from './running-node.js';
import { metaResponse, spotMetaResponse, type CoinSpec } from './market.js';
import { perpDexsResponse } from './public-info.js';
import { fileLines, hourlyFiles, resolveDataDir, type FileLine } from './node-files.js';
import { assertSnapshotShape, readSnapshotText } from './snapshot-file.js';
import { defaultSleep, ensureWritableDir, type RunningSim, type SimStats } from './simulator.js';

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

/**
 * Start replaying. Fails with nothing written on a missing or bad input (`HLOB_ERR_MISSING_DIR`,
 * `HLOB_ERR_BAD_SNAPSHOT`), a port in use (`HLOB_ERR_LISTEN`) or a data directory that cannot
 * be written (`HLOB_ERR_UNWRITABLE_DIR`).
 */
export async function startReplay(options: ReplayOptions): Promise<RunningSim> {
  const speed = options.speed ?? '1x';
  if (speed !== '1x' && speed !== 'realtime' && speed !== 'max') throw new HlobError(ErrorCodes.CONFIG, `invalid speed: ${JSON.stringify(speed)} (1x or max)`);
  const infoPort = options.infoPort ?? 3001;
  if (!Number.isInteger(infoPort) || infoPort < 0 || infoPort > 65535) throw new HlobError(ErrorCodes.CONFIG, `invalid infoPort: ${JSON.stringify(infoPort)}`);
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? ((): number => performance.timeOrigin + performance.now());
  const from = await resolveDataDir(resolve(options.from));
  const dataDir = resolve(options.dataDir);
  if (dataDir === from) throw new HlobError(ErrorCodes.CONFIG, `replay would write into its own input ${from}: choose another --data-dir`);

  const snapshotText = (await readSnapshotText(options.snapshot)).trim();
  let snapshot: L4SnapshotFile;
  try {
    const parsed: unknown = JSON.parse(snapshotText);
    assertSnapshotShape(parsed, `snapshot ${options.snapshot}`);
    snapshot = parsed;
  } catch (err) {
    if (err instanceof HlobError) throw err;
    throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `snapshot ${options.snapshot} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const coins = coinsOfSnapshot(snapshot);
  // Without height, the file is the coins array: the text after `[height,` minus the last `]`.
  const coinsText = snapshotText.slice(snapshotText.indexOf(',') + 1, -1);

  const names = (await readdir(from)).filter((n) => STREAM_PREFIXES.some((s) => n === `${s}_by_block` || n === `${s}_streaming`)).sort();
  if (!STREAM_PREFIXES.every((s) => names.includes(`${s}_by_block`))) {
    throw new HlobError(ErrorCodes.MISSING_DIR, `recorded data ${from} lacks ${STREAM_PREFIXES.filter((s) => !names.includes(`${s}_by_block`)).map((s) => `${s}_by_block`).join(', ')}`);
  }

  let counter = 0;
  const info = await startInfoServer(infoPort, {
    writeL4Snapshot: async (outPath, includeHeight) => {
      const tmp = `${outPath}.partial-${process.pid}-${++counter}`;
      try {
        await writeFile(tmp, includeHeight ? snapshotText : coinsText);
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
  try {
    await ensureWritableDir(dataDir, 'data directory');
  } catch (err) {
    await info.close();
    throw err;
  }

  const sources: Source[] = names.map((name) => ({ name, byBlock: name.endsWith('_by_block'), lines: recordedLines(join(from, name, 'hourly')), head: undefined }));
  const emitter = new EventEmitter();
  const stats: SimStats = { blocks: 0, statuses: 0, rejected: 0, diffs: 0, fills: 0, bytes: 0, restingOrders: 0 };
  let written = snapshot[0];
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) abort.abort();
  const files = new Map<string, { path: string; handle: FileHandle }>();

  const append = async (source: Source, fl: FileLine): Promise<void> => {
    const hour = basename(fl.file).replace(/\.gz$/, '');
    const date = basename(dirname(fl.file));
    const path = join(dataDir, source.name, 'hourly', date, hour);
    let f = files.get(source.name);
    if (!f || f.path !== path) {
      if (f) await f.handle.close();
      await mkdir(dirname(path), { recursive: true });
      f = { path, handle: await open(path, 'a') };
      files.set(source.name, f);
    }
    const buf = Buffer.from(fl.text + '\n');
    stats.bytes += buf.length;
    await f.handle.write(buf);
  };

  async function run(): Promise<void> {
    let first: NodeInstant | undefined;
    const startWall = now();
    try {
      for (;;) {
        if (abort.signal.aborted) break;
        for (const s of sources) if (s.head === undefined) s.head = (await s.lines.next()).value ?? null;
        const live = sources.filter((s) => s.head);
        if (live.length === 0) break;
        const height = Math.min(...live.map((s) => s.head!.height));
        const blockTime = parseNodeTime(live.find((s) => s.head!.height === height)!.head!.blockTime);
        if (speed !== 'max') {
          first ??= blockTime;
          const wait = startWall + nsBetween(first, blockTime) / 1e6 - now();
          if (wait > 0) await sleep(wait, abort.signal);
          if (abort.signal.aborted) break;
        }
        for (const s of sources) {
          while (s.head && s.head.height === height) {
            await append(s, s.head);
            if (s.byBlock) {
              const events = (JSON.parse(s.head.text) as { events: unknown[] }).events;
              if (s.name.startsWith('node_order_statuses')) {
                stats.statuses += events.length;
                for (const e of events) if (String((e as { status?: unknown }).status).endsWith('Rejected')) stats.rejected++;
              } else if (s.name.startsWith('node_raw_book_diffs')) stats.diffs += events.length;
              else stats.fills += events.length;
            }
            s.head = (await s.lines.next()).value ?? null;
          }
        }
        written = height;
        stats.blocks++;
        emitter.emit('block', height);
      }
    } finally {
      await Promise.all([...files.values()].map((f) => f.handle.close()));
      files.clear();
      await Promise.all(sources.map((s) => s.lines.return(undefined)));
      options.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  return runningNode({
    info,
    dataDir,
    coins: [],
    height: () => written,
    snapshot: () => snapshot,
    stats: () => ({ ...stats }),
    emitter,
    abort,
    done: run(),
  });
}
