/**
 * The server on a simulated node writing the streaming layout serves as on the same market
 * written by-block: same books after every block, the same trades; `/health` names the layout.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { createNodeFeed, type NodeFeed } from '../../src/state/index.js';

let dir: string | undefined;
const sims: RunningSim[] = [];
const feeds: NodeFeed[] = [];
const servers: RunningServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const f of feeds.splice(0)) await f.stop();
  for (const s of sims.splice(0)) await s.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface Seen {
  books: Map<number, string>;
  trades: Map<number, string>;
}

async function serveSim(layout: 'by-block' | 'streaming'): Promise<{ seen: Seen; server: RunningServer; sim: RunningSim; feed: NodeFeed }> {
  const dataDir = join(dir!, layout, 'hl', 'data');
  // Real time, so that the streaming lines are spaced through each block as a node writes them.
  const sim = await startSimulator({
    dataDir,
    infoPort: 0,
    seed: 23,
    profile: 'mainnet',
    restingOrders: 3_000,
    blocksPerSecond: 20,
    maxBlocks: 140,
    startHeight: 5_000_000,
    layout,
  });
  sims.push(sim);
  const feed = createNodeFeed({ dataDir, infoUrl: sim.infoUrl, source: 'simulated' }) as NodeFeed;
  feeds.push(feed);
  sim.on('block', () => feed.wake());
  const seen: Seen = { books: new Map(), trades: new Map() };
  feed.on('block', (change) => {
    const l2 = ['BTC', '@107', 'xyz:ABC'].map((c) => JSON.stringify(feed.books.book(c)?.l2({ nSigFigs: null, mantissa: null, nLevels: 50 }) ?? null)).join('|');
    seen.books.set(change.height, l2);
    // The two simulated nodes run at the wall clock: trades equal but for their time.
    seen.trades.set(change.height, JSON.stringify([...change.trades]).replace(/"time":\d+/g, '"time":0'));
  });
  const server = await startServer({ feed, host: '127.0.0.1', port: 0 });
  servers.push(server);
  await feed.start();
  return { seen, server, sim, feed };
}

describe('serving a simulated node that writes the streaming layout', () => {
  it('gives the books and trades of the by-block layout after every block; /health says streaming', { timeout: 120_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlob-streaming-e2e-'));
    const [a, b] = await Promise.all([serveSim('by-block'), serveSim('streaming')]);
    expect(existsSync(join(dir, 'streaming', 'hl', 'data', 'node_order_statuses_by_block'))).toBe(false);
    await Promise.all([a.sim.done, b.sim.done]);
    // The streaming side's last block closes only when something follows it: compare up to the one before.
    const last = b.sim.height() - 1;
    await new Promise<void>((resolve) => {
      const check = (): void => (b.seen.books.has(last) && a.seen.books.has(last) ? resolve() : void setTimeout(check, 20));
      check();
    });
    // Each feed starts applying after its own first snapshot: compare the blocks both applied.
    const heights = [...b.seen.books.keys()].filter((h) => h <= last && a.seen.books.has(h));
    expect(heights.length).toBeGreaterThan(30);
    expect(heights.filter((h) => b.seen.books.get(h) !== a.seen.books.get(h))).toEqual([]);
    expect(heights.filter((h) => b.seen.trades.get(h) !== a.seen.trades.get(h))).toEqual([]);
    expect([...b.seen.trades.values()].some((t) => t !== '[]')).toBe(true);
    const health = (await (await fetch(`${b.server.httpUrl}/health`)).json()) as { layout: string; state: string };
    expect(health).toMatchObject({ layout: 'streaming', state: 'ready' });
    expect(((await (await fetch(`${a.server.httpUrl}/health`)).json()) as { layout: string }).layout).toBe('by-block');
  });
});
