/**
 * `npm run bench -- fanout`: the server in its own process (`hl-orderbook serve`) on the
 * simulated node at the mainnet profile (in this process, realtime), clients in another.
 *
 * - `fanout.send_cost`: (server CPU with 1,000 connections each subscribed to BTC `l2Book`,
 *   `bbo` and `trades` − server CPU over the same blocks with no client) / CPU of a bare
 *   `ws` broadcaster writing the frames those clients got to as many sockets. Same seed,
 *   same heights: the same blocks in both runs. Goal <= 1.3.
 * - `fanout.latency_p50_ms`, `fanout.latency_p99_ms`: block time (stamped by the simulator
 *   when it writes the block) to a client receiving its `l2Book`, over all 1,000 clients;
 *   `ratio` to the bare broadcaster's latency on the same frames and clients, run right after
 *   (its clock starts when it writes). Goal: p99 ratio <= 1.25.
 * - `fanout.l4_bytes_per_s`, `fanout.l4_bytes_per_s_book_only`: what one BTC `l4Book`
 *   subscriber receives, without and with `bookOnly` (the Snapshot excluded).
 * - `fanout.deflate_cpu_ms_per_client_s`: what permessage-deflate (level 1) costs the
 *   server per client, from 100 clients with and without it.
 *
 * Server CPU is read from /proc (Linux), the workers' included. `HLOB_BENCH_FANOUT_BLOCKS`
 * (default 150) sets the measured window, `HLOB_BENCH_FANOUT_CLIENTS` (default 1000) the
 * connections; `FANOUT_WORKERS` and `FANOUT_ONLY` below.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startSimulator, type RunningSim } from '../src/sim/index.js';
import type { BroadcasterCommand, BroadcasterEvent } from './bare-broadcaster.js';
import type { ClientsCommand, ClientsEvent } from './fanout-clients.js';
import { meets } from './goal.js';
import type { Report } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
const MAIN = join(here, '..', 'src', 'cli', 'main.js');
const SEED = 20260505;
const BLOCKS = Number(process.env.HLOB_BENCH_FANOUT_BLOCKS ?? 150);
const CLIENTS = Number(process.env.HLOB_BENCH_FANOUT_CLIENTS ?? 1000);
const L4_BLOCKS = 75;
/**
 * `FANOUT_WORKERS` (comma list, default `1`): the server's `--workers`. The first runs every
 * measurement; each further one the loaded run again, reported as
 * `fanout.latency_p99_ms_workers_<n>` (and p50) beside the first's.
 */
const WORKERS = (process.env.FANOUT_WORKERS ?? '1').split(',').map(Number);
/** `FANOUT_ONLY=latency`: only the loaded runs and the bare broadcaster's (no idle, deflate or l4Book runs). */
const ONLY_LATENCY = process.env.FANOUT_ONLY === 'latency';
const TICKS_PER_S = 100;

/** utime + stime of a process and of its live children (the workers of `--workers`), µs (from /proc; clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const fieldsOf = (p: number | string): string[] | null => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    } catch {
      return null;
    }
  };
  const own = fieldsOf(pid);
  if (own === null) throw new Error(`no process ${pid}`);
  let ticks = Number(own[11]) + Number(own[12]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = fieldsOf(entry);
    // Field 4 (ppid) is index 1 after the command name.
    if (f !== null && Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1e6) / TICKS_PER_S;
}

function progress(msg: string): void {
  process.stderr.write(`fanout: ${msg}\n`);
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

interface ServerProc {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

async function startServerProc(sim: RunningSim, compressionLevel = 0, workers = WORKERS[0]!): Promise<ServerProc> {
  const args = [
    MAIN,
    'serve',
    '--data-dir',
    sim.dataDir,
    '--info-url',
    sim.infoUrl,
    '--port',
    '0',
    '--log-level',
    'info',
    '--compression-level',
    String(compressionLevel),
    '--workers',
    String(workers),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start listening within 30 s')), 30_000);
    lines.on('line', (line) => {
      try {
        const m = JSON.parse(line) as { msg?: string; url?: string };
        if (m.msg === 'listening' && m.url !== undefined) {
          clearTimeout(timer);
          resolve(m.url);
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const httpUrl = url.replace(/^ws/, 'http').replace(/\/ws$/, '');
  const deadline = Date.now() + 60_000;
  while (
    (await fetch(`${httpUrl}/ready`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline) throw new Error('server not ready within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid!,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function withSim<T>(fn: (sim: RunningSim) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'hlob-bench-fanout-'));
  const sim = await startSimulator({ dataDir: join(dir, 'data'), infoPort: 0, seed: SEED, profile: 'mainnet' });
  try {
    return await fn(sim);
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function heightReached(sim: RunningSim, height: number): Promise<void> {
  if (sim.height() >= height) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (h: number): void => {
      if (h >= height) {
        sim.off('block', on);
        resolve();
      }
    };
    sim.on('block', on);
  });
}

/** A forked helper and a way to await its next event of a kind. */
class Helper<C, E extends { ev: string }> {
  readonly child: ChildProcess;
  private readonly pending: E[] = [];
  private waiters: (() => void)[] = [];

