/**
 * `npm run bench -- scale`: how many clients, how much memory, how fast to ready.
 *
 * - `scale.max_clients`: the mainnet profile simulated in its own process, the server in its
 *   own, the load tool (one worker process) on the same machine; each client subscribes to
 *   the l2Book, bbo and trades of one of 10 coins. The client count steps up until p99
 *   latency (receive time − block time) passes 50 ms, or a client is dropped or refused.
 * - `scale.rss_500k_mb`, `scale.rss_peak_500k_mb`, `scale.ready_500k_s`,
 *   `scale.loop_stall_max_ms`: 500,000 resting orders over 200 coins at the mainnet rate;
 *   from the server process's spawn to `ready`, back-to-back `/health` calls and the
 *   server's own event-loop delay (`monitorEventLoopDelay`, via /metrics), then resident
 *   memory through a steady window after warm-up.
 *
 * Every goal is judged on a ratio to a baseline measured in the same run (the machine's
 * speed and load move absolute figures 2-3x): `scale.ready_500k_s` and
 * `scale.loop_stall_max_ms` over the time of a plain `JSON.parse` of the same node's snapshot
 * of the same market (requested by the bench as the server requests it, parsed once the server
 * is stopped); `scale.max_clients` over what a bare `ws` broadcaster of the same frames
 * (bare-broadcaster.ts: our server's frames recorded first, replayed at their pace) holds
 * under the same ramp, the simulated node running beside it as beside ours.
 *
 * Bounded: about 7-10 minutes in all (two ramps of clients, then memory). Environment knobs: `SCALE_ONLY=clients|memory|ready`
 * (`ready`: only the start of the memory part, spawn to `ready` with its stalls and the peak
 * RSS, no warm-up or steady window: about 15 s),
 * `SCALE_STEP_S` (window per step, default 12), `SCALE_STEPS` (comma list),
 * `SCALE_WORKERS` (load-tool processes, default 1), `SCALE_SERVER_WORKERS` (the server's
 * `--workers`, a comma list: one ramp each, default `1,2`; `scale.max_clients` is the best), `SCALE_WARMUP_S` (default 20),
 * `SCALE_STEADY_S` (default 30), `SCALE_READY_TIMEOUT_S` (default 300), `SCALE_RECORD_S` (frames recorded for the bare broadcaster,
 * default 20), `SCALE_PARSES` (timed `JSON.parse` passes, the median counts; default 3).
 */
import { readFile, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runLoadTest, type LoadReport } from '../src/load/index.js';
import { watchHealth } from '../src/load/health-watch.js';
import { readProcMemory } from '../src/load/proc-status.js';
import { metricValue } from '../src/load/server-probe.js';
import type { RecordedFrame } from './bare-broadcaster.js';
import { recordFrames, startBareBroadcaster } from './bare.js';
import { machine } from './machine.js';
import { meets } from './goal.js';
import type { Report } from './run.js';
import { startSimProcess, startSimServer, type SimServer } from './sim-server.js';

const env = (k: string, d: number): number => (process.env[k] === undefined ? d : Number(process.env[k]));
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

/** How long a server may take to be ready (`SCALE_READY_TIMEOUT_S`, default 300: a loaded machine stretches 8 s to minutes). */
const READY_TIMEOUT_MS = env('SCALE_READY_TIMEOUT_S', 300) * 1000;

/** Resolves once /health says ready (watching back to back). */
async function whenReady(s: SimServer, timeoutMs = READY_TIMEOUT_MS): Promise<number> {
  const r = await watchHealth({ url: `${s.httpUrl}/health`, signal: AbortSignal.timeout(timeoutMs), untilReady: true });
  if (r.readyAt === null) throw new Error(`server not ready within ${timeoutMs} ms (states ${r.states.join(' → ')}): ${s.stderrTail()}`);
  return r.readyAt;
}

interface Step {
  clients: number;
  /** Latency over every client, the tool's own queueing included. */
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** Latency of the tail clients (opened last, read by an idle process): the server's delivery to the clients it serves last. */
  tailP50: number | null;
  tailP99: number | null;
  tailMax: number | null;
  framesPerSecond: number;
  megabytesPerSecond: number;
  serverCpuPercent: number | null;
  serverCpuMicrosPerFrame: number | null;
  loadToolCpuPercent: number;
  rampSeconds: number;
  disconnects: number;
  connectFailures: number;
  errorFrames: number;
}

