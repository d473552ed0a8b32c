/**
 * `npm run bench -- streaming`: the node's streaming layout against by-block, same run, same
 * simulated market (`mainnet` profile, 50 coins, paced at 14.6 blocks/s).
 *
 * A node processes a block for a while, then (by-block) writes its three lines, or
 * (streaming) has written each event as it went. The model here: a block's processing takes
 * `SPAN_MS` (40 % of the block interval, as the real capture's write spans of 10–25 ms at
 * 52–153 ms intervals); by-block lines are appended at its end, streaming lines in 8 slices
 * spread over it. Two origins:
 * - the block's first event written (the issue's definition: by-block, its end; streaming,
 *   its start) → the block's change applied (`…applied…`) and → the first frame stamped with
 *   its time received by a WebSocket client (`…frame…`);
 * - the block's start (when the node began it, the same in both layouts) → frame received:
 *   `ingest.frame_from_start_p50_ms_*`, whose ratio streaming / by-block is the "client sees
 *   a block sooner" goal (≤ 0.7 at p50).
 *
 * Three runs on the same recorded market: by-block, streaming (block-end frames, the
 * default) and streaming with `intraBlock` (`--book-updates intra-block`: `l2Book` frames
 * marked partial as the block's diff lines are read). A partial frame carries its block's
 * time, so "first frame of a block" counts it: the intra-block run's
 * `ingest.frame_from_start_p50_ms_streaming_intra` / by-block is the goal's ratio there.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { L4SnapshotFile } from '../src/book/index.js';
import type { NodeLayout } from '../src/node/layout.js';
import { startServer } from '../src/server/index.js';
import { startSimulator } from '../src/sim/index.js';
import { createNodeFeed } from '../src/state/index.js';
import type { Report } from './run.js';

const STREAMS = ['node_order_statuses', 'node_raw_book_diffs', 'node_fills'] as const;
const GAP_MS = 1000 / 14.6;
const SPAN_MS = 0.4 * GAP_MS;
const SLICES = 8;

function round(x: number, d: number): number {
  const p = 10 ** d;
  return Math.round(x * p) / p;
}

function q(xs: number[], p: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

function filesOf(streamDir: string): string[] {
  const hourly = join(streamDir, 'hourly');
  const out: string[] = [];
  for (const date of readdirSync(hourly).sort()) {
    for (const h of readdirSync(join(hourly, date))
      .map(Number)
      .sort((a, b) => a - b)) {
      for (const l of readFileSync(join(hourly, date, String(h)), 'utf8').split('\n')) if (l.length > 0) out.push(l);
    }
  }
  return out;
}

const HEIGHT = /"block_number":(\d+)/;
const TIME = /"time":(\d+)/;

interface Recorded {
  snapshot: L4SnapshotFile;
  first: number;
  byBlock: Record<string, string[]>;
  /** Per stream, per block index: that block's streaming lines. */
  streaming: Record<string, string[][]>;
  /** Block time (ms) → height. */
  heightOf: Map<number, number>;
}

async function record(dir: string, blocks: number): Promise<Recorded> {
  const opts = {
    infoPort: 0,
    seed: 29,
    profile: 'mainnet' as const,
    coins: 50,
    restingOrders: 50_000,
    speed: 'max' as const,
    startTime: '2026-06-01T10:00:00',
  };
  const one = await startSimulator({ ...opts, dataDir: join(dir, 'one'), maxBlocks: 1 });
  await one.done;
  const snapshot = one.snapshot();
  await one.stop();
  const all = await startSimulator({ ...opts, dataDir: join(dir, 'all'), maxBlocks: blocks + 1, layout: 'both' });
  await all.done;
  await all.stop();
  const first = snapshot[0] + 1;
  const byBlock: Record<string, string[]> = {};
  const streaming: Record<string, string[][]> = {};
  const heightOf = new Map<number, number>();
  for (const s of STREAMS) {
    byBlock[s] = filesOf(join(dir, 'all', `${s}_by_block`)).slice(1);
    const per: string[][] = Array.from({ length: blocks }, () => []);
    for (const l of filesOf(join(dir, 'all', `${s}_streaming`))) {
      const h = Number(HEIGHT.exec(l)![1]);
      if (h >= first) per[h - first]!.push(l);
    }
    streaming[s] = per;
  }
  for (const l of byBlock.node_order_statuses!) {
    const h = Number(HEIGHT.exec(l)![1]);
    const t = Date.parse(/"block_time":"([^"]+)"/.exec(l)![1]!.slice(0, 23) + 'Z');
    heightOf.set(t, h);
  }
  rmSync(join(dir, 'one'), { recursive: true, force: true });
  rmSync(join(dir, 'all'), { recursive: true, force: true });
  return { snapshot, first, byBlock, streaming, heightOf };
}

