/**
 * The simulator's files over time: same seed same bytes, hourly and daily rollover on the
 * block time, pruning of closed hourly files, lines written in pieces on request.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STREAM_PREFIXES as STREAMS } from '../../src/node/format.js';
import { checkNodeData } from '../../src/sim/check-data.js';
import { startSimulator, type SimulatorOptions } from '../../src/sim/simulator.js';
import { envelopes, filesUnder, tempDir } from './helpers.js';

async function simulate(opts: Omit<SimulatorOptions, 'dataDir'>): Promise<string> {
  const dataDir = tempDir();
  const sim = await startSimulator({ infoPort: 0, speed: 'max', restingOrders: 3000, ...opts, dataDir });
  await sim.done;
  await sim.stop();
  return dataDir;
}

/** The wall-clock parts of the files (times and ms timestamps), blanked. */
function withoutTimes(text: string): string {
  return text.replace(/"(local_time|block_time|time)":"[^"]*"/g, '"$1":""').replace(/"(timestamp|time)":\d+/g, '"$1":0');
}

describe('simulator files', () => {
  it('with the same seed and start time, writes the same bytes; another seed writes others', async () => {
    const opts = { seed: 42, maxBlocks: 40, profile: 'quiet' as const, startTime: '2026-06-01T12:00:00' };
    const a = filesUnder(await simulate(opts));
    const b = filesUnder(await simulate(opts));
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, bytes] of a) expect(bytes.equals(b.get(name)!), name).toBe(true);
    const c = filesUnder(await simulate({ ...opts, seed: 43 }));
    const statuses = 'node_order_statuses_by_block/hourly/20260601/12';
    expect(c.get(statuses)!.equals(a.get(statuses)!)).toBe(false);
  });

  it('on the wall clock, differs from another run with the same seed only in times', async () => {
    const opts = { seed: 5, maxBlocks: 25, profile: 'quiet' as const };
    const a = filesUnder(await simulate(opts));
    const b = filesUnder(await simulate(opts));
    const text = (files: Map<string, Buffer>): string[] =>
      STREAMS.map((s) =>
        withoutTimes(
          [...files]
            .filter(([k]) => k.startsWith(`${s}_by_block`))
            .sort()
            .map(([, v]) => v.toString())
            .join(''),
        ),
      );
    expect(text(a)).toEqual(text(b));
    expect(text(a)[0]!.length).toBeGreaterThan(10_000);
  });

  it('rolls files over on the hour and the day of the block time, in order', async () => {
    const dir = await simulate({ maxBlocks: 60, profile: 'quiet', eventsPerBlock: 50, startTime: '2026-12-31T23:59:58' });
    for (const stream of STREAMS) {
      const base = join(dir, `${stream}_by_block`, 'hourly');
      expect(readdirSync(base).sort()).toEqual(['20261231', '20270101']);
      expect(readdirSync(join(base, '20261231'))).toEqual(['23']);
      expect(readdirSync(join(base, '20270101'))).toEqual(['0']);
      const before = readFileSync(join(base, '20261231', '23'), 'utf8')
        .trim()
        .split('\n');
      const after = readFileSync(join(base, '20270101', '0'), 'utf8')
        .trim()
        .split('\n');
      expect(before.length + after.length).toBe(60);
      expect(before.length).toBeGreaterThan(20);
      for (const l of before) expect(JSON.parse(l).block_time).toMatch(/^2026-12-31T23:59:/);
      for (const l of after) expect(JSON.parse(l).block_time).toMatch(/^2027-01-01T00:00:/);
    }
    const heights = (await envelopes(dir, 'node_fills')).map((e) => e.block_number);
    expect(heights).toEqual(Array.from({ length: 60 }, (_, i) => 1_000_000_000 + i));
  });

  it('prunes closed hourly files older than keepMinutes, its own and older ones, never the open one', async () => {
    const dataDir = tempDir();
    const old = join(dataDir, 'node_fills_by_block', 'hourly', '20200101');
    mkdirSync(old, { recursive: true });
    writeFileSync(join(old, '5'), '');
    const sim = await startSimulator({
      dataDir,
      infoPort: 0,
      speed: 'max',
      restingOrders: 1000,
      maxBlocks: 40,
      eventsPerBlock: 20,
      keepMinutes: 0,
      startTime: '2026-02-02T09:59:59',
    });
    await sim.done;
    await sim.stop();
    expect(existsSync(old)).toBe(false);
    for (const stream of STREAMS) expect(readdirSync(join(dataDir, `${stream}_by_block`, 'hourly', '20260202'))).toEqual(['10']);

    const kept = await simulate({ restingOrders: 1000, maxBlocks: 40, eventsPerBlock: 20, startTime: '2026-02-02T09:59:59' });
    expect(readdirSync(join(kept, 'node_fills_by_block', 'hourly', '20260202')).sort()).toEqual(['10', '9']);
  });

  it('writes empty blocks as one "events":[] line in each stream', async () => {
    const dir = await simulate({ maxBlocks: 5, eventsPerBlock: 0, startTime: '2026-06-01T12:00:00' });
    for (const stream of STREAMS) {
      const text = filesUnder(join(dir, `${stream}_by_block`))
        .get('hourly/20260601/12')!
        .toString();
      const lines = text.trim().split('\n');
      expect(lines).toHaveLength(5);
      for (const l of lines) expect(l).toMatch(/^\{"local_time":"[^"]+","block_time":"[^"]+","block_number":\d+,"events":\[\]\}$/);
    }
  });

  it('writes the streaming layout too on request: one event per line, same envelope', async () => {
    const dir = await simulate({ maxBlocks: 10, profile: 'quiet', eventsPerBlock: 30, streaming: true, startTime: '2026-06-01T12:00:00' });
    for (const stream of STREAMS) {
      const byBlock = await envelopes(dir, stream);
      const streaming = await envelopes(dir, stream, 'streaming');
      expect(streaming.every((e) => e.events.length === 1)).toBe(true);
      expect(streaming.map((e) => JSON.stringify(e.events[0]))).toEqual(byBlock.flatMap((e) => e.events.map((x) => JSON.stringify(x))));
      expect(new Set(streaming.map((e) => e.block_number))).toEqual(new Set(byBlock.filter((e) => e.events.length > 0).map((e) => e.block_number)));
    }
  });

  it('with partial writes, a reader sees lines in pieces, and the files end whole and valid', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'node_order_statuses_by_block', 'hourly', '20260601', '12');
    const sim = await startSimulator({
      dataDir,
      infoPort: 0,
      speed: 'max',
      restingOrders: 1000,
      maxBlocks: 60,
      eventsPerBlock: 200,
      partialWrites: true,
      startTime: '2026-06-01T12:00:00',
    });
    let partial = 0;
    // Look at the file between turns of the event loop while the simulator writes.
    const watch = (): void => {
      if (existsSync(file)) {
        const text = readFileSync(file, 'latin1');
        if (text.length > 0 && !text.endsWith('\n')) partial++;
      }
      if (sim.height() < 1_000_000_059) setImmediate(watch);
    };
    setImmediate(watch);
    await sim.done;
    await sim.stop();
    expect(partial).toBeGreaterThan(0);
    const report = await checkNodeData(dataDir);
    expect(report.violations).toEqual([]);
    expect(report.blocks).toBe(60);
  });

  it('in real time, paces blocks at blocks-per-second and stamps them with the clock when written', async () => {
    let clock = Date.UTC(2026, 8, 1, 7, 0, 0) + 0.25;
    const sleeps: number[] = [];
    const dataDir = tempDir();
    const sim = await startSimulator({
      dataDir,
      infoPort: 0,
      restingOrders: 500,
      eventsPerBlock: 10,
      maxBlocks: 30,
      blocksPerSecond: 10,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    await sim.done;
    await sim.stop();
    expect(sleeps).toHaveLength(29);
    for (const ms of sleeps) {
      expect(ms).toBeGreaterThanOrEqual(75);
      expect(ms).toBeLessThanOrEqual(125);
    }
    const total = sleeps.reduce((a, b) => a + b, 0);
    expect(total / 29).toBeCloseTo(100, -1);
    const times = (await envelopes(dataDir, 'node_fills')).map((e) => Date.parse(e.block_time.slice(0, 23) + 'Z'));
    expect(times[times.length - 1]! - times[0]!).toBe(Math.floor(clock) - Math.floor(Date.UTC(2026, 8, 1, 7, 0, 0) + 0.25));
  });

  it('stops between blocks when its signal aborts', async () => {
    const abort = new AbortController();
    const sim = await startSimulator({ dataDir: tempDir(), infoPort: 0, speed: 'max', restingOrders: 500, eventsPerBlock: 10, signal: abort.signal });
    await new Promise<void>((r) => sim.on('block', (h) => h >= 1_000_000_004 && r()));
    abort.abort();
    await sim.done;
    const h = sim.height();
    expect(h).toBeGreaterThanOrEqual(1_000_000_004);
    expect(sim.stats().blocks).toBe(h - 999_999_999);
    await sim.stop();
    const lines = await envelopes(sim.dataDir, 'node_order_statuses');
    expect(lines[lines.length - 1]!.block_number).toBe(h);
  });

  it('refuses bad options with a coded error naming the option', async () => {
    const dataDir = tempDir();
    await expect(startSimulator({ dataDir, infoPort: 0, profile: 'busy' as never })).rejects.toMatchObject({
      code: 'HLOB_ERR_CONFIG',
      message: expect.stringMatching(/profile/),
    });
    await expect(startSimulator({ dataDir, infoPort: 0, coins: 0 })).rejects.toMatchObject({
      code: 'HLOB_ERR_CONFIG',
      message: expect.stringMatching(/coins/),
    });
    await expect(startSimulator({ dataDir, infoPort: 0, startTime: 'yesterday' })).rejects.toMatchObject({
      code: 'HLOB_ERR_CONFIG',
      message: expect.stringMatching(/startTime/),
    });
    await expect(startSimulator({ dataDir, infoPort: 0, blocksPerSecond: -1 })).rejects.toMatchObject({ code: 'HLOB_ERR_CONFIG' });
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
