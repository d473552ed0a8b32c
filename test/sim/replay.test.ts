/**
 * Replay of recorded node data: the same bytes in the same files, the recorded spacing at
 * 1x (through the time seams, no sleeping), the recorded snapshot on the info server.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Books, type L4SnapshotFile } from '../../src/book/index.js';
import { checkNodeData } from '../../src/sim/check-data.js';
import { parseNodeTime, nsBetween } from '../../src/node/format.js';
import { startReplay } from '../../src/sim/replay.js';
import { FIXTURES, MAIN_FIXTURE, MAIN_SNAPSHOT, envelopes, filesUnder, gzLines, l4Request, postInfo, readBlocks, tempDir } from './helpers.js';

describe('replay of recorded node data', () => {
  it('at max speed writes every recorded line again, byte for byte, and serves the recorded snapshot', async () => {
    const dataDir = tempDir();
    const sim = await startReplay({ from: MAIN_FIXTURE, snapshot: MAIN_SNAPSHOT, dataDir, infoPort: 0, speed: 'max' });
    const heights: number[] = [];
    sim.on('block', (h) => heights.push(h));
    await sim.done;
    expect(heights).toEqual(Array.from({ length: 25 }, (_, i) => 985148182 + i));
    expect(sim.height()).toBe(985148206);

    const input = filesUnder(join(MAIN_FIXTURE, 'hl', 'data'));
    const output = filesUnder(dataDir);
    expect([...output.keys()].sort()).toEqual([...input.keys()].map((k) => k.replace(/\.gz$/, '')).sort());
    for (const name of input.keys()) {
      const want = gzLines(join(MAIN_FIXTURE, 'hl', 'data', name)).join('\n') + '\n';
      expect(output.get(name.replace(/\.gz$/, ''))!.toString('utf8') === want, name).toBe(true);
    }

    const outPath = join(tempDir(), 'snap.json');
    expect((await postInfo(sim.infoUrl, l4Request(outPath))).status).toBe(200);
    const served = JSON.parse(readFileSync(outPath, 'utf8')) as L4SnapshotFile;
    expect(served).toEqual(sim.snapshot());
    expect(served[0]).toBe(985148181);
    const meta = JSON.parse((await postInfo(sim.infoUrl, { type: 'meta' })).text) as { universe: { name: string; szDecimals: number }[] };
    expect(meta.universe).toEqual([expect.objectContaining({ name: 'BTC', szDecimals: 5 })]);
    await sim.stop();

    // What was written replays on the engine from the served snapshot, as node-data.md says.
    expect((await checkNodeData(dataDir, { snapshot: served })).violations).toEqual([]);
    const books = Books.fromSnapshot(served);
    const [first, ...rest] = await readBlocks(dataDir);
    expect(books.applyBlock(first!).desyncs).toEqual([]);
    expect(books.book('BTC')!.bbo()).toEqual([
      { px: '81307.0', sz: '0.20195', n: 4 },
      { px: '81308.0', sz: '6.08174', n: 49 },
    ]);
    for (const b of rest) expect(books.applyBlock(b).desyncs).toEqual([]);
  });

  it('at 1x keeps the recorded spacing of block times', async () => {
    let clock = 1_000_000;
    const waits: number[] = [];
    const sim = await startReplay({
      from: MAIN_FIXTURE,
      snapshot: MAIN_SNAPSHOT,
      dataDir: tempDir(),
      infoPort: 0,
      speed: '1x',
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    await sim.done;
    await sim.stop();
    const times = (await envelopes(join(MAIN_FIXTURE, 'hl', 'data'), 'node_fills')).map((e) => parseNodeTime(e.block_time));
    const want = times.slice(1).map((t, i) => nsBetween(times[i]!, t) / 1e6);
    expect(waits).toHaveLength(want.length);
    waits.forEach((w, i) => expect(w).toBeCloseTo(want[i]!, 6));
  });

  it('refuses missing data, a bad snapshot and writing into its own input, with coded errors', async () => {
    const dataDir = tempDir();
    await expect(startReplay({ from: join(FIXTURES, 'nope'), snapshot: MAIN_SNAPSHOT, dataDir, infoPort: 0 })).rejects.toMatchObject({
      code: 'HLOB_ERR_MISSING_DIR',
    });
    await expect(
      startReplay({
        from: MAIN_FIXTURE,
        snapshot: join(MAIN_FIXTURE, 'hl', 'data', 'node_fills_by_block', 'hourly', '20260505', '17.gz'),
        dataDir,
        infoPort: 0,
      }),
    ).rejects.toMatchObject({
      code: 'HLOB_ERR_BAD_SNAPSHOT',
    });
    await expect(startReplay({ from: MAIN_FIXTURE, snapshot: MAIN_SNAPSHOT, dataDir: join(MAIN_FIXTURE, 'hl', 'data'), infoPort: 0 })).rejects.toMatchObject({
      code: 'HLOB_ERR_CONFIG',
    });
  });
});