async function infoServer(text: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      writeFileSync((JSON.parse(body) as { outPath: string }).outPath, text);
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/info`, server };
}

interface Timings {
  /** Per block index: when the node started it, when its first event was written, applied, first frame received (performance.now). */
  start: number[];
  firstWritten: number[];
  applied: number[];
  frame: number[];
  /** Process CPU time (user + system) over the paced blocks, ms per block: what each mode costs. */
  cpuMsPerBlock: number;
}

type Mode = 'by-block' | 'streaming' | 'streaming-intra';

async function runLayout(dir: string, rec: Recorded, url: string, mode: Mode, total: number): Promise<Timings> {
  const layout: NodeLayout = mode === 'by-block' ? 'by-block' : 'streaming';
  const dataDir = join(dir, mode);
  const suffix = layout === 'streaming' ? 'streaming' : 'by_block';
  const files: Record<string, string> = {};
  for (const s of STREAMS) {
    mkdirSync(join(dataDir, `${s}_${suffix}`, 'hourly', '20260601'), { recursive: true });
    files[s] = join(dataDir, `${s}_${suffix}`, 'hourly', '20260601', '10');
  }
  const feed = createNodeFeed({ dataDir, infoUrl: url, snapshotDir: join(dir, `snap-${mode}`), source: 'simulated', layout });
  const server = await startServer({ feed, host: '127.0.0.1', port: 0, intraBlock: mode === 'streaming-intra' });
  const states: string[] = [];
  feed.on('state', (st) => states.push(`${st.state}${st.error !== undefined ? `: ${st.error}` : ''}`));
  await feed.start();
  const t: Timings = { start: [], firstWritten: [], applied: [], frame: [], cpuMsPerBlock: 0 };
  feed.on('block', (c) => {
    const i = c.height - rec.first;
    if (i >= 0 && t.applied[i] === undefined) t.applied[i] = performance.now();
  });
  const ws = new WebSocket(server.url);
  await new Promise((r) => ws.once('open', r));
  for (const coin of ['BTC', 'ETH', 'SOL']) ws.send(JSON.stringify({ method: 'subscribe', subscription: { type: 'l2Book', coin } }));
  ws.on('message', (data: Buffer) => {
    const now = performance.now();
    const text = data.toString();
    if (text.length > 200_000) return; // a Snapshot
    const m = TIME.exec(text);
    if (m === null) return;
    const h = rec.heightOf.get(Number(m[1]));
    if (h === undefined) return;
    const i = h - rec.first;
    if (i >= 0 && t.frame[i] === undefined) t.frame[i] = now;
  });
  const sleepUntil = async (at: number): Promise<void> => {
    const wait = at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  // Blocks 0 and 1 at once, then wait until the snapshot is in and block 0 applied: pacing starts ready.
  for (const i of [0, 1]) {
    for (const st of STREAMS) {
      const text = layout === 'by-block' ? rec.byBlock[st]![i]! + '\n' : rec.streaming[st]![i]!.map((l) => l + '\n').join('');
      if (text.length > 0) appendFileSync(files[st]!, text);
    }
  }
  feed.wake();
  const isReady = (): boolean => feed.status().height !== null && feed.status().state !== 'starting';
  for (let k = 0; k < 2400 && !isReady(); k++) await new Promise((r) => setTimeout(r, 50));
  if (!isReady()) throw new Error(`${layout}: the feed did not become ready (${JSON.stringify(feed.status())})`);
  let due = performance.now() + 200;
  const cpu0 = process.cpuUsage();
  for (let i = 2; i < total; i++) {
    due += GAP_MS;
    const begin = due - SPAN_MS;
    await sleepUntil(begin);
    t.start[i] = begin;
    if (layout === 'by-block') {
      await sleepUntil(due);
      t.firstWritten[i] = performance.now();
      for (const s of STREAMS) appendFileSync(files[s]!, rec.byBlock[s]![i]! + '\n');
      feed.wake();
    } else {
      for (let k = 0; k < SLICES; k++) {
        if (k > 0) await sleepUntil(begin + (SPAN_MS * k) / (SLICES - 1));
        if (k === 0) t.firstWritten[i] = performance.now();
        for (const s of STREAMS) {
          const lines = rec.streaming[s]![i]!;
          const part = lines.slice(Math.floor((lines.length * k) / SLICES), Math.floor((lines.length * (k + 1)) / SLICES));
          if (part.length > 0) appendFileSync(files[s]!, part.join('\n') + '\n');
        }
        feed.wake();
      }
    }
  }
  await sleepUntil(performance.now() + 500);
  const cpu = process.cpuUsage(cpu0);
  t.cpuMsPerBlock = (cpu.user + cpu.system) / 1000 / (total - 2);
  if (process.env.BENCH_DEBUG) process.stderr.write(`${layout} states: ${states.join(' | ')}\n`);
  ws.close();
  await server.close();
  await feed.stop();
  return t;
}

export async function run(report: Report): Promise<void> {
  const warmup = Number(process.env.INGEST_LAG_WARMUP ?? 100);
  const blocks = Number(process.env.INGEST_LAG_BLOCKS ?? 300);
  const total = 2 + warmup + blocks;
  const dir = mkdtempSync(join(tmpdir(), 'hlob-bench-streaming-'));
  try {
    const rec = await record(dir, total + 1);
    const { url, server } = await infoServer(JSON.stringify(rec.snapshot));
    const results: Record<Mode, Timings> = {
      'by-block': await runLayout(dir, rec, url, 'by-block', total),
      streaming: await runLayout(dir, rec, url, 'streaming', total),
      'streaming-intra': await runLayout(dir, rec, url, 'streaming-intra', total),
    };
    server.close();
    const figures = (mode: Mode): Record<string, number> => {
      const t = results[mode];
      const idx = Array.from({ length: blocks }, (_, k) => k + 2 + warmup);
      const applied = idx.map((i) => t.applied[i]! - t.firstWritten[i]!);
      const frame = idx.map((i) => t.frame[i]! - t.firstWritten[i]!);
      const fromStart = idx.map((i) => t.frame[i]! - t.start[i]!);
      return {
        appliedP50: q(applied, 0.5),
        appliedP99: q(applied, 0.99),
        frameP50: q(frame, 0.5),
        frameP99: q(frame, 0.99),
        fromStartP50: q(fromStart, 0.5),
        fromStartP99: q(fromStart, 0.99),
        framed: frame.filter((x) => Number.isFinite(x)).length,
        cpuMsPerBlock: t.cpuMsPerBlock,
      };
    };
    const b = figures('by-block');
    const s = figures('streaming');
    const si = figures('streaming-intra');
    const common = {
      profile: 'mainnet',
      blocks,
      warmupBlocks: warmup,
      blockIntervalMs: round(GAP_MS, 1),
      processingSpanMs: round(SPAN_MS, 1),
      blockCloseMs: 5,
    };
    // Streaming beside by-block, the same market in the same run: its ratios are to by-block's.
    for (const [layout, f] of [
      ['byblock', b],
      ['streaming', s],
      ['streaming_intra', si],
    ] as const) {
      const vs = (x: number, y: number): Record<string, number> => (layout !== 'byblock' ? { ratio: round(x / y, 3) } : {});
      report({
        bench: `ingest.lag_p50_ms_${layout}`,
        value: round(f.appliedP50!, 2),
        unit: 'ms',
        ...vs(f.appliedP50!, b.appliedP50!),
        ...common,
        frameP50Ms: round(f.frameP50!, 2),
      });
      report({
        bench: `ingest.lag_p99_ms_${layout}`,
        value: round(f.appliedP99!, 2),
        unit: 'ms',
        ...vs(f.appliedP99!, b.appliedP99!),
        ...common,
        frameP99Ms: round(f.frameP99!, 2),
        blocksWithFrame: f.framed!,
        cpuMsPerBlock: round(f.cpuMsPerBlock!, 2),
      });
    }
    report({ bench: 'ingest.frame_from_start_p50_ms_byblock', value: round(b.fromStartP50!, 2), unit: 'ms', ...common, p99Ms: round(b.fromStartP99!, 2) });
    for (const [name, f, mode] of [
      ['streaming', s, 'block'],
      ['streaming_intra', si, 'intra-block'],
    ] as const) {
      const ratio = f.fromStartP50! / b.fromStartP50!;
      report({
        bench: `ingest.frame_from_start_p50_ms_${name}`,
        value: round(f.fromStartP50!, 2),
        unit: 'ms',
        ratio: round(ratio, 3),
        goal: '<= 0.7',
        met: ratio <= 0.7,
        ...common,
        bookUpdates: mode,
        p99Ms: round(f.fromStartP99!, 2),
        p99Ratio: round(f.fromStartP99! / b.fromStartP99!, 3),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
