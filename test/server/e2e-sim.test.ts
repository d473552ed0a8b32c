/**
 * End to end with the simulated node: node-format files → ingest → books → server → sockets.
 * Every l2Book and bbo a client receives equals the books' view at the block it is stamped
 * with; an l4Book client applying Updates to its Snapshot ends with the server's book; for
 * a perp, a spot and a HIP-3 coin.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { L2Params } from '../../src/book/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { createNodeFeed, type NodeFeed } from '../../src/state/index.js';
import { TestClient, type Frame } from './helpers/client.js';
import { L4Replica, type SnapshotData, type UpdatesData } from './helpers/l4-replica.js';

let dir: string | undefined;
let sim: RunningSim | undefined;
let feed: NodeFeed | undefined;
let server: RunningServer | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  await feed?.stop();
  await sim?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface Expected {
  l2: Map<string, string>;
  bbo: string;
}

describe('simulated node → ingest → server → client', () => {
  it('l2Book and bbo equal the books at each block; l4Book replicas end equal to the server books', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlob-server-e2e-'));
    const dataDir = join(dir, 'hl', 'data');
    sim = await startSimulator({
      dataDir,
      infoPort: 0,
      seed: 17,
      profile: 'mainnet',
      restingOrders: 4_000,
      blocksPerSecond: 30,
      maxBlocks: 140,
      startHeight: 7_000_000,
    });
    feed = createNodeFeed({ dataDir, infoUrl: sim.infoUrl, source: 'simulated' }) as NodeFeed;
    sim.on('block', () => feed?.wake());
    server = await startServer({ feed, host: '127.0.0.1', port: 0 });
    const coins = ['BTC', '@107', 'xyz:ABC'];
    const params: Record<string, L2Params & Record<string, unknown>> = { plain: {}, sig: { nSigFigs: 3 }, m: { nSigFigs: 5, mantissa: 2 } };
    // What each view was after each block, by block time (the frames' `time`).
    const expected = new Map<string, Map<number, Expected>>(coins.map((c) => [c, new Map()]));
    feed.on('block', (change) => {
      for (const coin of coins) {
        const book = feed!.books.book(coin);
        if (book === undefined) continue;
        const l2 = new Map(
          Object.entries(params).map(([k, p]) => [k, JSON.stringify(book.l2({ nSigFigs: p.nSigFigs ?? null, mantissa: p.mantissa ?? null }))]),
        );
        expected.get(coin)!.set(change.time, { l2, bbo: JSON.stringify(book.bbo()) });
      }
    });
    const state = new Promise<void>((resolve) => feed!.on('state', (s) => s.state === 'ready' && resolve()));
    await feed.start();
    // Subscribed before the first snapshot is in: acknowledged at once, checked later.
    const l2Clients = new Map<string, TestClient>();
    const l4Clients = new Map<string, TestClient>();
    for (const coin of coins) {
      for (const [k, p] of Object.entries(params)) {
        const c = await TestClient.open(server.url);
        clients.push(c);
        c.send({ method: 'subscribe', subscription: { type: 'l2Book', coin, ...p } });
        if (k === 'plain') c.send({ method: 'subscribe', subscription: { type: 'bbo', coin } });
        l2Clients.set(`${coin} ${k}`, c);
      }
    }
    await state;
    for (const coin of coins) {
      for (const bookOnly of [false, true]) {
        const c = await TestClient.open(server.url);
        clients.push(c);
        c.send({ method: 'subscribe', subscription: { type: 'l4Book', coin, bookOnly } });
        l4Clients.set(`${coin} ${bookOnly}`, c);
      }
    }
    await sim.done;
    const last = sim.height();
    await new Promise<void>((resolve) => {
      if ((feed!.status().height ?? 0) >= last) return resolve();
      feed!.on('block', (ch) => ch.height >= last && resolve());
    });
    for (const c of clients) await c.sync();

    let checked = 0;
    for (const [key, c] of l2Clients) {
      const [coin, k] = key.split(' ') as [string, string];
      const exp = expected.get(coin)!;
      const frames = c.frames.filter((f: Frame) => f.channel === 'l2Book' || f.channel === 'bbo');
      expect(frames.length, key).toBeGreaterThan(5);
      for (const f of frames) {
        const d = f.data as { coin: string; time: number; levels?: unknown; bbo?: unknown };
        expect(d.coin).toBe(coin);
        const e = exp.get(d.time);
        // The first frame may predate any block this test saw (the snapshot's state).
        if (e === undefined) continue;
        if (f.channel === 'l2Book') expect(JSON.stringify(d.levels), `${key} l2 at ${d.time}`).toBe(e.l2.get(k));
        else expect(JSON.stringify(d.bbo), `${key} bbo at ${d.time}`).toBe(e.bbo);
        checked += 1;
      }
      // The last frame is the books' view now.
      const lastL2 = frames.filter((f) => f.channel === 'l2Book').at(-1)!.data as { levels: unknown };
      const p = params[k]!;
      expect(JSON.stringify(lastL2.levels)).toBe(JSON.stringify(feed.books.book(coin)!.l2({ nSigFigs: p.nSigFigs ?? null, mantissa: p.mantissa ?? null })));
    }
    expect(checked).toBeGreaterThan(100);

    for (const [key, c] of l4Clients) {
      const coin = key.split(' ')[0]!;
      const l4 = c.frames.filter((f) => f.channel === 'l4Book').map((f) => f.data as { Snapshot?: SnapshotData; Updates?: UpdatesData });
      expect(l4[0]?.Snapshot, key).toBeDefined();
      const r = new L4Replica(l4[0]!.Snapshot!);
      for (const u of l4.slice(1)) r.apply(u.Updates!);
      expect(l4.length, key).toBeGreaterThan(10);
      expect(r.l4(), key).toBe(JSON.stringify(feed.books.book(coin)!.l4()));
      // And the server's books are the simulator's truth.
      const truth = sim.snapshot()[1].find(([c2]) => c2 === coin)![1];
      expect(feed.books.book(coin)!.compareL4(truth[0], truth[1])).toBeNull();
    }
  });
});
