/**
 * `--faults`: the spec, and what each fault does to the simulated node's files and info server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { STREAM_PREFIXES as STREAMS, byBlockDir } from '../../src/node/format.js';
import { FaultInjector, parseFaults } from '../../src/sim/faults.js';
import { startSimulator } from '../../src/sim/simulator.js';
import { l4Request, postInfo, tempDir } from './helpers.js';

describe('parseFaults', () => {
  it('reads rates, kinds, durations and a schedule', () => {
    const p = parseFaults(
      'rate=0.01, snapshot-rate=0.5,kinds=skip+restart+snapshot-late,pause=1.5s,restart=250ms,restart-blocks=3,late=1m,skip@10,pause@20:3s,snapshot-fail@1,snapshot-late@2:20s',
    );
    expect(p).toMatchObject({
      rate: 0.01,
      snapshotRate: 0.5,
      kinds: ['skip', 'restart', 'snapshot-late'],
      pauseMs: 1500,
      restartMs: 250,
      restartBlocks: 3,
      lateMs: 60_000,
    });
    expect([...p.blocks]).toEqual([
      [10, { kind: 'skip' }],
      [20, { kind: 'pause', ms: 3000 }],
    ]);
    expect([...p.snapshots]).toEqual([
      [1, { kind: 'snapshot-fail' }],
      [2, { kind: 'snapshot-late', ms: 20_000 }],
    ]);
  });

  it('names what is wrong', () => {
    expect(() => parseFaults('rate=2')).toThrow('invalid faults "rate=2": "2" is not a probability from 0 to 1');
    expect(() => parseFaults('explode@3')).toThrow('unknown fault "explode"');
    expect(() => parseFaults('pause=soon')).toThrow('"soon" is not a duration');
    expect(() => parseFaults('skip@0')).toThrow('counts start at 1');
    expect(() => parseFaults('colour=red')).toThrow('unknown setting "colour"');
    expect(() => parseFaults('whatever')).toThrow('neither KEY=VALUE nor KIND@N');
    try {
      parseFaults('rate=x');
    } catch (err) {
      expect((err as { code: string }).code).toBe(ErrorCodes.CONFIG);
    }
  });

  it('at a rate, draws faults of the given kinds, deterministically for a seed', () => {
    const draw = (seed: number): string[] => {
      const f = new FaultInjector(parseFaults('rate=0.1,kinds=skip+corrupt'), seed);
      const out: string[] = [];
      for (let n = 1; n <= 2000; n++) {
        const b = f.forBlock(n);
        if (b !== undefined) out.push(`${n}:${b.corrupt ?? [...b.omit].join('')}`);
      }
      expect(f.counts.skip + f.counts.corrupt).toBe(out.length);
      expect(f.counts.pause + f.counts.restart + f.counts.half).toBe(0);
      return out;
    };
    const a = draw(7);
    expect(a.length).toBeGreaterThan(120);
    expect(a.length).toBeLessThan(280);
    expect(draw(7)).toEqual(a);
    expect(draw(8)).not.toEqual(a);
  });
});

/** Each stream's lines as written (the raw text, so that broken lines show). */
function lines(dataDir: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of STREAMS)
    out[s] = readFileSync(join(byBlockDir(dataDir, s), '20260601', '12'), 'utf8')
      .split('\n')
      .slice(0, -1);
  return out;
}

const heightOf = (line: string): number | undefined => {
  const m = /^\{"local_time":"[^"]*","block_time":"[^"]*","block_number":(\d+),/.exec(line);
  return m === null ? undefined : Number(m[1]);
};

describe('the simulated node with faults', () => {
  it('skips, corrupts, half-writes and loses blocks to a restart as scheduled', async () => {
    const dataDir = tempDir();
    const sim = await startSimulator({
      dataDir,
      infoPort: 0,
      speed: 'max',
      maxBlocks: 20,
      restingOrders: 2000,
      profile: 'quiet',
      startTime: '2026-06-01T12:00:00',
      startHeight: 1000,
      faults: 'skip@3,corrupt@5,half@8,restart@12:10ms,restart-blocks=3,pause@16:20ms',
    });
    await sim.done;
    await sim.stop();
    expect(sim.height()).toBe(1019);
    expect(sim.stats().faults).toEqual({ skip: 1, pause: 1, corrupt: 1, half: 1, restart: 1, 'snapshot-fail': 0, 'snapshot-late': 0 });
    const all = lines(dataDir);
    const heights = Object.fromEntries(STREAMS.map((s) => [s, all[s]!.map(heightOf)]));
    const full = Array.from({ length: 20 }, (_v, i) => 1000 + i);
    // Blocks 1011..1013 are in no stream (the restart); every other fault hits one stream.
    const lacking = STREAMS.map((s) => full.filter((h) => !heights[s]!.includes(h)));
    for (const l of lacking) expect(l.filter((h) => h >= 1011 && h <= 1013)).toEqual([1011, 1012, 1013]);
    const rest = lacking.map((l) => l.filter((h) => h < 1011 || h > 1013));
    // skip@3 (1002): absent; corrupt@5 (1004): present but unreadable; half@8 (1007): 1008's
    // line glued to its first half (the line starts as 1007's, does not parse, and 1008 is gone).
    expect(rest.flat().sort()).toEqual([1002, 1004, 1008]);
    const corrupted = STREAMS.flatMap((s) => all[s]!.filter((l) => l.startsWith('########')));
    expect(corrupted).toHaveLength(1);
    const glued = STREAMS.flatMap((s) => all[s]!.filter((l) => heightOf(l) === 1007 && l.indexOf('{"local_time"', 1) > 0));
    expect(glued).toHaveLength(1);
  });

  it('fails a snapshot request, and answers another late with a snapshot taken when it was asked', async () => {
    const dataDir = tempDir();
    const sim = await startSimulator({
      dataDir,
      infoPort: 0,
      speed: 'realtime',
      blocksPerSecond: 50,
      restingOrders: 2000,
      profile: 'quiet',
      faults: 'snapshot-fail@1,snapshot-late@2:400ms',
    });
    try {
      const out = join(tempDir(), 'snap.json');
      const failed = await postInfo(sim.infoUrl, l4Request(out));
      expect(failed.status).toBe(500);
      expect(failed.text).toMatch(/simulated fault: this snapshot request fails/);
      const askedAt = sim.height();
      const late = await postInfo(sim.infoUrl, l4Request(out));
      expect(late.status).toBe(200);
      const answeredAt = sim.height();
      const [height] = JSON.parse(readFileSync(out, 'utf8')) as [number];
      expect(height).toBeGreaterThanOrEqual(askedAt);
      expect(height).toBeLessThan(answeredAt);
      expect((await postInfo(sim.infoUrl, l4Request(out))).status).toBe(200);
      expect(sim.stats().faults).toMatchObject({ 'snapshot-fail': 1, 'snapshot-late': 1 });
    } finally {
      await sim.stop();
    }
  });
});
