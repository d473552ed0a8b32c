/**
 * User streams over `serve --workers 2` (the built CLI) on a simulated node: a client on
 * each worker follows one trading address's `userFills` and gets that address's fills of
 * each block exactly as this test's own reading of the same files has them; `POST
 * /exchange` is forwarded by whichever worker takes it (here to a URL where nothing
 * listens: a 502 naming it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeFill } from '../../src/book/events.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { createNodeFeed, type NodeFeed } from '../../src/state/index.js';
import { TestClient } from '../server/helpers/client.js';

const MAIN = 'dist/src/cli/main.js';
let dir: string | undefined;
let sim: RunningSim | undefined;
let feed: NodeFeed | undefined;
let child: ChildProcess | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await feed?.stop();
  await sim?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
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
    dir = await mkdtemp(join(tmpdir(), 'hlob-user-workers-'));
    const dataDir = join(dir, 'hl', 'data');
    sim = await startSimulator({ dataDir, infoPort: 0, seed: 31, profile: 'mainnet', restingOrders: 3_000, blocksPerSecond: 20, startHeight: 7_000_000 });
    feed = createNodeFeed({ dataDir, infoUrl: sim.infoUrl, snapshotDir: join(dir, 'test-snapshots'), source: 'simulated' }) as NodeFeed;
    sim.on('block', () => feed?.wake());
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
    child = spawn(
      process.execPath,
      [
        MAIN,
        'serve',
        '--workers',
        '2',
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
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines: { msg: string; url?: string }[] = [];
    const waiters: (() => void)[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(JSON.parse(line) as { msg: string; url?: string });
      for (const w of waiters.splice(0)) w();
    });
    const logged = async (msg: string): Promise<{ msg: string; url?: string }> => {
      for (;;) {
        const l = lines.find((x) => x.msg === msg);
        if (l !== undefined) return l;
        await new Promise<void>((r) => waiters.push(r));
      }
    };
    const url = (await logged('listening')).url!;
    await logged('books ready');
    const httpUrl = url.replace(/^ws/, 'http').replace(/\/ws$/, '');

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
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }, 90_000);
});
