/**
 * Protection of the server and of other clients: unsent-output bounds per client and
 * globally (close 1008 with a reason, furthest behind first), keep-alive, compression,
 * graceful shutdown.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestClient } from './helpers/client.js';
import { loadBlocks, loadSnapshot } from './helpers/fixtures.js';
import { harness, type Harness } from './helpers/harness.js';
import { makeMarket } from './helpers/market.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

/** The client stops reading its socket (a slow consumer). */
function pause(c: TestClient): Socket {
  const socket = (c.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  return socket;
}

/** Yield to the loop until `cond` holds (the server runs in this process). */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('slow consumers', () => {
  it('closes a client past its unsent bound with 1008 and a reason; the others keep getting data', async () => {
    h = await harness({ maxClientUnsentBytes: 24 * 1024 * 1024 });
    h.feed.load(loadSnapshot(), 1_778_002_753_000);
    const healthy = await h.client();
    await healthy.request({ method: 'subscribe', subscription: { type: 'trades', coin: 'BTC' } }, (f) => f.channel === 'subscriptionResponse');
    const slow = await h.client();
    const socket = pause(slow);
    slow.send({ method: 'subscribe', subscription: { type: 'l4Book', coin: 'BTC' } });
    slow.send({ method: 'subscribe', subscription: { type: 'l4Book', coin: 'BTC', bookOnly: true } });
    await until(() => h.server.health().subscriptions === 3, 'the slow client subscribed');
    let trades = 0;
    for (const block of loadBlocks().slice(0, 10)) {
      h.feed.apply(block);
      trades += (await healthy.untilPong()).filter((f) => f.channel === 'trades').length;
    }
    expect(trades).toBeGreaterThan(0);
    socket.resume();
    expect(await slow.waitClosed()).toEqual({ code: 1008, reason: 'Slow consumer: more than 24 MiB unsent' });
    const metrics = await (await fetch(`${h.server.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/hlob_dropped_clients_total\{reason="slow_client"\} 1/);
    expect(healthy.closed).toBeNull();
  });

  it('past the global bound, closes the clients furthest behind first', async () => {
    h = await harness({ maxTotalUnsentBytes: 20 * 1024 * 1024 });
    h.feed.load(loadSnapshot(), 1_778_002_753_000);
    const small = await h.client();
    const big = await h.client();
    const sockets = [pause(small), pause(big)];
    small.send({ method: 'subscribe', subscription: { type: 'l4Book', coin: 'BTC' } });
    await until(() => h.server.health().subscriptions === 1, 'the first subscription');
    big.send({ method: 'subscribe', subscription: { type: 'l4Book', coin: 'BTC' } });
    big.send({ method: 'subscribe', subscription: { type: 'l4Book', coin: 'BTC', bookOnly: true } });
    await until(() => h.server.health().subscriptions === 3, 'the second client subscribed');
    for (const s of sockets) s.resume();
    const closed = await big.waitClosed();
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/^Server output bound exceeded: 20 MiB unsent to all clients, [\d.]+ MiB of it to this one$/);
    // The one less behind was kept and got its whole snapshot.
    await small.channel('l4Book');
    expect(await small.request({ method: 'ping' }, (f) => f.channel === 'pong')).toEqual({ channel: 'pong' });
    expect(small.closed).toBeNull();
  });
});

describe('keep-alive', () => {
  it('closes a socket silent past the idle timeout, keeps one that answers pings', async () => {
    h = await harness({ pingIntervalMs: 40, idleTimeoutMs: 150 });
    const silent = await h.client({ autoPong: false });
    const alive = await h.client();
    const t0 = Date.now();
    const closed = await silent.waitClosed();
    expect(closed.code).toBe(1006);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(alive.closed).toBeNull();
    expect(await alive.request({ method: 'ping' }, () => true)).toEqual({ channel: 'pong' });
  });
});

describe('compression', () => {
  it('negotiates permessage-deflate when --compression-level is set, off by default', async () => {
    const m = makeMarket({ seed: 1, blocks: 2 });
    h = await harness({ compressionLevel: 6 });
    h.feed.load(m.snapshot, m.snapshotTime);
    const c = await h.client();
    expect(c.ws.extensions).toContain('permessage-deflate');
    const f = await c.request({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'ETH', nLevels: 100 } }, (x) => x.channel === 'l2Book');
    expect(f.data).toEqual({ coin: 'ETH', time: m.snapshotTime, levels: h.feed.books.book('ETH')!.l2({ nLevels: 100 }) });
    await h.close();
    h = await harness();
    const plain = await h.client();
    expect(plain.ws.extensions).toBe('');
  });
});

describe('shutdown', () => {
  it('closes every socket with 1001', async () => {
    h = await harness();
    const a = await h.client();
    const b = await h.client();
    await h.server.close();
    expect(await a.waitClosed()).toEqual({ code: 1001, reason: 'Server shutting down' });
    expect((await b.waitClosed()).code).toBe(1001);
  });
});
