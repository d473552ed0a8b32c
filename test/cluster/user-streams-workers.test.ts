/**
 * User streams over `serve --workers 2` (the built CLI) on a simulated node: a client on
 * each worker follows one trading address's `userFills` and gets that address's fills of
 * each block exactly as this test's own reading of the same files has them; `POST
 * /exchange` is forwarded by whichever worker takes it (here to a URL where nothing
 * listens: a 502 naming it).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeFill } from '../../src/book/events.js';
import { TestClient } from '../server/helpers/client.js';
import { closeAll, listening, serveWorkers, simulatedNode } from './support/served-cluster.js';

const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await closeAll();
});

async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/exchange`;
}

describe('user streams with --workers 2', () => {
  it("every worker streams any address's fills, exactly; /exchange forwarded by each", async () => {
    const { dir, dataDir, sim, feed } = await simulatedNode('hlob-user-workers-', { seed: 31, restingOrders: 3_000, startHeight: 7_000_000 });
    // Each address's fills by block, as this test reads the files: fill (user, tid) → that block's fills of the user.
    const blockOf = new Map<string, NodeFill[]>();
    const counts = new Map<string, number>();
    feed.on('block', (change) => {
      const mine = new Map<string, NodeFill[]>();
      for (const [user, f] of change.fills) mine.set(user, [...(mine.get(user) ?? []), f]);
      // Blocks with fills, per user: one taker's sweep is many fills in one block.
      for (const user of mine.keys()) counts.set(user, (counts.get(user) ?? 0) + 1);
      for (const [user, list] of mine) for (const f of list) blockOf.set(`${user} ${f.tid} ${f.oid}`, list);
    });
    await feed.start();
    const exchangeUrl = await deadUrl();
    const served = serveWorkers([
      '--data-dir',
      dataDir,
      '--info-url',
      sim.infoUrl,
      '--exchange-url',
      exchangeUrl,
      '--snapshot-dir',
      join(dir, 'snapshots'),
      '--port',
      '0',
    ]);
    const { url, httpUrl } = await listening(served);
    await served.logged((l) => l.msg === 'books ready');

    // The trader in the most blocks over the first few hundred (user, block) pairs: its fills
    // come often (picked after one fill, it may be anyone, who need not trade again soon).
    const seen = () => [...counts.values()].reduce((a, b) => a + b, 0);
    while (seen() < 300) await new Promise((r) => setTimeout(r, 50));
    const user = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    for (let i = 0; i < 2; i++) {
      const c = await TestClient.open(url);
      clients.push(c);
      c.send({ method: 'subscribe', subscription: { type: 'userFills', user: user.toUpperCase().replace('0X', '0x') } });
      await c.next((f) => f.channel === 'subscriptionResponse');
      const snap = await c.channel('userFills', 15_000);
      expect((snap.data as { isSnapshot?: boolean; user: string }).isSnapshot).toBe(true);
      expect((snap.data as { user: string }).user).toBe(user);
    }
    const health = (await (await fetch(`${httpUrl}/health`)).json()) as { workers: { clients: number }[] };
    expect(health.workers.map((w) => w.clients)).toEqual([1, 1]);

    for (const c of clients) {
      let checked = 0;
      while (checked < 2) {
        const f = await c.channel('userFills', 30_000);
        const d = f.data as { user: string; fills: NodeFill[] };
        const key = `${user} ${d.fills[0]!.tid} ${d.fills[0]!.oid}`;
        // This test's feed may be a block behind the worker.
        for (let k = 0; k < 100 && !blockOf.has(key); k++) await new Promise((r) => setTimeout(r, 50));
        expect(d.user).toBe(user);
        expect(d.fills).toEqual(blockOf.get(key));
        checked++;
      }
    }

    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${httpUrl}/exchange`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"action":{"type":"noop"},"nonce":1,"signature":{}}',
      });
      expect(r.status).toBe(502);
      expect(await r.text()).toContain(exchangeUrl);
    }
    served.child.kill('SIGTERM');
    await served.exited;
  }, 90_000);
});
