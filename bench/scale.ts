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
 * Bounded: about 7-10 minutes in all (two ramps of clients, then memory). Environment knobs: `SCALE_ONLY=clients|memory|ready`
 * (`ready`: only the start of the memory part, spawn to `ready` with its stalls and the peak
 * RSS, no warm-up or steady window: about 15 s),
 * `SCALE_STEP_S` (window per step, default 12), `SCALE_STEPS` (comma list),
 * `SCALE_WORKERS` (load-tool processes, default 1), `SCALE_SERVER_WORKERS` (the server's
 * `--workers`, a comma list: one ramp each, default `1,2`; `scale.max_clients` is the best), `SCALE_WARMUP_S` (default 20),
 * `SCALE_STEADY_S` (default 30).
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { runLoadTest, type LoadReport } from '../src/load/index.js';
import { watchHealth } from '../src/load/health-watch.js';
import { readProcMemory } from '../src/load/proc-status.js';
import { metricValue } from '../src/load/server-probe.js';
import type { Report } from './run.js';
import { startSimServer, type SimServer } from './sim-server.js';

const env = (k: string, d: number): number => (process.env[k] === undefined ? d : Number(process.env[k]));
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

function machine(): Record<string, unknown> {
  return { cores: cpus().length, cpu: cpus()[0]?.model, memGb: round(totalmem() / 2 ** 30), node: process.version };
}

/** Resolves once /health says ready (watching back to back). */
async function whenReady(s: SimServer, timeoutMs = 120_000): Promise<number> {
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
  workers: number;
  best: number;
  bestAll: number;
  held: number;
  done: Step[];
}

