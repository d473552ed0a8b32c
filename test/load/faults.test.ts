/**
 * Faults the whole pipeline survives (simulated node → files → ingest feed → server →
 * clients), each with clients connected the whole time: a node restart with a height gap,
 * an info server that is down, fails or writes a truncated snapshot, and files that go bad
 * under the tailer. The units are tested by ingest (test/node/tailer.test.ts: truncated and
 * replaced files; test/state/node-feed.test.ts: gaps, stale, snapshot retries); these prove
 * the same faults end to end, with the server's clients watching.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { readdir, truncate } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { TestClient, type Frame } from '../server/helpers/client.js';
import { L4Replica, type SnapshotData, type UpdatesData } from '../server/helpers/l4-replica.js';
import { feedHeight, feedState, type LogLine, SMALL_SIM, startStack, type Stack } from './stack.js';

let stack: Stack | null = null;
const clients: TestClient[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.close();
  await stack?.close();
  stack = null;
});

async function client(url: string): Promise<TestClient> {
  const c = await TestClient.open(url);
  clients.push(c);
  return c;
}

/** The newest hourly file of a stream. */
async function currentFile(dataDir: string, stream: string): Promise<string> {
  const base = join(dataDir, stream, 'hourly');
  const days = (await readdir(base)).sort();
  const day = days[days.length - 1] ?? '';
  const hours = (await readdir(join(base, day))).sort((a, b) => Number(a) - Number(b));
  return join(base, day, hours[hours.length - 1] ?? '');
}

/**
 * Appends `buf` in one write(2) (fs.appendFile writes in 512 KiB pieces, which the
 * simulator's lines would interleave): O_APPEND keeps it whole between the simulator's lines.
 */
function appendWhole(path: string, buf: Buffer): void {
  const fd = openSync(path, 'a');
  try {
    expect(writeSync(fd, buf)).toBe(buf.length);
  } finally {
    closeSync(fd);
  }
}

/** Stop the simulator, let the feed catch up with its last block, compare every book. */
async function expectBooksEqualSimulator(s: Stack): Promise<void> {
  await s.sim.stop();
  await feedHeight(s.feed, s.sim.height());
  expect(s.feed.books.height).toBe(s.sim.height());
  expect(s.feed.books.compare(s.sim.snapshot())).toBeNull();
}

/** Builds a coin's L4 book from a client's l4Book frames: each Snapshot starts it over. */
function replicaOf(frames: Frame[]): { replica: L4Replica | null; snapshots: number[] } {
  let replica: L4Replica | null = null;
  const snapshots: number[] = [];
  for (const f of frames) {
    if (f.channel !== 'l4Book') continue;
    const d = f.data as { Snapshot?: SnapshotData; Updates?: UpdatesData };
    if (d.Snapshot) {
      replica = new L4Replica(d.Snapshot);
      snapshots.push(d.Snapshot.height);
    } else if (d.Updates && replica) replica.apply(d.Updates);
  }
  return { replica, snapshots };
}

