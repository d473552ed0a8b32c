/**
 * The presets produce the rates they promise per second of block time: mainnet the busy
 * window of node-data.md, stress five times that (bench/sim.ts measures them in real time).
 */
import { describe, expect, it } from 'vitest';
import { PROFILES, blockPlan, type ProfileName } from '../../src/sim/profiles.js';
import { startSimulator } from '../../src/sim/simulator.js';
import { tempDir } from './helpers.js';

async function rates(profile: ProfileName, blocks: number): Promise<{ statuses: number; diffs: number; fills: number; rejected: number }> {
  const sim = await startSimulator({
    dataDir: tempDir(),
    infoPort: 0,
    speed: 'max',
    profile,
    maxBlocks: blocks,
    seed: 3,
    restingOrders: 10_000,
    startTime: '2026-04-01T00:00:00',
  });
  await sim.done;
  await sim.stop();
  const s = sim.stats();
  const seconds = blocks / 14.6;
  return { statuses: s.statuses / seconds, diffs: s.diffs / seconds, fills: s.fills / seconds, rejected: s.rejected / s.statuses };
}

describe('order-flow presets', () => {
  it('mainnet: about 15,000 statuses/s (95 % rejected), 6,400 diffs/s and 50 fills/s', async () => {
    const r = await rates('mainnet', 220);
    expect(r.statuses / PROFILES.mainnet.statusesPerSecond).toBeCloseTo(1, 1);
    expect(r.diffs / PROFILES.mainnet.diffsPerSecond).toBeCloseTo(1, 1);
    expect(r.fills).toBeGreaterThan(35);
    expect(r.fills).toBeLessThan(65);
    expect(r.rejected).toBeGreaterThan(0.93);
    expect(r.rejected).toBeLessThan(0.97);
  });

  it('stress: five times mainnet', async () => {
    const r = await rates('stress', 40);
    expect(r.statuses / PROFILES.stress.statusesPerSecond).toBeCloseTo(1, 1);
    expect(r.diffs / PROFILES.stress.diffsPerSecond).toBeCloseTo(1, 1);
    expect(r.fills).toBeGreaterThan(150);
  });

  it('scales every kind of action with an explicit events-per-block, down to empty blocks', () => {
    const half = blockPlan(PROFILES.mainnet, 14.6, 15_000 / 14.6 / 2);
    const full = blockPlan(PROFILES.mainnet, 14.6);
    for (const k of Object.keys(full) as (keyof typeof full)[]) expect(half[k]).toBeCloseTo(full[k] / 2, 6);
    const none = blockPlan(PROFILES.mainnet, 14.6, 0);
    expect(Object.values(none).every((v) => v === 0)).toBe(true);
  });
});
