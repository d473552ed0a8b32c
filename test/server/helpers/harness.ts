/** A server on 127.0.0.1:0 over a ManualFeed, and clients for it; everything closed after. */
import type { ClientOptions } from 'ws';
import { startServer, type RunningServer, type ServerOptions } from '../../../src/server/index.js';
import { TestClient } from './client.js';
import { ManualFeed } from './feed.js';

export interface Harness {
  feed: ManualFeed;
  server: RunningServer;
  client(opts?: ClientOptions): Promise<TestClient>;
  close(): Promise<void>;
}

export async function harness(opts: Partial<ServerOptions> = {}, feed = new ManualFeed()): Promise<Harness> {
  const server = await startServer({ host: '127.0.0.1', port: 0, ...opts, feed });
  const clients: TestClient[] = [];
  return {
    feed,
    server,
    async client(o) {
      const c = await TestClient.open(server.url, o);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
    },
  };
}
