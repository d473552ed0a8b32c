/**
 * The whole intra-block path live: a simulated node writing the streaming layout at real
 * time (events spaced through each block), `FileBlockSource` → `NodeFeed` → a server with
 * `intraBlock`, and a WebSocket client. Partial frames come, each before its block's full
 * frame, and every full frame shows the books at its block; a by-block node gives none.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { createNodeFeed, type NodeFeed } from '../../src/state/index.js';
import { TestClient } from './helpers/client.js';

let dir: string | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

type Data = { coin: string; time: number; levels?: unknown; bbo?: unknown; partial?: true };

async function run(layout: 'by-block' | 'streaming'): Promise<{ frames: Data[]; books: Map<number, string>; partials: number }> {
  const dataDir = join(dir!, layout, 'hl', 'data');
  const sim: RunningSim = await startSimulator({
    dataDir,
    infoPort: 0,
    seed: 31,
    profile: 'mainnet',
    restingOrders: 3_000,
    blocksPerSecond: 20,
    maxBlocks: 100,
    startHeight: 7_000_000,
    layout,
  });
  closers.push(() => sim.stop());
  const feed = createNodeFeed({ dataDir, infoUrl: sim.infoUrl, source: 'simulated' }) as NodeFeed;
  closers.push(() => feed.stop());
  sim.on('block', () => feed.wake());
  let partials = 0;
  feed.on('partial', () => partials++);
  // The full frame of a block shows the books at that block (keyed by block time).
  const books = new Map<number, string>();
  feed.on('block', (c) => books.set(c.time, JSON.stringify(feed.books.book('BTC')?.l2({ nLevels: 20 }) ?? null)));
  const server: RunningServer = await startServer({ feed, host: '127.0.0.1', port: 0, intraBlock: true, l2HeartbeatMs: 3_600_000 });
  closers.push(() => server.close());
  await feed.start();
  const c = await TestClient.open(server.url);
  closers.push(async () => c.close());
  c.send({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } });
  await sim.done;
  await c.sync();
  return { frames: c.frames.filter((f) => f.channel === 'l2Book').map((f) => f.data as Data), books, partials };
}

describe('intra-block frames from a live streaming node', () => {
  it('partial frames before their block; full frames at block states; none from a by-block node', { timeout: 120_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlob-intra-e2e-'));
    const [s, b] = await Promise.all([run('streaming'), run('by-block')]);
    expect(b.partials).toBe(0);
    expect(b.frames.filter((f) => f.partial === true)).toEqual([]);

    expect(s.partials).toBeGreaterThan(20);
    const partial = s.frames.filter((f) => f.partial === true);
    expect(partial.length).toBeGreaterThan(10);
    let finalTime = 0;
    let checked = 0;
    const partialTimes = new Set<number>();
    for (const f of s.frames) {
      if (f.partial === true) {
        // Never a block already closed on this subscription.
        expect(f.time).toBeGreaterThan(finalTime);
        partialTimes.add(f.time);
        continue;
      }
      finalTime = f.time;
      const want = s.books.get(f.time);
      if (want === undefined) continue;
      expect(JSON.stringify(f.levels)).toBe(want);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
    // Blocks that showed partial frames got their full frame after them (the last block may still be open).
    const finals = new Set(s.frames.filter((f) => f.partial !== true).map((f) => f.time));
    const open = [...partialTimes].filter((t) => !finals.has(t));
    expect(open.length).toBeLessThanOrEqual(1);
  });
});
