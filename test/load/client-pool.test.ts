import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClientPool } from '../../src/load/client-pool.js';
import { type TinyServer, startTinyServer } from './tiny-server.js';

let server: TinyServer | null = null;
let pool: ClientPool | null = null;

afterEach(async () => {
  await pool?.close();
  await server?.close();
  pool = null;
  server = null;
});

describe('a pool of load clients', () => {
  it('opens every client, subscribes it to its round-robin coin, and resolves once all are acknowledged', async () => {
    server = await startTinyServer();
    pool = new ClientPool({ url: server.url, clients: 30, firstIndex: 5, subscribe: 'l2Book:*,bbo:*,trades:*', coins: ['A', 'B', 'C'], connectConcurrency: 7 });
    await pool.open();
    const s = pool.stats();
    expect(s).toMatchObject({ clients: 30, open: 30, subscribed: 30, connects: 30, acks: 90, connectFailures: 0, errorFrames: 0 });
    expect(server.subscribes()).toBe(90);
    const coinsPerConn = [...server.conns].map((c) => new Set(c.subscriptions.map((x) => x.coin)));
    expect(coinsPerConn.every((set) => set.size === 1)).toBe(true);
    const counts = new Map<unknown, number>();
    for (const set of coinsPerConn) for (const c of set) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ A: 10, B: 10, C: 10 });
    expect([...server.conns].every((c) => c.subscriptions.map((x) => x.type).join() === 'l2Book,bbo,trades')).toBe(true);
  });

  it('counts frames and bytes since the window started, and measures receive time minus block time', async () => {
    server = await startTinyServer();
    let clock = 1_000_000;
    pool = new ClientPool({ url: server.url, clients: 4, subscribe: 'l2Book:BTC,bbo:BTC', now: () => clock });
    await pool.open();
    pool.startWindow();
    clock += 100;
    let sent = 0;
    let bytes = 0;
    for (let round = 0; round < 3; round++) {
      // Blocks written 0, 1 and 2 ms after the subscription, received at +100 ms.
      const time = 1_000_000 + round;
      sent += server.push((s) => {
        const data = { coin: s.coin, time, levels: [[], []] };
        bytes += JSON.stringify({ channel: s.type, data }).length;
        return data;
      });
    }
    await vi.waitFor(() => expect(pool?.stats().frames).toBe(sent));
    const s = pool.stats();
    expect(s.bytes).toBe(bytes);
    expect(s.framesByChannel).toEqual({ l2Book: 12, bbo: 12 });
    expect(s.latency.count).toBe(sent);
    expect(s.latency.buckets).toEqual([
      [98, 8],
      [99, 8],
      [100, 8],
    ]);
    expect(s.latency.max).toBe(100);
  });

  it('takes no latency from snapshots older than the subscription or from re-sent frames, but counts them', async () => {
    server = await startTinyServer();
    pool = new ClientPool({ url: server.url, clients: 2, subscribe: 'l2Book:BTC' });
    await pool.open();
    pool.startWindow();
    const old = Date.now() - 60_000;
    const live = Date.now() + 1;
    const sent =
      server.push((s) => ({ coin: s.coin, time: old })) +
      server.push((s) => ({ coin: s.coin, time: live })) +
      server.push((s) => ({ coin: s.coin, time: live })) + // L2 heartbeat: the same block again
      server.push(() => ({ mids: {} }));
    await vi.waitFor(() => expect(pool?.stats().frames).toBe(sent));
    expect(pool.stats().latency.count).toBe(2);
  });

  it('reads latency from one frame in sampleEvery', async () => {
    server = await startTinyServer();
    pool = new ClientPool({ url: server.url, clients: 1, subscribe: 'bbo:BTC', sampleEvery: 4 });
    await pool.open();
    pool.startWindow();
    const t0 = Date.now();
    let sent = 0;
    for (let i = 0; i < 20; i++) sent += server.push((s) => ({ coin: s.coin, time: t0 + i }));
    await vi.waitFor(() => expect(pool?.stats().frames).toBe(sent));
    expect(pool.stats().latency.count).toBe(5);
  });

  it('counts refused subscriptions as error frames with their text, and still settles the client', async () => {
    server = await startTinyServer({ refuse: ['NOPE'] });
    pool = new ClientPool({ url: server.url, clients: 3, subscribe: 'l2Book:BTC,trades:NOPE' });
    await pool.open();
    const s = pool.stats();
    expect(s).toMatchObject({ acks: 3, errorFrames: 3, subscribed: 3 });
    expect(s.errorSamples[0]).toMatch(/Invalid subscription \{"type":"trades","coin":"NOPE"\}/);
  });

  it('counts a close by the server as a disconnect, by close code', async () => {
    server = await startTinyServer();
    pool = new ClientPool({ url: server.url, clients: 3, subscribe: 'bbo:BTC' });
    await pool.open();
    const [first] = server.conns;
    first?.ws.close(1008, 'Rate limit exceeded');
    await vi.waitFor(() => expect(pool?.stats().disconnects).toBe(1));
    expect(pool.stats()).toMatchObject({ open: 2, subscribed: 2, closeCodes: { 1008: 1 } });
  });

  it('reports clients that cannot connect as connect failures and still resolves', async () => {
    server = await startTinyServer();
    const url = server.url;
    await server.close();
    server = null;
    pool = new ClientPool({ url, clients: 5, subscribe: 'bbo:BTC' });
    await pool.open();
    const s = pool.stats();
    expect(s).toMatchObject({ open: 0, connects: 0, connectFailures: 5 });
    expect(s.socketErrors).toBe(5);
    expect(s.errorSamples[0]).toMatch(/ECONNREFUSED/);
  });

  it('churns: clients close and reconnect at random with their subscriptions, not counted as disconnects', async () => {
    server = await startTinyServer();
    pool = new ClientPool({ url: server.url, clients: 5, subscribe: 'bbo:BTC,trades:BTC', churnMs: 20, seed: 3 });
    await pool.open();
    await vi.waitFor(() => expect(pool?.stats().churned).toBeGreaterThanOrEqual(10), { timeout: 10_000 });
    // A churned client counts its reconnect once it is open: a few may still be connecting.
    await vi.waitFor(() => expect(pool?.stats().connects).toBeGreaterThanOrEqual(15), { timeout: 10_000 });
    expect(pool.stats().disconnects).toBe(0);
    // Every (re)connection subscribed again to both.
    await vi.waitFor(() => expect(server?.subscribes()).toBeGreaterThanOrEqual(2 * 15));
  });
});
