/**
 * The whole chain on one machine: the simulated node writes node-format files and answers
 * snapshot requests, ingest (`createNodeFeed`) tails them into books, the real server
 * serves them on 127.0.0.1 (port 0), and the client keeps an L4 replica. The server is
 * killed and started again on the same port while the node goes on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientBuilder } from '../../src/client/core/builder.js';
import type { Client } from '../../src/client/core/client.js';
import { L4BookTracker } from '../../src/client/modules/l4-book-tracker.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { createNodeFeed, type NodeFeed } from '../../src/state/index.js';
import { RecordingLogger } from './support/harness.js';

let dir: string | undefined;
let sim: RunningSim | undefined;
let feed: NodeFeed | undefined;
let server: RunningServer | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.close();
  await server?.close();
  await feed?.stop();
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  client = undefined;
  server = undefined;
  feed = undefined;
  sim = undefined;
  dir = undefined;
});

/** Resolves once the feed has applied `height`. */
function feedAt(f: NodeFeed, height: number): Promise<void> {
  if ((f.status().height ?? 0) >= height) return Promise.resolve();
  return new Promise((resolve) => {
    const onBlock = (change: { height: number }): void => {
      if (change.height >= height) {
        f.off('block', onBlock);
        resolve();
      }
    };
    f.on('block', onBlock);
  });
}

describe('simulated node → ingest → server → client', () => {
  it('the replica equals the server book after N blocks, and again after the server is restarted', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlob-client-'));
    const dataDir = join(dir, 'hl', 'data');
    sim = await startSimulator({
      dataDir,
      infoPort: 0,
      seed: 7,
      profile: 'quiet',
      coins: 3,
      restingOrders: 3_000,
      blocksPerSecond: 40,
      maxBlocks: 120,
      startHeight: 5_000_000,
    });
    await new Promise<void>((resolve) => sim?.once('block', () => resolve()));
    feed = createNodeFeed({ dataDir, infoUrl: sim.infoUrl, source: 'simulated' }) as NodeFeed;
    const coin = sim.coins[0]?.name ?? 'BTC';
    // The last height at which the coin had events: the replica's height after it.
    let lastForCoin = 0;
    feed.on('block', (change) => {
      if (change.coins.has(coin)) lastForCoin = change.height;
    });
    await feed.start();
    server = await startServer({ feed, host: '127.0.0.1', port: 0 });
    client = new ClientBuilder(server.url)
      .withModule(L4BookTracker, { bookOnly: false })
      .withLogger(new RecordingLogger())
      .withReconnectPolicy({ baseMs: 20, maxMs: 200, jitter: 0 })
      .build();
    await client.connect();
    const tracker = client.getHandle(L4BookTracker);
    await tracker.track(coin);

    // N blocks in: the server's book and the replica, each captured at the first height
    // past `firstCheck` where the coin had events, must be equal.
    const firstCheck = sim.height() + 10;
    let checkHeight: number | undefined;
    let serverAt: unknown;
    const onBlock = (change: { height: number; coins: Map<string, unknown> }): void => {
      if (checkHeight === undefined && change.height >= firstCheck && change.coins.has(coin)) {
        checkHeight = change.height;
        serverAt = structuredClone(feed?.books.book(coin)?.l4());
      }
    };
    feed.on('block', onBlock);
    const replicaAt = await new Promise<unknown>((resolve) => {
      const off = tracker.on('change', (c) => {
        if (c.height === checkHeight) {
          off();
          resolve(structuredClone(tracker.replica(coin)?.l4()));
        }
      });
    });
    feed.off('block', onBlock);
    expect(replicaAt).toEqual(serverAt);

    // Kill the server; the node and ingest go on; start it again on the same port.
    const port = server.port;
    const lost = new Promise((resolve) => client?.events.once('connectionClosed', resolve));
    await server.close();
    await lost;
    expect(tracker.replica(coin)?.synced).toBe(false);
    server = await startServer({ feed, host: '127.0.0.1', port });
    await client.whenOpen();

    // After the node's last block, the replica converges on the server's final book.
    await sim.done;
    await feed.settle();
    await feedAt(feed, sim.height());
    const final = await tracker.waitForHeight(coin, lastForCoin);
    expect(final.synced).toBe(true);
    expect(final.l4()).toEqual(feed.books.book(coin)?.l4());
    expect(final.bbo()).toEqual(feed.books.book(coin)?.bbo());
  });
});