/** One ramp of client counts against a server with `serverWorkers` processes (`--workers`). */
async function ramp(serverWorkers: number): Promise<Ramp> {
  const stepMs = env('SCALE_STEP_S', 12) * 1000;
  const steps = (process.env.SCALE_STEPS ?? '10,500,1000,2000,3000,4000,5000,6000,8000,10000,12000,15000,20000').split(',').map(Number);
  const workers = env('SCALE_WORKERS', 1);
  const budgetMs = env('SCALE_BUDGET_S', 180) * 1000;
  const s = await startSimServer({ sim: { profile: 'mainnet', coins: 10, seed: 1 }, simProcess: true, server: serverWorkers > 1 ? { workers: serverWorkers } : undefined });
  try {
    await whenReady(s);
    const coins = (await (await fetch(`${s.httpUrl}/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"allMids"}' })).json()) as { [coin: string]: string };
    const names = Object.keys(coins).slice(0, 10);
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
    for (const n of steps) {
      if (Date.now() - started > budgetMs) break;
      let passed = false;
      let clean = true;
      let p99 = Infinity;
      let allP99 = Infinity;
      // A step that misses 50 ms gets a second try while it is the first miss: other jobs on
      // a shared machine can steal a few hundred ms from any single window.
      for (let attempt = 1; attempt <= (under ? 2 : 1) && !passed; attempt++) {
        const r = await runLoadTest({
          url: s.wsUrl,
          clients: n,
          tailClients: TAIL_CLIENTS,
          subscribe: 'l2Book:*,bbo:*,trades:*',
          coins: names,
          durationMs: stepMs,
          workers,
          // One process: its /proc figures. Several: their sum, from the merged /metrics.
          ...(serverWorkers > 1 ? {} : { serverPid: s.pid }),
        });
        const step = { ...stepOf(r), attempt, serverWorkers, loadavg1: round(loadavg()[0]!, 2) };
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
      if (!clean || p99 >= 1000) break;
      held = n;
    }
    return { workers: serverWorkers, best, bestAll, held, done };
  } finally {
    await s.stop();
  }
}

/**
 * `SCALE_SERVER_WORKERS` (comma list, default `1,2`): the server's `--workers` for each ramp.
 * `scale.max_clients` is the best of them, as a user would run the server for many clients
 * on this machine (its `serverWorkers` says which); `scale.max_clients_workers_<n>` gives
 * each count's own figure, with every step's p99 beside the other counts'.
 */
async function maxClients(report: Report): Promise<void> {
  const counts = (process.env.SCALE_SERVER_WORKERS ?? '1,2').split(',').map(Number);
  const ramps: Ramp[] = [];
  for (const w of counts) ramps.push(await ramp(w));
  // The best ramp; a tie goes to fewer workers (less memory).
  const top = ramps.reduce((x, r) => (r.best > x.best ? r : x));
  const { best, bestAll, held, done } = top;
  const last = [...done].reverse().find((d) => d.clients === best);
  report({
    bench: 'scale.max_clients',
    value: best,
    unit: 'clients',
    goal: '>= 5000',
    p99GoalMs: P99_GOAL_MS,
    serverWorkers: top.workers,
    byWorkers: Object.fromEntries(ramps.map((r) => [r.workers, r.best])),
    criterion: `p99 of ${TAIL_CLIENTS} tail clients (opened last, read by an otherwise idle process) under ${P99_GOAL_MS} ms, no client dropped, refused or sent an error`,
    steps: done,
    machine: machine(),
  });
  report({ bench: 'scale.max_clients_all_p99', value: bestAll, unit: 'clients', serverWorkers: top.workers, note: `p99 over every client (the load tool's own queueing included) under ${P99_GOAL_MS} ms` });
  report({ bench: 'scale.clients_held_p99_1s', value: held, unit: 'clients', serverWorkers: top.workers, note: 'every client served (none dropped or refused), tail p99 under 1 s' });
  if (done[0]) report({ bench: 'scale.latency_p99_few_clients_ms', value: done[0].tailP99 ?? Number.NaN, unit: 'ms', clients: done[0].clients, serverWorkers: top.workers });
  if (last?.serverCpuMicrosPerFrame != null) report({ bench: 'scale.server_cpu_us_per_frame', value: last.serverCpuMicrosPerFrame, unit: 'µs', clients: best, serverWorkers: top.workers });
  if (ramps.length < 2) return;
  for (const r of ramps) {
    // Step by step beside the other ramps: the tail p99 with each worker count.
    const byClients = r.done.map((d) => {
      const others: Record<string, number | null> = {};
      for (const o of ramps) {
        if (o === r) continue;
        const b = [...o.done].reverse().find((x) => x.clients === d.clients);
        others[`tailP99With${o.workers}`] = b?.tailP99 ?? null;
      }
      return { clients: d.clients, attempt: (d as { attempt?: number }).attempt, tailP99: d.tailP99, p99: d.p99, serverCpuPercent: d.serverCpuPercent, ...others };
    });
    report({
      bench: `scale.max_clients_workers_${r.workers}`,
      value: r.best,
      unit: 'clients',
      goal: '>= 5000',
      serverWorkers: r.workers,
      maxClientsAllP99: r.bestAll,
      held: r.held,
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

async function memory500k(report: Report, readyOnly = false): Promise<void> {
  const warmupMs = env('SCALE_WARMUP_S', 20) * 1000;
  const steadyMs = env('SCALE_STEADY_S', 30) * 1000;
  const s = await startSimServer({ sim: { profile: 'mainnet', coins: 200, restingOrders: 500_000, seed: 2 }, simProcess: true });
  try {
    // Startup: back-to-back /health and the server's own loop delay, until ready.
    const startup = new AbortController();
    const lagAtStart = scrapeLoopDelay(s.httpUrl, startup.signal);
    const watch = await watchHealth({ url: `${s.httpUrl}/health`, signal: AbortSignal.timeout(120_000), untilReady: true });
    startup.abort();
    const lagStartMs = await lagAtStart;
    if (watch.readyAt === null) throw new Error(`not ready in 120 s (states ${watch.states.join(' → ')}): ${s.stderrTail()}`);
    const readyS = (watch.readyAt - s.spawnedAt) / 1000;

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
    const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    const stall = Math.max(lagStartMs, watch.maxResponseMs);
    const h = await (await fetch(`${s.httpUrl}/health`)).json();

    // Where the time went, from the server's log lines (wall-clock `time`).
    const logs = s.logObjects();
    const at = (re: RegExp): { time?: number; [k: string]: unknown } | undefined => logs.find((l) => re.test(l.msg ?? ''));
    const listening = at(/^listening$/);
    const loaded = at(/^loaded snapshot/);
    const sec = (ms: number | undefined): number | null => (ms === undefined ? null : round(ms / 1000, 2));
    const loadMs = typeof loaded?.ms === 'number' ? loaded.ms : undefined;
    const breakdown = {
      spawnToListeningS: sec(listening?.time === undefined ? undefined : listening.time - s.spawnedAtWall),
      // Asking the node, and the node writing the file (the simulator: its own process).
      listeningToSnapshotFileS: sec(listening?.time === undefined || loaded?.time === undefined || loadMs === undefined ? undefined : loaded.time - loadMs - listening.time),
      snapshotLoadS: sec(loadMs),
      snapshotBytes: loaded?.bytes,
      orders: loaded?.orders,
      coins: loaded?.coins,
    };
    report({ bench: 'scale.ready_500k_s', value: round(readyS, 2), unit: 's', goal: '< 5', states: watch.states, healthCalls: watch.calls, breakdown });
    report({
      bench: 'scale.loop_stall_max_ms',
      value: round(stall),
      unit: 'ms',
      goal: '< 100',
      during: 'spawn to ready',
      eventLoopDelayMaxMs: round(lagStartMs),
      healthSlowestMs: round(watch.maxResponseMs),
      ...(readyOnly ? {} : { afterReadyEventLoopDelayMaxMs: round(lagRunMs) }),
    });
    if (!readyOnly) report({
      bench: 'scale.rss_500k_mb',
      value: round(median),
      unit: 'MB',
      goal: '< 600',
      warmupS: warmupMs / 1000,
      steadyS: steadyMs / 1000,
      first: round(rss[0] ?? Number.NaN),
      last: round(rss[rss.length - 1] ?? Number.NaN),
      health: h,
    });
    report({ bench: 'scale.rss_peak_500k_mb', value: round(peak / 1e6), unit: 'MB', ...(readyOnly ? { note: 'peak up to ready (SCALE_ONLY=ready)' } : {}) });
  } finally {
    await s.stop();
  }
}

export async function run(report: Report): Promise<void> {
  const only = process.env.SCALE_ONLY;
  if (only === undefined || only === 'memory' || only === 'ready') await memory500k(report, only === 'ready');
  if (only === undefined || only === 'clients') await maxClients(report);
}