function stepOf(r: LoadReport): Step {
  return {
    clients: r.clients,
    p50: r.latencyMs.p50,
    p99: r.latencyMs.p99,
    max: r.latencyMs.max,
    tailP50: r.tail?.latencyMs.p50 ?? null,
    tailP99: r.tail?.latencyMs.p99 ?? null,
    tailMax: r.tail?.latencyMs.max ?? null,
    framesPerSecond: r.framesPerSecond,
    megabytesPerSecond: r.megabytesPerSecond,
    serverCpuPercent: r.server?.cpuPercent ?? null,
    serverCpuMicrosPerFrame: r.server?.cpuMicrosPerFrame ?? null,
    loadToolCpuPercent: r.loadCpuPercent,
    rampSeconds: r.rampSeconds,
    disconnects: r.disconnects,
    connectFailures: r.connectFailures,
    errorFrames: r.errorFrames + (r.tail?.errorFrames ?? 0),
  };
}

const P99_GOAL_MS = 50;
/** Clients opened after the others in the bench's own process, whose latency decides a step. */
const TAIL_CLIENTS = 20;

interface Ramp {
  /** `workers_<n>` (our server with `--workers n`) or `bare`. */
  label: string;
  workers: number;
  best: number;
  bestAll: number;
  held: number;
  /** Why the ramp stopped: a step missed, the time budget ran out, or the steps ran out. */
  stoppedBy: 'p99' | 'unclean' | 'budget' | 'steps';
  done: Step[];
}

/** A WebSocket server the ramp runs against. */
interface Target {
  label: string;
  wsUrl: string;
  /** One process: its /proc figures; several: none (the load tool then reads /metrics if given). */
  pid?: number;
  workers: number;
}

const SIM = { profile: 'mainnet', coins: 10, seed: 1 } as const;
const SUBSCRIBE = 'l2Book:*,bbo:*,trades:*';

/** One ramp of client counts against `t`, clients spread over `coins` (SUBSCRIBE each). */
async function rampOn(t: Target, coins: string[]): Promise<Ramp> {
  const stepMs = env('SCALE_STEP_S', 12) * 1000;
  const steps = (process.env.SCALE_STEPS ?? '10,500,1000,2000,3000,4000,5000,6000,8000,10000,12000,15000,20000').split(',').map(Number);
  const workers = env('SCALE_WORKERS', 1);
  const budgetMs = env('SCALE_BUDGET_S', 180) * 1000;
  const started = Date.now();
  const done: Step[] = [];
  // `best`: the most clients whose tail clients saw p99 under 50 ms (every smaller step
  // too); `bestAll`: the same on every client's p99, the load tool's own queueing included.
  // Past them the ramp goes on while every client is still served (none dropped, p99 under
  // a second), to show how the server degrades: `held`.
  let best = 0;
  let bestAll = 0;
  let held = 0;
  let under = true;
  let underAll = true;
  let stoppedBy: Ramp['stoppedBy'] = 'steps';
  for (const n of steps) {
    if (Date.now() - started > budgetMs) {
      stoppedBy = 'budget';
      break;
    }
    let passed = false;
    let clean = true;
    let p99 = Infinity;
    let allP99 = Infinity;
    // A step that misses 50 ms gets a second try while it is the first miss: other jobs on
    // a shared machine can steal a few hundred ms from any single window.
    for (let attempt = 1; attempt <= (under ? 2 : 1) && !passed; attempt++) {
      const r = await runLoadTest({
        url: t.wsUrl,
        clients: n,
        tailClients: TAIL_CLIENTS,
        subscribe: SUBSCRIBE,
        coins,
        durationMs: stepMs,
        workers,
        // One process: its /proc figures. Several: their sum, from the merged /metrics.
        ...(t.pid === undefined ? {} : { serverPid: t.pid }),
      });
      const step = { ...stepOf(r), attempt, target: t.label, loadavg1: round(loadavg()[0]!, 2) };
      done.push(step);
      process.stderr.write(`scale: ${JSON.stringify(step)}\n`);
      clean = r.disconnects === 0 && r.connectFailures === 0 && step.errorFrames === 0 && r.open === n && r.tail?.disconnects === 0;
      p99 = r.tail?.latencyMs.p99 ?? Infinity;
      allP99 = Math.min(allP99, r.latencyMs.p99 ?? Infinity);
      passed = clean && p99 < P99_GOAL_MS;
      if (!clean) break;
    }
    if (passed && under) best = n;
    else under = false;
    if (clean && allP99 < P99_GOAL_MS && underAll) bestAll = n;
    else underAll = false;
    if (!clean || p99 >= 1000) {
      stoppedBy = clean ? 'p99' : 'unclean';
      break;
    }
    held = n;
  }
  if (stoppedBy === 'steps' && !under) stoppedBy = 'p99';
  return { label: t.label, workers: t.workers, best, bestAll, held, stoppedBy, done };
}

