/**
 * The soak: the simulated node (in this process, its truth at hand) at the mainnet profile,
 * crossing an hour boundary and pruning closed files; the server in its own process; 200
 * clients connecting and disconnecting at random (exponential lifetimes). Passes when the
 * server's memory grows less than 10 % after warm-up, nothing errs (no error frame, no
 * dropped client, no socket error, no error line from the feed) and, once the simulator
 * stops, every book the server holds equals the simulator's.
 *
 * With faults (`faults`, `npm run soak -- --faults <spec>`) the simulated node misbehaves as
 * a real one does (src/sim/faults.ts): then also no client may see a wrong book (a few
 * sockets keep `l4Book` replicas checked against the simulator's truth, book-check.ts) and
 * the server's `/metrics` must count every full resync it logged. Faults stop 30 s before
 * the end so that the last one has healed when the books are compared; warnings are then
 * expected (each fault logs some), error lines are not.
 *
 * `npm run soak` (30 minutes; `-- --minutes N` for another length; `-- --quick` for the
 * 50-second version on the quiet profile, which used to run inside `npm test`: a timed,
 * 50-second test does not belong in the unit suite, and its checks live here now, in
 * `soakChecks`). Exits 1 when a figure misses its goal or a check fails.
 */
import { fileURLToPath } from 'node:url';
import { Books } from '../src/book/index.js';
import { runLoadTest, type LoadReport } from '../src/load/index.js';
import { watchHealth } from '../src/load/health-watch.js';
import { readProcMemory } from '../src/load/proc-status.js';
import type { ProfileName } from '../src/sim/index.js';
import { parseFaults, type FaultKind } from '../src/sim/faults.js';
import { startBookCheck, type BookCheckReport } from './book-check.js';
import type { Figure } from './run.js';
import { serverSnapshot, startSimServer, waitForHeight } from './sim-server.js';

export interface SoakOptions {
  /** Length of the churning window, ms. */
  durationMs: number;
  /** Default 200. */
  clients?: number;
  /** Mean connection lifetime, ms. Default 20000. */
  churnMs?: number;
  /** Default 'mainnet'. */
  profile?: ProfileName;
  /** Share of the window before memory counts as warmed up. Default 0.25. */
  warmupShare?: number;
  /** Minutes a closed hourly file is kept by the simulator. Default 1. */
  keepMinutes?: number;
  /** Default 1. */
  seed?: number;
  /** Node faults to inject (a `--faults` spec), e.g. `rate=0.002,snapshot-rate=0.3`. Default none. */
  faults?: string;
  /** Progress lines. Default none. */
  onProgress?: (line: string) => void;
}

