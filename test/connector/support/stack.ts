/**
 * The whole trading stack on one machine for the connector's tests: the simulated node
 * (with its paper exchange) writes node files, ingest tails them, the real server serves
 * books, user streams, `/info` and `/exchange` (forwarded to the paper exchange) on
 * 127.0.0.1, port 0. The server can be stopped and started again on the same port while the
 * node and its exchange go on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../../src/server/index.js';
import { startSimulator, type RunningSim, type SimulatorOptions } from '../../../src/sim/index.js';
import { createNodeFeed, type NodeFeed } from '../../../src/state/index.js';

export interface Stack {
  sim: RunningSim;
  feed: NodeFeed;
  server: RunningServer | undefined;
  /** `http://127.0.0.1:<port>` (stays the same across restarts). */
  url: string;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(sim: Partial<SimulatorOptions> = {}): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'hlob-connector-'));
  const dataDir = join(dir, 'hl', 'data');
  const running = await startSimulator({ dataDir, infoPort: 0, seed: 11, profile: 'quiet', coins: 3, restingOrders: 3_000, blocksPerSecond: 10, ...sim });
  await new Promise<void>((resolve) => running.once('block', () => resolve()));
  const feed = createNodeFeed({ dataDir, infoUrl: running.infoUrl, source: 'simulated' }) as NodeFeed;
  const wake = (): void => feed.wake();
  running.on('block', wake);
  await feed.start();
  let port = 0;
  const stack: Stack = {
    sim: running,
    feed,
    server: undefined,
    url: '',
    async startServer() {
      stack.server = await startServer({ feed, host: '127.0.0.1', port, infoUrl: running.infoUrl, exchangeUrl: running.exchangeUrl });
      port = stack.server.port;
      stack.url = stack.server.httpUrl;
    },
    async stopServer() {
      await stack.server?.close();
      stack.server = undefined;
    },
    async close() {
      await stack.stopServer();
      running.off('block', wake);
      await feed.stop();
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await stack.startServer();
  return stack;
}