  constructor(file: string, args: string[] = []) {
    this.child = fork(join(here, file), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m) => {
      this.pending.push(m as E);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(c: C): void {
    this.child.send(c as object);
  }

  async next<K extends E['ev']>(ev: K, timeoutMs = 120_000): Promise<Extract<E, { ev: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.pending.findIndex((e) => e.ev === ev || e.ev === 'error');
      if (i >= 0) {
        const e = this.pending.splice(i, 1)[0]!;
        if (e.ev === 'error') throw new Error(`${ev}: ${(e as unknown as { message: string }).message}`);
        return e as Extract<E, { ev: K }>;
      }
      if (Date.now() > deadline) throw new Error(`helper gave no ${ev} in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill();
    });
  }
}

type Clients = Helper<ClientsCommand, ClientsEvent>;
const clientsHelper = (): Clients => new Helper<ClientsCommand, ClientsEvent>('fanout-clients.js');

const FANOUT_SUBS = [
  { type: 'l2Book', coin: 'BTC' },
  { type: 'bbo', coin: 'BTC' },
  { type: 'trades', coin: 'BTC' },
];

interface Window {
  start: number;
  end: number;
}

interface LoadedRun {
  cpuMicros: number;
  latenciesMs: number[];
  /** Per block, the latency of the first client to get its l2Book (ingest plus the start of the fan-out). */
  firstClientMs: number[];
  frames: { at: number; text: string }[];
  window: Window;
  l4: { all: number; bookOnly: number };
}

/** The server with CLIENTS connections over a window of BLOCKS blocks, then (`withL4`) the l4Book rates. */
async function loadedRun(workers: number, withL4: boolean): Promise<LoadedRun> {
  return withSim(async (sim) => {
    const server = await startServerProc(sim, 0, workers);
    progress(`server (--workers ${workers}) ready at height ${sim.height()}; connecting ${CLIENTS} clients`);
    const clients = clientsHelper();
    try {
      clients.send({ cmd: 'connect', url: server.url, n: CLIENTS, subscriptions: FANOUT_SUBS, acks: true });
      await clients.next('connected');
      progress(`clients connected at height ${sim.height()}`);
      const start = sim.height() + 5;
      const window = { start, end: start + BLOCKS };
      await heightReached(sim, window.start);
      const cpu0 = cpuMicros(server.pid);
      clients.send({ cmd: 'window', open: true });
      await heightReached(sim, window.end);
      const cpu1 = cpuMicros(server.pid);
      clients.send({ cmd: 'window', open: false });
      const stats = await clients.next('window');
      clients.send({ cmd: 'close' });
      await clients.stop();
      progress(`window ${window.start}..${window.end}: server CPU ${Math.round((cpu1 - cpu0) / 1000)} ms${withL4 ? '; measuring l4Book' : ''}`);
      const l4 = withL4 ? { all: await l4Rate(sim, server.url, false), bookOnly: await l4Rate(sim, server.url, true) } : { all: 0, bookOnly: 0 };
      const first = new Map<number, number>();
      stats.blockTimes.forEach((t, i) => first.set(t, Math.min(first.get(t) ?? Infinity, stats.latenciesMs[i]!)));
      const firsts = [...first.values()];
      const worst = firsts
        .map((ms, i) => ({ ms, block: i }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5);
      progress(`slowest blocks (first client's latency, ms @ block index in the window): ${worst.map((w) => `${w.ms}@${w.block}`).join(' ')}`);
      return { cpuMicros: cpu1 - cpu0, latenciesMs: stats.latenciesMs, firstClientMs: [...first.values()], frames: stats.frames, window, l4 };
    } finally {
      await clients.stop();
      await server.stop();
    }
  });
}

/** Bytes a second one BTC `l4Book` subscriber receives after its Snapshot. */
async function l4Rate(sim: RunningSim, url: string, bookOnly: boolean): Promise<number> {
  const c = clientsHelper();
  try {
    c.send({ cmd: 'connect', url, n: 1, subscriptions: [{ type: 'l4Book', coin: 'BTC', bookOnly }], acks: true });
    await c.next('connected');
    await heightReached(sim, sim.height() + 3);
    c.send({ cmd: 'window', open: true });
    await heightReached(sim, sim.height() + L4_BLOCKS);
    c.send({ cmd: 'window', open: false });
    const w = await c.next('window');
    return Math.round(((w.bytes.l4Book ?? 0) * 1000) / w.windowMs);
  } finally {
    await c.stop();
  }
}

/** The server over the same heights with no client. */
async function idleRun(window: Window): Promise<number> {
  return withSim(async (sim) => {
    const server = await startServerProc(sim);
    try {
      if (sim.height() >= window.start) throw new Error(`the idle server was ready only after height ${sim.height()}, past the window start ${window.start}`);
      await heightReached(sim, window.start);
      const cpu0 = cpuMicros(server.pid);
      await heightReached(sim, window.end);
      return cpuMicros(server.pid) - cpu0;
    } finally {
      await server.stop();
    }
  });
}

const DEFLATE_CLIENTS = 100;
const DEFLATE_BLOCKS = 100;

/** Server CPU (µs) over DEFLATE_BLOCKS blocks with DEFLATE_CLIENTS BTC l2Book+bbo+trades clients, at a compression level. */
async function compressionRun(level: number): Promise<{ cpuMicros: number; seconds: number }> {
  return withSim(async (sim) => {
    const server = await startServerProc(sim, level);
    const clients = clientsHelper();
    try {
      clients.send({ cmd: 'connect', url: server.url, n: DEFLATE_CLIENTS, subscriptions: FANOUT_SUBS, acks: true, deflate: level > 0 });
      await clients.next('connected');
      const start = sim.height() + 5;
      await heightReached(sim, start);
      const cpu0 = cpuMicros(server.pid);
      const t0 = performance.now();
      await heightReached(sim, start + DEFLATE_BLOCKS);
      const cpu = cpuMicros(server.pid) - cpu0;
      return { cpuMicros: cpu, seconds: (performance.now() - t0) / 1000 };
    } finally {
      clients.send({ cmd: 'close' });
      await clients.stop();
      await server.stop();
    }
  });
}

/**
 * A bare `ws` broadcaster (bare-broadcaster.ts) writing `frames` at their pace to CLIENTS
 * sockets subscribed as ours were: its CPU, and the latency its clients saw (its own
 * delivery: each frame's time is stamped when its turn starts).
 */
async function bareRun(frames: { at: number; text: string }[]): Promise<{ cpuMicros: number; latenciesMs: number[] }> {
  const b = new Helper<BroadcasterCommand, BroadcasterEvent>('bare-broadcaster.js', [String(CLIENTS)]);
  const clients = clientsHelper();
  try {
    const { port } = await b.next('listening');
    clients.send({ cmd: 'connect', url: `ws://127.0.0.1:${port}/ws`, n: CLIENTS, subscriptions: FANOUT_SUBS, acks: true });
    await clients.next('connected');
    await b.next('connections');
    clients.send({ cmd: 'expect', frames: frames.length });
    clients.send({ cmd: 'window', open: true });
    b.send({ cmd: 'replay', frames });
    await clients.next('received');
    clients.send({ cmd: 'window', open: false });
    const stats = await clients.next('window');
    b.send({ cmd: 'measure' });
    return { cpuMicros: (await b.next('cpu')).micros, latenciesMs: stats.latenciesMs };
  } finally {
    clients.send({ cmd: 'close' });
    await clients.stop();
    b.send({ cmd: 'close' });
    await b.stop();
  }
}

/**
 * Goal of `fanout.latency_p99_ms`: our p99 over the bare broadcaster's, same frames, same
 * clients, same run. Ours runs from the block time the node wrote (reading, parsing and
 * applying the block included), the bare one from the moment it starts writing: the ratio
 * allows what ingest adds, as the absolute goals did (ingest p99 < 5 ms within 25 ms).
 */
const LATENCY_RATIO_GOAL = '<= 1.25';

export async function run(report: Report): Promise<void> {
  // The machine is shared: the load average says how much the latencies owe to others.
  const loadBefore = round(loadavg()[0]!, 2);
  const workers = WORKERS[0]!;
  const loaded = await loadedRun(workers, !ONLY_LATENCY);
  // The baseline, right after: a bare ws broadcaster writing the frames our clients got.
  const bare = await bareRun(loaded.frames);
  progress(
    `bare broadcaster CPU ${Math.round(bare.cpuMicros / 1000)} ms, latency p50 ${percentile(bare.latenciesMs, 50)} ms, p99 ${percentile(bare.latenciesMs, 99)} ms`,
  );
  const bareP50 = percentile(bare.latenciesMs, 50);
  const bareP99 = percentile(bare.latenciesMs, 99);
  const loadAfterFirst = round(loadavg()[0]!, 2);
  const common = { clients: CLIENTS, blocks: BLOCKS, frames: loaded.frames.length, serverWorkers: workers, loadavg1: [loadBefore, loadAfterFirst] };
  const p50 = percentile(loaded.latenciesMs, 50);
  const p99 = percentile(loaded.latenciesMs, 99);
  report({
    bench: 'fanout.latency_p50_ms',
    value: p50,
    unit: 'ms',
    ratio: round(p50 / bareP50, 3),
    baseline: 'bare ws broadcaster p50',
    bareMs: bareP50,
    samples: loaded.latenciesMs.length,
    ...common,
  });
  report({
    bench: 'fanout.latency_p99_ms',
    value: p99,
    unit: 'ms',
    ratio: round(p99 / bareP99, 3),
    goal: LATENCY_RATIO_GOAL,
    met: meets(p99 / bareP99, LATENCY_RATIO_GOAL),
    baseline: 'bare ws broadcaster p99 (same frames, same clients, its own delivery)',
    bareMs: bareP99,
    bareSamples: bare.latenciesMs.length,
    absoluteGoalMs: '< 25 (quiet machine, before the ratio)',
    samples: loaded.latenciesMs.length,
    // The first client to get each block's l2Book: what ingest and the start of the fan-out take.
    firstClientP50: percentile(loaded.firstClientMs, 50),
    firstClientP99: percentile(loaded.firstClientMs, 99),
    serverCpuMs: round(loaded.cpuMicros / 1000, 1),
    ...common,
  });
  // The same run with other worker counts, one after the other (same seed, same load tool).
  for (const w of WORKERS.slice(1)) {
    const before = round(loadavg()[0]!, 2);
    const other = await loadedRun(w, false);
    const wp99 = percentile(other.latenciesMs, 99);
    const wp50 = percentile(other.latenciesMs, 50);
    const extra = {
      clients: CLIENTS,
      blocks: BLOCKS,
      serverWorkers: w,
      comparedWith: { serverWorkers: workers, p99, p50 },
      bareMs: { p50: bareP50, p99: bareP99 },
      loadavg1: [before, round(loadavg()[0]!, 2)],
    };
    report({
      bench: `fanout.latency_p50_ms_workers_${w}`,
      value: wp50,
      unit: 'ms',
      ratio: round(wp50 / bareP50, 3),
      samples: other.latenciesMs.length,
      ...extra,
    });
    report({
      bench: `fanout.latency_p99_ms_workers_${w}`,
      value: wp99,
      unit: 'ms',
      goal: LATENCY_RATIO_GOAL,
      ratio: round(wp99 / bareP99, 3),
      met: meets(wp99 / bareP99, LATENCY_RATIO_GOAL),
      samples: other.latenciesMs.length,
      firstClientP99: percentile(other.firstClientMs, 99),
      serverCpuMs: round(other.cpuMicros / 1000, 1),
      ...extra,
    });
  }
  if (ONLY_LATENCY) return;
  const idle = await idleRun(loaded.window);
  progress(`idle server CPU over the same window ${Math.round(idle / 1000)} ms`);
  const sendCost = (loaded.cpuMicros - idle) / bare.cpuMicros;
  report({
    bench: 'fanout.send_cost',
    value: round(sendCost, 3),
    unit: 'ratio',
    ratio: round(sendCost, 3),
    goal: '<= 1.3',
    serverCpuMsWithClients: round(loaded.cpuMicros / 1000, 1),
    serverCpuMsWithout: round(idle / 1000, 1),
    bareBroadcasterCpuMs: round(bare.cpuMicros / 1000, 1),
    ...common,
    loadavg1: [loadBefore, round(loadavg()[0]!, 2)],
  });
  progress(`compression: ${DEFLATE_CLIENTS} clients at level 0, then 1`);
  const plain = await compressionRun(0);
  const deflate = await compressionRun(1);
  report({
    bench: 'fanout.deflate_cpu_ms_per_client_s',
    value: round((deflate.cpuMicros - plain.cpuMicros) / 1000 / DEFLATE_CLIENTS / deflate.seconds, 3),
    unit: 'ms CPU per client per s',
    // Server CPU with deflate over the same clients and blocks without it.
    ratio: round(deflate.cpuMicros / plain.cpuMicros, 3),
    clients: DEFLATE_CLIENTS,
    blocks: DEFLATE_BLOCKS,
    compressionLevel: 1,
    serverWorkers: workers,
    serverCpuMsPlain: round(plain.cpuMicros / 1000, 1),
    serverCpuMsDeflate: round(deflate.cpuMicros / 1000, 1),
  });
  report({ bench: 'fanout.l4_bytes_per_s', value: loaded.l4.all, unit: 'B/s', coin: 'BTC', bookOnly: false });
  report({
    bench: 'fanout.l4_bytes_per_s_book_only',
    value: loaded.l4.bookOnly,
    unit: 'B/s',
    coin: 'BTC',
    bookOnly: true,
    ratio: round(loaded.l4.bookOnly / loaded.l4.all, 3),
  });
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
