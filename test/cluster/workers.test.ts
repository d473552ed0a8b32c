/**
 * `hl-orderbook serve --workers 2` as users run it (the built CLI), on a simulated node run
 * by this test: clients spread over both workers all get the l2Book, bbo and trades the
 * books hold at each block; `/health` and `/metrics` give totals over the workers; the
 * node's info server gets exactly one snapshot request for both; a worker killed is
 * restarted while the other's clients keep their data; SIGTERM closes every socket with
 * 1001 and exits 0, workers included.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Health } from '../../src/server/health.js';
import { TestClient, type Frame } from '../server/helpers/client.js';
import { closeAll, listening, serveWorkers, simulatedNode } from './support/served-cluster.js';

let proxy: Server | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await closeAll();
  await new Promise<void>((resolve) => (proxy === undefined ? resolve() : proxy.close(() => resolve())));
});

/** The simulator's info server behind a proxy that counts snapshot requests. */
async function countingProxy(target: string): Promise<{ url: string; snapshots: () => number }> {
  let snapshots = 0;
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if ((JSON.parse(body) as { type?: string }).type === 'fileSnapshot') snapshots++;
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(await r.text());
        },
        (err: unknown) => {
          res.writeHead(502);
          res.end(String(err));
        },
      );
    });
  });
  await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/info`, snapshots: () => snapshots };
}

async function health(httpUrl: string): Promise<Health> {
  return (await (await fetch(`${httpUrl}/health`)).json()) as Health;
}

/** Polls /health (50 ms apart) until `pred` holds: the workers' own state has no event to wait on from here. */
async function healthUntil(httpUrl: string, pred: (h: Health) => boolean, timeoutMs = 30_000): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await health(httpUrl);
    if (pred(h)) return h;
    if (Date.now() > deadline) throw new Error(`health never matched: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const COINS = ['BTC', 'ETH'];