export interface SoakResult {
  minutes: number;
  /** Server RSS (MB) sampled every few seconds over the window. */
  rssMb: number[];
  /** Growth of RSS after warm-up along its least-squares line (GC makes it a sawtooth), %. */
  rssGrowthPct: number;
  /** Error frames + dropped clients + socket errors + failed connects + the feed's error lines. */
  errors: number;
  /** Every book equal to the simulator's at its last height. */
  booksEqual: boolean;
  /** What differed, when not equal. */
  difference: string | null;
  height: number;
  load: LoadReport;
  /** The feed's warning lines (hour rotation and pruning may log some). */
  warnings: string[];
  errorLines: string[];
  /** Hour files rotated through (the simulated clock crosses an hour boundary). */
  crossedHour: boolean;
  /** With faults: those injected, the clients' books checked, the repairs logged and counted. */
  faults?: {
    injected: Record<FaultKind, number>;
    bookCheck: BookCheckReport;
    /** "resyncing every coin" lines in the server's log. */
    resyncsLogged: number;
    /** `hlob_resyncs_total{kind="full"}` at the end. */
    resyncsCounted: number;
    /** `hlob_resyncs_total` of every kind, and the snapshot requests by result. */
    metrics: Record<string, number>;
  };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * How much a series of evenly spaced samples grew from its first to its last, along its
 * least-squares line, in % of the line's start: a garbage-collected heap is a sawtooth,
 * and comparing two single samples would read a tooth as growth.
 */
export function trendGrowthPct(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  ys.forEach((y, x) => {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxy / sxx;
  const start = my - slope * mx;
  return ((slope * (n - 1)) / start) * 100;
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const progress = opts.onProgress ?? (() => undefined);
  // Simulated time (in the recent past): the hour turns a third of the way through, so the
  // files rotate, and the closed hour is pruned `keepMinutes` later.
  const hour = 3_600_000;
  const turnAt = Math.floor(Date.now() / hour) * hour;
  const startTime = turnAt - Math.round(opts.durationMs / 3);
  // The plan is read live by the simulator: turned off before the end.
  const faultPlan = opts.faults === undefined ? undefined : parseFaults(opts.faults);
  const s = await startSimServer({
    sim: { profile: opts.profile ?? 'mainnet', seed: opts.seed ?? 1, keepMinutes: opts.keepMinutes ?? 1, startTime, faults: faultPlan },
  });
  const sim = s.sim;
  if (!sim) throw new Error('the soak needs the simulator in this process');
  try {
    const ready = await watchHealth({ url: `${s.httpUrl}/health`, signal: AbortSignal.timeout(120_000), untilReady: true });
    if (ready.readyAt === null) throw new Error(`server not ready: ${s.stderrTail()}`);
    const coins = sim.coins.map((c) => c.name);
    progress(`ready; ${opts.clients ?? 200} clients churning for ${Math.round(opts.durationMs / 1000)} s over ${coins.length} coins`);

    // Server memory every few seconds while the clients churn.
    const rssMb: number[] = [];
    const every = Math.max(1000, Math.min(10_000, opts.durationMs / 60));
    const sampler = setInterval(() => {
      void readProcMemory(s.pid).then((m) => {
        if (m) rssMb.push(m.rssBytes / 1e6);
      });
    }, every);
    // With faults, a few clients keep l4Book replicas checked against the truth.
    const checked = coins.slice(0, 4);
    const check = faultPlan === undefined ? undefined : startBookCheck(s.wsUrl, sim, checked);
    let load: LoadReport;
    try {
      load = await runLoadTest({
        url: s.wsUrl,
        clients: opts.clients ?? 200,
        subscribe: 'l2Book:*,bbo:*,trades:*,l4Book:*:bookOnly',
        coins,
        durationMs: opts.durationMs,
        churnMs: opts.churnMs ?? 20_000,
        seed: opts.seed ?? 1,
        workers: 1,
        serverPid: s.pid,
        progressEveryMs: 60_000,
        onProgress: progress,
      });
    } finally {
      clearInterval(sampler);
    }

    let bookCheck: BookCheckReport | undefined;
    if (faultPlan !== undefined) {
      // No new fault from here; the last ones heal while the checked clients keep watching.
      faultPlan.rate = 0;
      faultPlan.snapshotRate = 0;
      faultPlan.blocks.clear();
      faultPlan.snapshots.clear();
      progress('faults off: letting the last ones heal');
      await new Promise((r) => setTimeout(r, 30_000));
      await watchHealth({ url: `${s.httpUrl}/health`, signal: AbortSignal.timeout(120_000), untilReady: true });
      bookCheck = check!.stop();
    }

    // The end: the simulator stops; the server catches up; every book must match.
    await sim.stop();
    const height = sim.height();
    await waitForHeight(s.httpUrl, height);
    const truth = sim.snapshot();
    const served = await serverSnapshot(s.httpUrl, coins);
    const difference =
      served === null
        ? 'coins at different heights'
        : served[0] !== height
          ? `server at ${served[0]}, simulator at ${height}`
          : Books.fromSnapshot(served).compare(truth);

    const rssGrowthPct = trendGrowthPct(rssMb.slice(Math.floor(rssMb.length * (opts.warmupShare ?? 0.25))));
    const lines = s.logLines();
    const errorLines = lines.filter((l) => l.level !== 'warn').map((l) => l.msg);
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    const errors = load.errorFrames + load.disconnects + load.socketErrors + load.connectFailures + errorLines.length;
    let faults: SoakResult['faults'];
    if (faultPlan !== undefined) {
      const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
      const metrics: Record<string, number> = {};
      for (const m of text.matchAll(/^(hlob_(?:resyncs|snapshot_requests|skipped_lines|file_catchup_blocks)_total(?:\{[^}]*\})?) (\d+)$/gm))
        metrics[m[1]!] = Number(m[2]);
      faults = {
        injected: sim.stats().faults!,
        bookCheck: bookCheck!,
        resyncsLogged: lines.filter((l) => l.msg.startsWith('resyncing every coin')).length,
        resyncsCounted: metrics['hlob_resyncs_total{kind="full"}'] ?? 0,
        metrics,
      };
    }
    return {
      minutes: opts.durationMs / 60_000,
      rssMb: rssMb.map((x) => Math.round(x * 10) / 10),
      rssGrowthPct: Math.round(rssGrowthPct * 100) / 100,
      errors,
      booksEqual: difference === null,
      difference,
      height,
      load,
      warnings,
      errorLines,
      crossedHour: height > 0 && startTime + opts.durationMs > turnAt,
      faults,
    };
  } finally {
    await s.stop();
  }
}

/** What a run of a given shape must show besides the figures' goals. */
export interface SoakShape {
  durationMs: number;
  clients: number;
  churnMs: number;
}

/**
 * RSS growth goal, %: below 10 minutes the heap is still finding its size and GC makes RSS a
 * sawtooth, so a short run only catches a gross leak (50 %); the 30-minute soak holds 10 %.
 */
export function rssGoalPct(durationMs: number): number {
  return durationMs >= 10 * 60_000 ? 10 : 50;
}

/**
 * The checks a run must pass beyond its figures (they were the 1-minute test's assertions):
 * clients really came and went and got data, memory was sampled all along, the simulated
 * clock crossed its hour boundary, and nothing erred. Returns the failed ones, named.
 */
export function soakChecks(r: SoakResult, shape: SoakShape): string[] {
  const failed: string[] = [];
  const check = (ok: boolean, what: string): void => {
    if (!ok) failed.push(what);
  };
  const seconds = shape.durationMs / 1000;
  // Exponential lifetimes of mean churnMs: clients × window / churnMs reconnects expected.
  const churnExpected = (shape.clients * shape.durationMs) / shape.churnMs;
  const samplesExpected = shape.durationMs / Math.max(1000, Math.min(10_000, shape.durationMs / 60));
  check(r.errorLines.length === 0, `error lines logged: ${JSON.stringify(r.errorLines.slice(0, 3))}`);
  check(r.load.errorSamples.length === 0, `client errors: ${JSON.stringify(r.load.errorSamples.slice(0, 3))}`);
  check(r.errors === 0, `${r.errors} errors`);
  check(r.difference === null && r.booksEqual, `books differ: ${r.difference}`);
  check(r.crossedHour, 'the simulated clock did not cross the hour');
  check(r.load.churned > churnExpected / 2, `${r.load.churned} reconnects, expected about ${Math.round(churnExpected)}`);
  check(r.load.frames > 200 * seconds, `${r.load.frames} frames, fewer than 200 a second`);
  check(r.rssMb.length > samplesExpected * 0.4, `${r.rssMb.length} RSS samples, expected about ${Math.round(samplesExpected)}`);
  return failed;
}

/** The soak's figures, in the bench format. */
export function soakFigures(r: SoakResult, shape?: SoakShape): Figure[] {
  const extra = { minutes: r.minutes, clients: r.load.clients, churned: r.load.churned, connects: r.load.connects, frames: r.load.frames };
  const failed = shape === undefined ? undefined : soakChecks(r, shape);
  return [
    { bench: 'soak.rss_growth_pct', value: r.rssGrowthPct, unit: '%', goal: `< ${rssGoalPct(r.minutes * 60_000)}`, rssMb: r.rssMb, ...extra },
    {
      bench: 'soak.errors',
      value: r.errors,
      unit: 'errors',
      goal: '<= 0',
      errorLines: r.errorLines.slice(0, 5),
      errorSamples: r.load.errorSamples,
      warnings: r.warnings.slice(0, 5),
    },
    { bench: 'soak.books_equal', value: r.booksEqual ? 1 : 0, unit: 'bool', goal: '>= 1', height: r.height, difference: r.difference },
    ...(failed === undefined ? [] : [{ bench: 'soak.checks_failed', value: failed.length, unit: 'checks', goal: '<= 0', failed }]),
    ...(r.faults === undefined
      ? []
      : [
          {
            bench: 'soak.wrong_books_seen',
            value: r.faults.bookCheck.mismatches,
            unit: 'checks',
            goal: '<= 0',
            checks: r.faults.bookCheck.checks,
            snapshots: r.faults.bookCheck.snapshots,
            samples: r.faults.bookCheck.samples,
            injected: r.faults.injected,
          },
          {
            bench: 'soak.repairs_uncounted',
            value: Math.abs(r.faults.resyncsLogged - r.faults.resyncsCounted),
            unit: 'resyncs',
            goal: '<= 0',
            logged: r.faults.resyncsLogged,
            counted: r.faults.resyncsCounted,
            metrics: r.faults.metrics,
          },
        ]),
  ];
}

/** `--quick`: the 50-second version (quiet profile, 200 clients churning every 5 s, seed 3). */
const QUICK = { durationMs: 50_000, profile: 'quiet' as ProfileName, clients: 200, churnMs: 5_000, seed: 3 };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const quick = process.argv.includes('--quick');
  const minutes = arg('--minutes') === undefined ? (quick ? QUICK.durationMs / 60_000 : 30) : Number(arg('--minutes'));
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 120) {
    process.stderr.write('soak: --minutes must be a number from 0 to 120\n');
    process.exit(2);
  }
  const { meets, writeResults } = await import('./run.js');
  const faults = arg('--faults');
  if (faults !== undefined) parseFaults(faults);
  const opts: SoakOptions = {
    ...(quick ? QUICK : {}),
    durationMs: Math.round(minutes * 60_000),
    faults,
    onProgress: (l) => process.stderr.write(`soak: ${l}\n`),
  };
  let failed = false;
  try {
    const r = await runSoak(opts);
    const figures = soakFigures(r, { durationMs: opts.durationMs, clients: opts.clients ?? 200, churnMs: opts.churnMs ?? 20_000 });
    for (const f of figures) {
      f.met = f.goal === undefined ? undefined : meets(f.value, f.goal);
      if (f.met === false) failed = true;
      process.stdout.write(JSON.stringify(f) + '\n');
    }
    writeResults(quick ? 'soak-quick' : 'soak', figures);
  } catch (err) {
    process.stderr.write(`soak: failed: ${(err as Error).stack ?? String(err)}\n`);
    failed = true;
  }
  // Exit explicitly: a failed run can leave handles (a client pool, the simulator) open.
  process.exit(failed ? 1 : 0);
}
