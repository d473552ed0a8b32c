/**
 * `l4Book` over a real socket: a Snapshot at once, then Updates with the coin's raw events
 * of every block, heights strictly increasing; a client applying them ends with the
 * server's book (real mainnet BTC data, and spot / HIP-3 coins); a fresh Snapshot after a
 * reset; one snapshot serialized per block however many subscribe.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { Frame, TestClient } from './helpers/client.js';
import { loadBlocks, loadSnapshot } from './helpers/fixtures.js';
import { harness, type Harness } from './helpers/harness.js';
import { L4Replica, type SnapshotData, type UpdatesData } from './helpers/l4-replica.js';
import { COINS, makeMarket } from './helpers/market.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

async function subscribeL4(c: TestClient, coin: string, bookOnly?: boolean): Promise<L4Replica> {
  const subscription = bookOnly === undefined ? { type: 'l4Book', coin } : { type: 'l4Book', coin, bookOnly };
  const ack = await c.request({ method: 'subscribe', subscription }, (f) => f.channel !== 'pong');
  expect(ack).toEqual({ channel: 'subscriptionResponse', data: { method: 'subscribe', subscription } });
  const snap = await c.channel('l4Book');
  const data = snap.data as { Snapshot?: SnapshotData };
  expect(data.Snapshot).toBeDefined();
  return new L4Replica(data.Snapshot!);
}

function updatesOf(frames: Frame[]): UpdatesData[] {
  return frames
    .filter((f) => f.channel === 'l4Book')
    .map((f) => {
      const d = f.data as { Updates?: UpdatesData };
      expect(d.Updates, JSON.stringify(f).slice(0, 200)).toBeDefined();
      return d.Updates!;
    });
}

describe('l4Book on real mainnet BTC blocks', () => {
  it('a client applying Updates to its Snapshot ends with the server book, with and without bookOnly', async () => {
    h = await harness();
    const snapshot = loadSnapshot();
    h.feed.load(snapshot, 1_778_002_753_000);
    const all = await h.client();
    const only = await h.client();
    const rAll = await subscribeL4(all, 'BTC');
    const rOnly = await subscribeL4(only, 'BTC', true);
    expect(rAll.snapshot.height).toBe(snapshot[0]);
    expect(JSON.stringify(rAll.snapshot.levels)).toBe(JSON.stringify(h.feed.books.book('BTC')!.l4()));
    expect(rAll.snapshot.levels[0].length + rAll.snapshot.levels[1].length).toBe(h.feed.books.book('BTC')!.size);
    let heights = 0;
    let allStatuses = 0;
    let bookStatuses = 0;
    for (const block of loadBlocks()) {
      const change = h.feed.apply(block);
      const cc = change.coins.get('BTC');
      const fa = updatesOf(await all.untilPong());
      const fo = updatesOf(await only.untilPong());
      if (cc === undefined) {
        expect([fa, fo]).toEqual([[], []]);
        continue;
      }
      const [ua] = fa;
      const [uo] = fo;
      expect(ua).toEqual({ time: block.time, height: block.height, order_statuses: cc.statuses, book_diffs: cc.diffs });
      expect(uo).toEqual({ time: block.time, height: block.height, order_statuses: cc.bookStatuses, book_diffs: cc.diffs });
      rAll.apply(ua!);
      rOnly.apply(uo!);
      heights += 1;
      allStatuses += ua!.order_statuses.length;
      bookStatuses += uo!.order_statuses.length;
    }
    expect(heights).toBeGreaterThan(20);
    expect(bookStatuses).toBeLessThan(allStatuses / 5);
    const server = JSON.stringify(h.feed.books.book('BTC')!.l4());
    expect(rAll.l4()).toBe(server);
    expect(rOnly.l4()).toBe(server);
  });
});

describe('l4Book on spot and HIP-3 coins', () => {
  it('replicates every coin exactly, statusless spot orders included', async () => {
    h = await harness();
    const m = makeMarket({ seed: 5, blocks: 60 });
    h.feed.load(m.snapshot, m.snapshotTime);
    const subs: { coin: string; c: TestClient; r: L4Replica; last: number }[] = [];
    for (const coin of COINS) {
      for (const bookOnly of [false, true]) {
        const c = await h.client();
        subs.push({ coin, c, r: await subscribeL4(c, coin, bookOnly), last: m.snapshot[0] });
      }
    }
    for (const block of m.blocks) {
      h.feed.apply(block);
      for (const s of subs) {
        for (const u of updatesOf(await s.c.untilPong())) {
          expect(u.height).toBeGreaterThan(s.last);
          s.last = u.height;
          s.r.apply(u);
        }
      }
    }
    for (const s of subs) expect(s.r.l4(), s.coin).toBe(JSON.stringify(h.feed.books.book(s.coin)!.l4()));
    // The spot coins did get orders from the special address (no status).
    const spot = JSON.stringify(h.feed.books.book('@107')!.l4()) + JSON.stringify(h.feed.books.book('PURR/USDC')!.l4());
    expect(spot).toContain('"tif":"Alo"');
  });

  it('sends a fresh Snapshot after a reset, and waits for it while the coin is being repaired', async () => {
    h = await harness();
    const m = makeMarket({ seed: 6, blocks: 30 });
    h.feed.load(m.snapshot, m.snapshotTime);
    const c = await h.client();
    await subscribeL4(c, 'xyz:ABC');
    for (const block of m.blocks.slice(0, 10)) h.feed.apply(block);
    await c.untilPong();
    h.feed.setState('degraded', ['xyz:ABC']);
    h.feed.resetCoins(['xyz:ABC']);
    // A newcomer while the coin is repairing gets nothing yet.
    const late = await h.client();
    await late.request({ method: 'subscribe', subscription: { type: 'l4Book', coin: 'xyz:ABC' } }, (f) => f.channel === 'subscriptionResponse');
    expect((await late.untilPong()).filter((f) => f.channel === 'l4Book')).toEqual([]);
    expect((await c.untilPong()).filter((f) => f.channel === 'l4Book')).toEqual([]);
    h.feed.setState('ready');
    h.feed.resetCoins(['xyz:ABC']);
    for (const client of [c, late]) {
      const frames = (await client.untilPong()).filter((f) => f.channel === 'l4Book');
      expect(frames).toHaveLength(1);
      const snap = (frames[0]!.data as { Snapshot: SnapshotData }).Snapshot;
      expect(snap.height).toBe(m.blocks[9]!.height);
      expect(JSON.stringify(snap.levels)).toBe(JSON.stringify(h.feed.books.book('xyz:ABC')!.l4()));
    }
    const r = new L4Replica((c.frames.filter((f) => f.channel === 'l4Book').at(-1)!.data as { Snapshot: SnapshotData }).Snapshot);
    for (const block of m.blocks.slice(10)) {
      h.feed.apply(block);
      for (const u of updatesOf(await c.untilPong())) r.apply(u);
    }
    expect(r.l4()).toBe(JSON.stringify(h.feed.books.book('xyz:ABC')!.l4()));
  });

  it('stops Updates of a coin whose diffs could not apply until its repair brings a fresh Snapshot', async () => {
    h = await harness();
    const m = makeMarket({ seed: 9, blocks: 12 });
    h.feed.load(m.snapshot, m.snapshotTime);
    const eth = await h.client();
    const abc = await h.client();
    await subscribeL4(eth, 'ETH');
    const rAbc = await subscribeL4(abc, 'xyz:ABC');
    const bad = {
      ...m.blocks[0]!,
      diffs: [...m.blocks[0]!.diffs, { user: '0x1', oid: 1, coin: 'ETH', side: 'B' as const, px: '1.0', raw_book_diff: 'remove' as const }],
    };
    bad.statuses = [
      ...bad.statuses,
      { time: '2026-05-05T17:39:13.024084407', user: '0x1', hash: null, builder: null, status: 'canceled', order: m.snapshot[1][0]![1][0][0]![1] },
    ];
    const change = h.feed.apply(bad);
    expect(change.desyncs.map((d) => d.coin)).toEqual(['ETH']);
    expect((await eth.untilPong()).filter((f) => f.channel === 'l4Book')).toEqual([]);
    for (const u of updatesOf(await abc.untilPong())) rAbc.apply(u);
    h.feed.resetCoins(['ETH']);
    const fresh = (await eth.untilPong()).filter((f) => f.channel === 'l4Book');
    expect(fresh).toHaveLength(1);
    const r = new L4Replica((fresh[0]!.data as { Snapshot: SnapshotData }).Snapshot);
    expect(r.l4()).toBe(JSON.stringify(h.feed.books.book('ETH')!.l4()));
  });

  it('serializes one snapshot per block for all new subscribers; a later one gets it with the Updates since', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    h = await harness({ logger: createLogger({ level: 'debug', pretty: false, stream: sink }) });
    const m = makeMarket({ seed: 8, blocks: 20 });
    h.feed.load(m.snapshot, m.snapshotTime);
    const serialized = () => lines.filter((l) => l.includes('l4 snapshot serialized')).length;
    const clients = await Promise.all([1, 2, 3, 4].map(() => h.client()));
    await Promise.all(clients.map((c) => subscribeL4(c, 'ETH')));
    expect(serialized()).toBe(1);
    for (const block of m.blocks.slice(0, 3)) h.feed.apply(block);
    await clients[0]!.untilPong();
    const late = await h.client();
    const r = await subscribeL4(late, 'ETH');
    expect(serialized()).toBe(1);
    expect(r.snapshot.height).toBe(m.snapshot[0]);
    for (const u of updatesOf(await late.untilPong())) r.apply(u);
    expect(r.height).toBeGreaterThan(m.snapshot[0]);
    expect(r.l4()).toBe(JSON.stringify(h.feed.books.book('ETH')!.l4()));
  });
});