describe('serve --workers 2', () => {
  it('spreads clients over two workers that all serve the books; one snapshot request; totals; restart; clean shutdown', async () => {
    // This test's own books from the same files: what every frame must equal.
    const { dir, dataDir, sim, feed } = await simulatedNode('hlob-workers-', { seed: 23, restingOrders: 4_000, startHeight: 5_000_000 });
    const expected = new Map<string, { l2: string; bbo: string; trades: string }>();
    let lastTime = 0;
    const timeWaiters: (() => void)[] = [];
    feed.on('block', (change) => {
      for (const coin of COINS) {
        const book = feed.books.book(coin);
        if (book === undefined) continue;
        expected.set(`${coin} ${change.time}`, {
          l2: JSON.stringify(book.l2({ nSigFigs: null, mantissa: null })),
          bbo: JSON.stringify(book.bbo()),
          trades: JSON.stringify(change.trades.get(coin) ?? []),
        });
      }
      lastTime = change.time;
      for (const w of timeWaiters.splice(0)) w();
    });
    await feed.start();
    const info = await countingProxy(sim.infoUrl);

    const served = serveWorkers(['--data-dir', dataDir, '--info-url', info.url, '--snapshot-dir', join(dir, 'snapshots'), '--port', '0'], {
      ...process.env,
      HL_ORDERBOOK_WORKERS: '7',
    });
    const { child, logs, logged, exited } = served;
    const { url, httpUrl } = await listening(served);
    await logged((l) => l.msg === 'books ready');
    // One `listening` line, from the primary, for both workers.
    expect(logs.filter((l) => l.msg === 'listening')).toHaveLength(1);

    // Six clients: the primary hands connections to the workers in turn.
    for (let i = 0; i < 6; i++) {
      const c = await TestClient.open(url);
      clients.push(c);
      const coin = COINS[i % 2]!;
      for (const type of ['l2Book', 'bbo', 'trades']) {
        c.send({ method: 'subscribe', subscription: { type, coin } });
        await c.next((f) => f.channel === 'subscriptionResponse');
      }
    }
    const h = await health(httpUrl);
    expect(h).toMatchObject({ state: 'ready', clients: 6, subscriptions: 18, source: 'node' });
    expect(h.workers).toHaveLength(2);
    expect(h.workers!.map((w) => w.clients)).toEqual([3, 3]);
    expect(new Set(h.workers!.map((w) => w.pid)).size).toBe(2);
    expect((await fetch(`${httpUrl}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^hlob_clients 6$/m);
    expect(metrics).toMatch(/^hlob_workers 2$/m);
    // The server's CPU: the workers' and the primary's, summed (what the load tool reads).
    expect(metrics).toMatch(/^hlob_process_process_cpu_seconds_total [0-9.e+-]+$/m);
    expect(metrics.match(/^# TYPE hlob_height /gm)).toHaveLength(1);
    expect(metrics).toMatch(/^hlob_snapshot_requests_total\{result="ok"\} 1$/m);

    // Every client, whichever worker serves it, gets the books' views at each block.
    for (const c of clients) for (let i = 0; i < 8; i++) await c.channel('l2Book', 15_000);
    for (const c of clients) await c.sync();
    const frames = clients.flatMap((c) => c.frames.filter((f: Frame) => ['l2Book', 'bbo', 'trades'].includes(f.channel)));
    const timeOf = (f: Frame): number => (f.channel === 'trades' ? (f.data as { time: number }[])[0]!.time : (f.data as { time: number }).time);
    const newest = Math.max(...frames.map(timeOf));
    while (lastTime < newest) await new Promise<void>((resolve) => timeWaiters.push(resolve));
    let checked = 0;
    for (const f of frames) {
      const coin = f.channel === 'trades' ? (f.data as { coin: string }[])[0]!.coin : (f.data as { coin: string }).coin;
      const e = expected.get(`${coin} ${timeOf(f)}`);
      if (e === undefined) continue; // before this test's feed was ready
      const d = f.data as { levels?: unknown; bbo?: unknown };
      if (f.channel === 'l2Book') expect(JSON.stringify(d.levels)).toBe(e.l2);
      else if (f.channel === 'bbo') expect(JSON.stringify(d.bbo)).toBe(e.bbo);
      else expect(JSON.stringify(f.data)).toBe(e.trades);
      checked++;
    }
    expect(checked).toBeGreaterThan(60);
    expect(frames.filter((f) => f.channel === 'trades').length).toBeGreaterThan(0);
    // Both workers, one request to the node.
    expect(info.snapshots()).toBe(1);

    // A worker dies: it is restarted (and asks for its own snapshot); the other worker's clients go on.
    const victim = h.workers![0]!;
    process.kill(victim.pid!, 'SIGKILL');
    await logged((l) => /^worker 1 died/.test(l.msg));
    const after = await healthUntil(
      httpUrl,
      (x) => x.state === 'ready' && x.workers!.every((w) => w.state === 'ready' && w.pid !== null && w.pid !== victim.pid),
    );
    expect(after.clients).toBe(3);
    expect(info.snapshots()).toBe(2);
    const survivors = clients.filter((c) => c.closed === null);
    expect(survivors).toHaveLength(3);
    for (const c of survivors) await c.channel('l2Book', 15_000);
    // New connections reach the restarted worker too.
    const late = [await TestClient.open(url), await TestClient.open(url)];
    clients.push(...late);
    expect((await health(httpUrl)).workers!.map((w) => w.clients).sort()).toEqual([1, 4]);
    for (const c of late) {
      c.send({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } });
      await c.channel('l2Book', 15_000);
    }

    // SIGTERM: every socket closed with 1001, every worker gone, exit 0.
    const pids = (await health(httpUrl)).workers!.map((w) => w.pid!);
    child.kill('SIGTERM');
    for (const c of [...survivors, ...late]) expect((await c.waitClosed()).code).toBe(1001);
    expect(await exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(logs.filter((l) => (l.level ?? 0) >= 50).map((l) => l.msg)).toEqual([expect.stringMatching(/^worker 1 died/)]);
  }, 90_000);
});
