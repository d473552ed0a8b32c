/**
 * The simulated node's info server: the L4 snapshot file on request (streamed, complete
 * before the 200), `meta` and `spotMeta` in the public API's shapes (read here through the
 * reference SDK), and clear 4xx answers to anything else.
 */
import { createServer } from 'node:net';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HttpTransport, InfoClient } from '@nktkas/hyperliquid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Books } from '../../src/book/index.js';
import { startSimulator, type RunningSim } from '../../src/sim/simulator.js';
import { l4Request, postInfo, tempDir } from './helpers.js';

describe('the info server of the simulated node', () => {
  let sim: RunningSim;
  let out: string;

  beforeAll(async () => {
    out = tempDir();
    sim = await startSimulator({ dataDir: tempDir(), infoPort: 0, speed: 'max', maxBlocks: 30, profile: 'quiet', coins: 12, restingOrders: 4000 });
    await sim.done;
  });
  afterAll(() => sim.stop());

  it('writes the L4 snapshot with its height to outPath and answers 200 once it is complete', async () => {
    const outPath = join(out, 'snap.json');
    const res = await postInfo(sim.infoUrl, l4Request(outPath));
    expect(res.status).toBe(200);
    const file = JSON.parse(readFileSync(outPath, 'utf8'));
    expect(file[0]).toBe(sim.height());
    expect(file).toEqual(sim.snapshot());
    expect(file[1].map((c: [string]) => c[0])).toEqual(sim.coins.map((c) => c.name));
    // Bids best first, asks best first; the engine loads it and holds every order.
    const books = Books.fromSnapshot(file);
    expect(books.compare(file)).toBeNull();
    let orders = 0;
    for (const [, [bids, asks]] of file[1] as [string, [[string, { limitPx: string }][], [string, { limitPx: string }][]]][]) {
      orders += bids.length + asks.length;
      for (let i = 1; i < bids.length; i++) expect(Number(bids[i]![1].limitPx)).toBeLessThanOrEqual(Number(bids[i - 1]![1].limitPx));
      for (let i = 1; i < asks.length; i++) expect(Number(asks[i]![1].limitPx)).toBeGreaterThanOrEqual(Number(asks[i - 1]![1].limitPx));
    }
    expect(orders).toBe(sim.stats().restingOrders);
    expect(readdirSync(out).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('writes only the coins when the height is not asked for', async () => {
    const outPath = join(out, 'no-height.json');
    expect((await postInfo(sim.infoUrl, l4Request(outPath, false))).status).toBe(200);
    expect(JSON.parse(readFileSync(outPath, 'utf8'))).toEqual(sim.snapshot()[1]);
  });

  it("answers meta and spotMeta in the public API's shapes, read through the reference SDK", async () => {
    const info = new InfoClient({ transport: new HttpTransport({ apiUrl: sim.infoUrl.replace(/\/info$/, '') }) });
    const meta = await info.meta();
    expect(meta.universe.map((u) => u.name)).toEqual(sim.coins.filter((c) => c.kind === 'perp').map((c) => c.name));
    expect(meta.universe.find((u) => u.name === 'BTC')).toMatchObject({ szDecimals: 5, maxLeverage: expect.any(Number), marginTableId: expect.any(Number) });
    expect(meta.collateralToken).toBe(0);
    const dex = await info.meta({ dex: 'xyz' });
    expect(dex.universe.map((u) => u.name)).toContain('xyz:ABC');
    const spot = await info.spotMeta();
    const names = spot.universe.map((u) => u.name);
    for (const c of sim.coins.filter((x) => x.kind === 'spot')) {
      expect(names).toContain(c.name);
      const pair = spot.universe.find((u) => u.name === c.name)!;
      expect(spot.tokens[pair.tokens[0]!]!.szDecimals).toBe(c.szDecimals);
      expect(spot.tokens[pair.tokens[1]!]!.name).toBe('USDC');
    }
    spot.universe.forEach((u, i) => expect(u.index).toBe(i));
    spot.tokens.forEach((t, i) => expect(t.index).toBe(i));
    expect(spot.universe[107]!.name).toBe('@107');
    expect(spot.tokens[spot.universe[107]!.tokens[0]!]!.name).toBe('HYPE');
    expect(await postInfo(sim.infoUrl, { type: 'meta', dex: 'nope' })).toEqual({ status: 200, text: 'null' });
  });

  it('answers anything else with a clear 4xx naming it, and writes nothing on a failed snapshot', async () => {
    const other = await postInfo(sim.infoUrl, { type: 'clearinghouseState', user: '0x0' });
    expect(other.status).toBe(422);
    expect(other.text).toMatch(/clearinghouseState.*fileSnapshot.*meta.*spotMeta/);
    const wrong = await postInfo(sim.infoUrl, { type: 'fileSnapshot', request: { type: 'referrerStates' }, outPath: join(out, 'x.json') });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toMatch(/referrerStates/);
    const relative = await postInfo(sim.infoUrl, l4Request('relative/path.json'));
    expect(relative.status).toBe(422);
    expect(relative.text).toMatch(/absolute/);
    const res = await fetch(sim.infoUrl, { method: 'POST', body: '{not json' });
    expect(res.status).toBe(400);
    expect((await fetch(sim.infoUrl)).status).toBe(405);
    expect((await fetch(sim.infoUrl.replace('/info', '/other'), { method: 'POST', body: '{}' })).status).toBe(404);
    const missing = join(out, 'no-such-dir', 'snap.json');
    const failed = await postInfo(sim.infoUrl, l4Request(missing));
    expect(failed.status).toBe(500);
    expect(failed.text).toContain(missing);
    expect(existsSync(join(out, 'no-such-dir'))).toBe(false);
  });

  it('refuses a port in use with a coded error, leaving the data directory untouched', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = join(tempDir(), 'data');
    try {
      await expect(startSimulator({ dataDir, infoPort: port })).rejects.toMatchObject({
        code: 'HLOB_ERR_LISTEN',
        message: expect.stringContaining(`port ${port}`),
      });
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      blocker.close();
    }
  });
});