describe('faults survived end to end', () => {
  it('node restart: files stop, a new hour file starts with a height gap: stale, resyncing, ready; clients keep their connections and get a fresh snapshot', async () => {
    const startTime = Date.parse('2026-05-05T16:59:00Z');
    stack = await startStack({ sim: { startTime } });
    const s = stack;
    await feedState(s.feed, (st) => st.state === 'ready');
    const coin = s.sim.coins[0]?.name ?? 'BTC';
    const watcher = await client(s.server.url);
    await watcher.request({ method: 'subscribe', subscription: { type: 'serverStatus' } }, (f) => f.channel === 'subscriptionResponse');
    await watcher.request({ method: 'subscribe', subscription: { type: 'l4Book', coin } }, (f) => f.channel === 'subscriptionResponse');
    const l2 = await client(s.server.url);
    await l2.request({ method: 'subscribe', subscription: { type: 'l2Book', coin } }, (f) => f.channel === 'l2Book');
    await feedHeight(s.feed, s.sim.height() + 5);

    // The node stops: no more blocks.
    const infoPort = Number(new URL(s.sim.infoUrl).port);
    await s.sim.stop();
    const lastHeight = s.sim.height();
    await feedState(s.feed, (st) => st.state === 'stale');

    // It comes back in the next hour, 100 blocks further on, with its info server on the same port.
    s.sim = await startSimulator({
      dataDir: s.dataDir,
      infoPort,
      ...SMALL_SIM,
      seed: 6,
      startTime: Date.parse('2026-05-05T17:00:10Z'),
      startHeight: lastHeight + 101,
    });
    const resynced = feedState(s.feed, (st) => st.state === 'resyncing');
    await resynced;
    await feedState(s.feed, (st) => st.state === 'ready');
    await feedHeight(s.feed, lastHeight + 110);
    expect(s.log.matching(/resyncing every coin/).length).toBeGreaterThan(0);

    // Clients: still connected, saw the states, got a fresh l4Book snapshot past the gap.
    await watcher.sync();
    expect(watcher.closed).toBeNull();
    expect(l2.closed).toBeNull();
    const seen = watcher.frames.filter((f) => f.channel === 'serverStatus').map((f) => (f.data as { state: string }).state);
    const order = ['stale', 'resyncing', 'ready'];
    const firstIdx = order.map((st) => seen.indexOf(st, seen.indexOf('stale')));
    expect(firstIdx.every((i) => i >= 0)).toBe(true);
    expect([...firstIdx].sort((a, b) => a - b)).toEqual(firstIdx);
    const l2After = await l2.channel('l2Book');
    expect((l2After.data as { coin: string }).coin).toBe(coin);

    await expectBooksEqualSimulator(s);
    await watcher.sync();
    const { replica, snapshots } = replicaOf(watcher.frames);
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    expect(snapshots[snapshots.length - 1]).toBeGreaterThan(lastHeight + 100);
    expect(replica?.height).toBe(s.sim.height());
    expect(replica?.l4()).toBe(JSON.stringify(s.feed.books.book(coin)?.l4()));
  });

  it('info server down, then 500, then a truncated snapshot file: retries with backoff, logs each, recovers', async () => {
    // A proxy in front of the simulator's info server, not listening at first (down).
    const proxy = createServer();
    servers.push(proxy);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as AddressInfo).port;
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    let simInfo = '';
    const script = ['500', '500', 'truncate'];
    const answered: string[] = [];
    proxy.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const mode = script.shift() ?? 'ok';
        answered.push(mode);
        if (mode === '500') {
          res.statusCode = 500;
          res.end('internal error');
          return;
        }
        void fetch(simInfo, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => {
          const text = await r.text();
          if (mode === 'truncate') {
            const { outPath } = JSON.parse(body) as { outPath: string };
            await truncate(outPath, 1000);
          }
          res.statusCode = r.status;
          res.end(text);
        });
      });
    });
    stack = await startStack({ infoUrl: (sim) => ((simInfo = sim.infoUrl), `http://127.0.0.1:${port}/info`) });
    const s = stack;
    const watcher = await client(s.server.url);
    await watcher.request({ method: 'subscribe', subscription: { type: 'serverStatus' } }, (f) => f.channel === 'subscriptionResponse');

    const refused = await s.log.until(/retrying in \d+ ms/, 3);
    expect(refused[0]?.level).toBe('warn');
    expect(s.feed.status().state).toBe('starting');
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    await feedState(s.feed, (st) => st.state === 'ready');
    expect(answered.slice(0, 4)).toEqual(['500', '500', 'truncate', 'ok']);

    const retries = s.log.matching(/retrying in \d+ ms/);
    expect(retries.length).toBeGreaterThanOrEqual(5);
    expect(retries.some((l) => /500/.test(l.msg))).toBe(true);
    expect(s.log.matching(/snapshot not used/).length).toBeGreaterThanOrEqual(1);
    // Backoff: the waits grow (up to the maximum, with jitter).
    const waits = retries.map((l) => Number(/retrying in (\d+) ms/.exec(l.msg)?.[1]));
    expect(Math.max(...waits.slice(2))).toBeGreaterThan(waits[0] ?? Infinity);

    // The client connected while starting now gets data.
    const l2 = await watcher.request({ method: 'subscribe', subscription: { type: 'l2Book', coin: s.sim.coins[0]?.name } }, (f) => f.channel === 'l2Book');
    expect(l2.data).toMatchObject({ coin: s.sim.coins[0]?.name });
    expect(watcher.closed).toBeNull();
    await expectBooksEqualSimulator(s);
  });

  it('a 50 MB line, a non-UTF-8 byte and a truncated file under the tailer: logged, skipped or resynced, clients keep getting blocks', async () => {
    stack = await startStack();
    const s = stack;
    await feedState(s.feed, (st) => st.state === 'ready');
    const coin = s.sim.coins[1]?.name ?? 'ETH';
    const watcher = await client(s.server.url);
    await watcher.request({ method: 'subscribe', subscription: { type: 'l4Book', coin } }, (f) => f.channel === 'subscriptionResponse');
    await watcher.request({ method: 'subscribe', subscription: { type: 'trades', coin } }, (f) => f.channel === 'subscriptionResponse');
    const touched: number[] = [];
    s.feed.on('block', (c) => {
      if (c.coins.has(coin)) touched.push(c.height);
    });

    const statuses = await currentFile(s.dataDir, 'node_order_statuses_by_block');
    const diffs = await currentFile(s.dataDir, 'node_raw_book_diffs_by_block');
    const fills = await currentFile(s.dataDir, 'node_fills_by_block');
    const huge = Buffer.alloc(50 * 1024 * 1024 + 2, 0x61);
    huge.write('{"junk":"', 0);
    huge.write('"}\n', huge.length - 3);
    appendWhole(statuses, huge);
    appendWhole(diffs, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d, 0x0a]));
    // Each bad line is logged as a warning naming its file and offset.
    const namesFile = (file: string) => (l: LogLine) =>
      l.level === 'warn' && (l.obj as { file?: string }).file === file && typeof (l.obj as { offset?: unknown }).offset === 'number';
    await s.log.untilLine(namesFile(statuses));
    await s.log.untilLine(namesFile(diffs));
    await feedHeight(s.feed, s.sim.height() + 3);
    await truncate(fills, 0);
    await feedHeight(s.feed, s.sim.height() + 25);

    expect(s.log.lines.filter(namesFile(statuses))).toHaveLength(1);
    expect(s.log.lines.some((l) => l.level === 'warn' && l.msg.includes(fills) && /truncated/.test(l.msg))).toBe(true);
    const metrics = await (await fetch(`${s.server.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/hlob_skipped_lines_total\{stream="statuses"\} [1-9]/);

    await expectBooksEqualSimulator(s);
    await watcher.sync();
    expect(watcher.closed).toBeNull();
    const { replica, snapshots } = replicaOf(watcher.frames);
    expect(replica?.l4()).toBe(JSON.stringify(s.feed.books.book(coin)?.l4()));
    // After the last snapshot, an Updates for every block that touched the coin, in order.
    const since = snapshots[snapshots.length - 1] ?? Infinity;
    const frames = watcher.frames.filter((f) => f.channel === 'l4Book');
    const last = frames.map((f) => (f.data as { Snapshot?: unknown }).Snapshot !== undefined).lastIndexOf(true);
    const heights = frames.slice(last + 1).map((f) => (f.data as { Updates?: { height: number } }).Updates?.height);
    expect(heights).toEqual(touched.filter((h) => h > since));
    expect(heights.length).toBeGreaterThan(3);
  });
});
