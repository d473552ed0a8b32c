/**
 * `npm run bench -- sim`: what the simulated node really produces per profile.
 * - `sim.rates.<profile>.<kind>`: statuses, diffs and fill events per second of wall-clock
 *   time in real-time mode (14.6 blocks/s), with the profile's target beside them
 *   (`ratio` = achieved / target; met within ±10 %, ±30 % for the sparse fills).
 * - `sim.capacity.<profile>`: blocks per second at `--speed max` (the default market, 44 coins, 20,000 resting
 *   orders, files on the local disk); `ratio` = capacity / 14.6, met when ≥ 1 (keeps up).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROFILES, PROFILE_NAMES, startSimulator, type SimStats } from '../src/sim/index.js';
import type { Report } from './run.js';

const BPS = 14.6;
const REALTIME_SECONDS = Number(process.env.SIM_BENCH_SECONDS ?? 6);
const MAX_BLOCKS = { quiet: 400, mainnet: 300, stress: 120 } as const;

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function realtime(profile: (typeof PROFILE_NAMES)[number]): Promise<{ seconds: number; stats: SimStats }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hlob-bench-sim-'));
  try {
    const sim = await startSimulator({ dataDir, infoPort: 0, profile, speed: 'realtime', seed: 9, keepMinutes: 0 });
    // Count from the first block written, over a fixed span of wall-clock time.
    await new Promise<void>((r) => sim.once('block', () => r()));
    const t0 = performance.now();
    const s0 = sim.stats();
    await new Promise<void>((r) => setTimeout(r, REALTIME_SECONDS * 1000));
    const s1 = sim.stats();
    const seconds = (performance.now() - t0) / 1000;
    await sim.stop();
    return {
      seconds,
      stats: {
        blocks: s1.blocks - s0.blocks,
        statuses: s1.statuses - s0.statuses,
        rejected: s1.rejected - s0.rejected,
        diffs: s1.diffs - s0.diffs,
        fills: s1.fills - s0.fills,
        bytes: s1.bytes - s0.bytes,
        restingOrders: s1.restingOrders,
      },
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function capacity(profile: (typeof PROFILE_NAMES)[number]): Promise<{ blocksPerSecond: number; mbPerSecond: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hlob-bench-sim-'));
  try {
    const sim = await startSimulator({
      dataDir,
      infoPort: 0,
      profile,
      speed: 'max',
      seed: 9,
      maxBlocks: MAX_BLOCKS[profile],
      startTime: '2026-01-01T00:00:00',
    });
    const t0 = performance.now();
    await sim.done;
    const seconds = (performance.now() - t0) / 1000;
    const s = sim.stats();
    await sim.stop();
    return { blocksPerSecond: s.blocks / seconds, mbPerSecond: s.bytes / 1e6 / seconds };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(report: Report): Promise<void> {
  for (const profile of PROFILE_NAMES) {
    const target = PROFILES[profile];
    const { seconds, stats } = await realtime(profile);
    const per = (n: number): number => round(n / seconds);
    const figure = (kind: string, value: number, want: number, unit: string, tolerance: number): void => {
      const ratio = round(value / want, 3);
      report({
        bench: `sim.rates.${profile}.${kind}`,
        value,
        unit,
        target: want,
        ratio,
        goal: `ratio within ±${tolerance * 100} %`,
        met: Math.abs(ratio - 1) <= tolerance,
        seconds: round(seconds, 2),
      });
    };
    figure('blocks', per(stats.blocks), BPS, 'blocks/s', 0.1);
    figure('statuses', per(stats.statuses), target.statusesPerSecond, 'statuses/s', 0.1);
    figure('rejectedShare', round(stats.rejected / Math.max(1, stats.statuses), 4), target.rejectedShare, 'share', 0.02);
    figure('diffs', per(stats.diffs), target.diffsPerSecond, 'diffs/s', 0.1);
    figure('fills', per(stats.fills), target.fillsPerSecond, 'fill events/s', 0.3);
    report({ bench: `sim.rates.${profile}.bytes`, value: round(stats.bytes / 1e6 / seconds, 2), unit: 'MB/s written' });

    const cap = await capacity(profile);
    const ratio = round(cap.blocksPerSecond / BPS, 2);
    report({
      bench: `sim.capacity.${profile}`,
      value: round(cap.blocksPerSecond),
      unit: 'blocks/s at --speed max',
      ratio,
      goal: '>= 1',
      met: ratio >= 1,
      mbPerSecond: round(cap.mbPerSecond),
    });
  }
}