/**
 * Our server with `serverWorkers` processes (`--workers`) on the simulated node, ramped; with
 * `recordMs`, first the frames it sends (every coin's SUBSCRIBE channels) for the bare
 * broadcaster.
 */
async function ramp(serverWorkers: number, recordMs = 0): Promise<{ ramp: Ramp; coins: string[]; frames: RecordedFrame[] }> {
  const s = await startSimServer({ sim: SIM, simProcess: true, server: serverWorkers > 1 ? { workers: serverWorkers } : undefined });
  try {
    await whenReady(s);
    const mids = (await (
      await fetch(`${s.httpUrl}/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"allMids"}' })
    ).json()) as { [coin: string]: string };
    const coins = Object.keys(mids).slice(0, 10);
    const subscriptions = coins.flatMap((coin) => SUBSCRIBE.split(',').map((item) => ({ type: item.split(':')[0]!, coin })));
    const frames = recordMs > 0 ? await recordFrames(s.wsUrl, subscriptions, recordMs) : [];
    if (recordMs > 0) process.stderr.write(`scale: recorded ${frames.length} frames over ${recordMs / 1000} s for the bare broadcaster\n`);
    const r = await rampOn({ label: `workers_${serverWorkers}`, wsUrl: s.wsUrl, pid: serverWorkers > 1 ? undefined : s.pid, workers: serverWorkers }, coins);
    return { ramp: r, coins, frames };
  } finally {
    await s.stop();
  }
}

/** The bare broadcaster replaying `frames`, ramped the same way, the simulated node running beside it as beside ours. */
async function bareRamp(frames: RecordedFrame[], coins: string[]): Promise<Ramp & { cpuMicros: number }> {
  const sim = await startSimProcess(SIM);
  const b = await startBareBroadcaster(frames);
  try {
    const r = await rampOn({ label: 'bare', wsUrl: b.wsUrl, pid: b.pid, workers: 1 }, coins);
    return { ...r, cpuMicros: await b.cpuMicros() };
  } finally {
    await b.stop();
    await sim.stop();
  }
}

/** Goal of `scale.max_clients`: at least this share of the bare broadcaster's count. */
const CLIENTS_RATIO_GOAL = '>= 0.9';

/**
 * `SCALE_SERVER_WORKERS` (comma list, default `1,2`): the server's `--workers` for each ramp.
 * `scale.max_clients` is the best of them, as a user would run the server for many clients
 * on this machine (its `serverWorkers` says which), over the bare broadcaster's count (one
 * process, ramped right after the first of ours); `scale.max_clients_workers_<n>` gives each
 * count's own figure, with every step's p99 beside the other counts'.
 */
async function maxClients(report: Report): Promise<void> {
  const counts = (process.env.SCALE_SERVER_WORKERS ?? '1,2').split(',').map(Number);
  const at = machine();
  const ramps: Ramp[] = [];
  // Ours first (its frames recorded), then the bare broadcaster, then ours with more workers:
  // the baseline sits between the runs it is compared with.
  const first = await ramp(counts[0]!, env('SCALE_RECORD_S', 20) * 1000);
  ramps.push(first.ramp);
  const bare = await bareRamp(first.frames, first.coins);
  for (const w of counts.slice(1)) ramps.push((await ramp(w)).ramp);
  // The best ramp; a tie goes to fewer workers (less memory).
  const top = ramps.reduce((x, r) => (r.best > x.best ? r : x));
  const { best, bestAll, held, done } = top;
  const last = [...done].reverse().find((d) => d.clients === best);
  const ratio = bare.best > 0 ? best / bare.best : Number.NaN;
  const bareLast = [...bare.done].reverse().find((d) => d.clients === bare.best);
  report({
    bench: 'scale.max_clients',
    value: best,
    unit: 'clients',
    ratio: round(ratio, 3),
    goal: CLIENTS_RATIO_GOAL,
    met: meets(ratio, CLIENTS_RATIO_GOAL),
    baseline: {
      what: 'bare ws broadcaster of the same frames, one process, same ramp',
      clients: bare.best,
      stoppedBy: bare.stoppedBy,
      allP99: bare.bestAll,
      held: bare.held,
      serverCpuMicrosPerFrame: bareLast?.serverCpuMicrosPerFrame ?? null,
      frames: first.frames.length,
      steps: bare.done,
    },
    absoluteGoal: '>= 5000 (quiet machine, before the ratio)',
    p99GoalMs: P99_GOAL_MS,
    serverWorkers: top.workers,
    byWorkers: Object.fromEntries(ramps.map((r) => [r.workers, r.best])),
    stoppedBy: top.stoppedBy,
    criterion: `p99 of ${TAIL_CLIENTS} tail clients (opened last, read by an otherwise idle process) under ${P99_GOAL_MS} ms, no client dropped, refused or sent an error`,
    steps: done,
    machine: at,
  });
  const r3 = (a: number, b: number): number => (b > 0 ? round(a / b, 3) : Number.NaN);
  report({
    bench: 'scale.max_clients_all_p99',
    value: bestAll,
    unit: 'clients',
    ratio: r3(bestAll, bare.bestAll),
    serverWorkers: top.workers,
    bare: bare.bestAll,
    note: `p99 over every client (the load tool's own queueing included) under ${P99_GOAL_MS} ms`,
  });
  report({
    bench: 'scale.clients_held_p99_1s',
    value: held,
    unit: 'clients',
    ratio: r3(held, bare.held),
    serverWorkers: top.workers,
    bare: bare.held,
    note: 'every client served (none dropped or refused), tail p99 under 1 s',
  });
  const bareFirst = bare.done[0];
  if (done[0])
    report({
      bench: 'scale.latency_p99_few_clients_ms',
      value: done[0].tailP99 ?? Number.NaN,
      unit: 'ms',
      ratio: r3(done[0].tailP99 ?? Number.NaN, bareFirst?.tailP99 ?? Number.NaN),
      bareMs: bareFirst?.tailP99 ?? null,
      clients: done[0].clients,
      serverWorkers: top.workers,
    });
  if (last?.serverCpuMicrosPerFrame != null) {
    const bareAtSame = [...bare.done].reverse().find((d) => d.clients === best)?.serverCpuMicrosPerFrame ?? bareLast?.serverCpuMicrosPerFrame ?? null;
    report({
      bench: 'scale.server_cpu_us_per_frame',
      value: last.serverCpuMicrosPerFrame,
      unit: 'µs',
      ratio: bareAtSame == null ? undefined : r3(last.serverCpuMicrosPerFrame, bareAtSame),
      bareUs: bareAtSame,
      clients: best,
      serverWorkers: top.workers,
    });
  }
  if (ramps.length < 2) return;
  for (const r of ramps) {
    // Step by step beside the other ramps: the tail p99 with each worker count and the bare broadcaster.
    const byClients = r.done.map((d) => {
      const others: Record<string, number | null> = {};
      for (const o of [...ramps, bare]) {
        if (o === r) continue;
        const b = [...o.done].reverse().find((x) => x.clients === d.clients);
        others[o.label === 'bare' ? 'tailP99Bare' : `tailP99With${o.workers}`] = b?.tailP99 ?? null;
      }
      return {
        clients: d.clients,
        attempt: (d as { attempt?: number }).attempt,
        tailP99: d.tailP99,
        p99: d.p99,
        serverCpuPercent: d.serverCpuPercent,
        ...others,
      };
    });
    const rr = bare.best > 0 ? r.best / bare.best : Number.NaN;
    report({
      bench: `scale.max_clients_workers_${r.workers}`,
      value: r.best,
      unit: 'clients',
      ratio: round(rr, 3),
      goal: CLIENTS_RATIO_GOAL,
      met: meets(rr, CLIENTS_RATIO_GOAL),
      bare: bare.best,
      serverWorkers: r.workers,
      maxClientsAllP99: r.bestAll,
      held: r.held,
      stoppedBy: r.stoppedBy,
      steps: byClients,
    });
  }
}

/** Scrapes the server's event-loop delay (max since the last scrape) until aborted. */
async function scrapeLoopDelay(httpUrl: string, signal: AbortSignal): Promise<number> {
  let max = 0;
  while (!signal.aborted) {
    try {
      const text = await (await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      const v = metricValue(text, 'hlob_process_nodejs_eventloop_lag_max_seconds');
      if (v !== null && v * 1000 > max) max = v * 1000;
    } catch {
      // Aborted, or not answering yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return max;
}

/** The node's snapshot of the market, written where asked, exactly as the server requests it. */
async function nodeSnapshotText(s: SimServer): Promise<string> {
  const outPath = join(s.root, 'bench-baseline-snapshot.json');
  const body = JSON.stringify({
    type: 'fileSnapshot',
    request: { type: 'l4Snapshots', includeUsers: true, includeTriggerOrders: false },
    outPath,
    includeHeightInOutput: true,
  });
  const res = await fetch(s.infoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(120_000) });
  if (res.status !== 200) throw new Error(`the node did not write its snapshot: ${res.status} ${await res.text()}`);
  const text = await readFile(outPath, 'utf8');
  await rm(outPath, { force: true });
  return text;
}

/** The young generation's GC made callable (the bench runs without --expose-gc). */
function gcNow(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * The baseline of ready and stall: a plain, blocking `JSON.parse` of the snapshot text, the
 * median of `SCALE_PARSES` passes (a blocking parse stalls the loop for all of its time), and
 * the heap the parsed tree holds.
 */
function jsonParseBaseline(text: string): { parseMs: number; passesMs: number[]; parsedHeapMb: number } {
  const passesMs: number[] = [];
  let parsedHeapMb = Number.NaN;
  for (let i = 0; i < Math.max(1, env('SCALE_PARSES', 3)); i++) {
    gcNow();
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    // Held until its heap is measured, then dropped.
    const held: { tree?: unknown } = { tree: JSON.parse(text) };
    passesMs.push(performance.now() - t0);
    gcNow();
    if (i === 0) parsedHeapMb = (process.memoryUsage().heapUsed - before) / 1e6;
    held.tree = undefined;
  }
  const sorted = [...passesMs].sort((a, b) => a - b);
  return { parseMs: sorted[Math.floor(sorted.length / 2)]!, passesMs: passesMs.map((x) => round(x)), parsedHeapMb };
}

/** Goals on ratios to the same run's `JSON.parse` of the same snapshot: the absolute goals (5 s, 100 ms) over its 1.06 s on a quiet machine. */
const READY_RATIO_GOAL = '<= 4.7';
const STALL_RATIO_GOAL = '<= 0.094';
/**
 * The server's steady RSS over the heap the plain parsed snapshot holds (200 MB for these
 * 500,000 orders): the absolute goal (600 MB) over it. Memory moves little with the machine's
 * speed; the ratio keeps the goal with the snapshot's size.
 */
const RSS_RATIO_GOAL = '<= 3';

async function memory500k(report: Report, readyOnly = false): Promise<void> {
  const warmupMs = env('SCALE_WARMUP_S', 20) * 1000;
  const steadyMs = env('SCALE_STEADY_S', 30) * 1000;
  const at = machine();
  const s = await startSimServer({ sim: { profile: 'mainnet', coins: 200, restingOrders: 500_000, seed: 2 }, simProcess: true });
  const figures: Array<Parameters<Report>[0]> = [];
  let snapshotText: string;
  let readyS: number;
  let stall: number;
  let median: number;
  let loadedBytes: unknown;
  try {
    // Startup: back-to-back /health and the server's own loop delay, until ready.
    const startup = new AbortController();
    const lagAtStart = scrapeLoopDelay(s.httpUrl, startup.signal);
    const watch = await watchHealth({ url: `${s.httpUrl}/health`, signal: AbortSignal.timeout(READY_TIMEOUT_MS), untilReady: true });
    startup.abort();
    const lagStartMs = await lagAtStart;
    if (watch.readyAt === null) throw new Error(`not ready in ${READY_TIMEOUT_MS / 1000} s (states ${watch.states.join(' → ')}): ${s.stderrTail()}`);
    readyS = (watch.readyAt - s.spawnedAt) / 1000;

    // Warm-up then a steady window: RSS once a second, the loop delay all along.
    const rss: number[] = [];
    let lagRunMs = Number.NaN;
    if (!readyOnly) {
      const running = new AbortController();
      const lagRunning = scrapeLoopDelay(s.httpUrl, running.signal);
      await new Promise((r) => setTimeout(r, warmupMs));
      const until = Date.now() + steadyMs;
      while (Date.now() < until) {
        const m = await readProcMemory(s.pid);
        if (m) rss.push(m.rssBytes / 1e6);
        await new Promise((r) => setTimeout(r, 1000));
      }
      running.abort();
      lagRunMs = await lagRunning;
    }
    const peak = (await readProcMemory(s.pid))?.peakRssBytes ?? Number.NaN;
    const sorted = [...rss].sort((a, b) => a - b);
    median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    stall = Math.max(lagStartMs, watch.maxResponseMs);
    const h = await (await fetch(`${s.httpUrl}/health`)).json();

    // Where the time went, from the server's log lines (wall-clock `time`).
    const logs = s.logObjects();
    const logAt = (re: RegExp): { time?: number; [k: string]: unknown } | undefined => logs.find((l) => re.test(l.msg ?? ''));
    const listening = logAt(/^listening$/);
    const loaded = logAt(/^loaded snapshot/);
    const sec = (ms: number | undefined): number | null => (ms === undefined ? null : round(ms / 1000, 2));
    const loadMs = typeof loaded?.ms === 'number' ? loaded.ms : undefined;
    loadedBytes = loaded?.bytes;
    const breakdown = {
      spawnToListeningS: sec(listening?.time === undefined ? undefined : listening.time - s.spawnedAtWall),
      // Asking the node, and the node writing the file (the simulator: its own process).
      listeningToSnapshotFileS: sec(
        listening?.time === undefined || loaded?.time === undefined || loadMs === undefined ? undefined : loaded.time - loadMs - listening.time,
      ),
      snapshotLoadS: sec(loadMs),
      snapshotBytes: loaded?.bytes,
      orders: loaded?.orders,
      coins: loaded?.coins,
    };
    figures.push({ bench: 'scale.ready_500k_s', value: round(readyS, 2), unit: 's', states: watch.states, healthCalls: watch.calls, breakdown });
    figures.push({
      bench: 'scale.loop_stall_max_ms',
      value: round(stall),
      unit: 'ms',
      during: 'spawn to ready',
      eventLoopDelayMaxMs: round(lagStartMs),
      healthSlowestMs: round(watch.maxResponseMs),
      ...(readyOnly ? {} : { afterReadyEventLoopDelayMaxMs: round(lagRunMs) }),
    });
    if (!readyOnly)
      figures.push({
        bench: 'scale.rss_500k_mb',
        value: round(median),
        unit: 'MB',
        warmupS: warmupMs / 1000,
        steadyS: steadyMs / 1000,
        first: round(rss[0] ?? Number.NaN),
        last: round(rss[rss.length - 1] ?? Number.NaN),
        health: h,
      });
    figures.push({
      bench: 'scale.rss_peak_500k_mb',
      value: round(peak / 1e6),
      unit: 'MB',
      ...(readyOnly ? { note: 'peak up to ready (SCALE_ONLY=ready)' } : {}),
    });
    // The baseline's input: the node's snapshot of the same market, taken now (a few blocks later).
    snapshotText = await nodeSnapshotText(s);
  } finally {
    await s.stop();
  }
  // Timed with the server and the node stopped, as the server's load ran alone.
  const base = jsonParseBaseline(snapshotText);
  const baseline = {
    what: 'plain JSON.parse of the node snapshot of the same market, in the bench process',
    parseMs: round(base.parseMs),
    passesMs: base.passesMs,
    bytes: Buffer.byteLength(snapshotText),
    serverLoadedBytes: loadedBytes,
    parsedHeapMb: round(base.parsedHeapMb),
  };
  for (const f of figures) {
    const judged = (ratio: number, goal: string, extra: Record<string, unknown> = {}): void =>
      report({ ...f, ratio: round(ratio, 3), goal, met: meets(ratio, goal), baseline, ...extra, machine: at });
    if (f.bench === 'scale.ready_500k_s') judged((readyS * 1000) / base.parseMs, READY_RATIO_GOAL, { absoluteGoal: '< 5 s (quiet machine)' });
    else if (f.bench === 'scale.loop_stall_max_ms') judged(stall / base.parseMs, STALL_RATIO_GOAL, { absoluteGoal: '< 100 ms (quiet machine)' });
    else if (f.bench === 'scale.rss_500k_mb') judged(median / base.parsedHeapMb, RSS_RATIO_GOAL, { absoluteGoal: '< 600 MB' });
    else report({ ...f, ratio: round(f.value / base.parsedHeapMb, 3) });
  }
}

export async function run(report: Report): Promise<void> {
  const only = process.env.SCALE_ONLY;
  if (only === undefined || only === 'memory' || only === 'ready') await memory500k(report, only === 'ready');
  if (only === undefined || only === 'clients') await maxClients(report);
}
