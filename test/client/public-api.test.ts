/**
 * The same modules against a scripted peer that speaks Hyperliquid's public API. Its
 * frames are derived from the public API's documentation (no live capture is available
 * here): see support/scripted-peer.ts for the shapes and their sources. Real sockets on
 * 127.0.0.1, real clock; every wait is for an event, bounded by the test timeout.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientBuilder } from '../../src/client/core/builder.js';
import type { Client } from '../../src/client/core/client.js';
import { RejectedError } from '../../src/client/core/errors.js';
import { KeepAlive } from '../../src/client/modules/keep-alive.js';
import { L2BookTracker } from '../../src/client/modules/l2-book-tracker.js';
import { Post } from '../../src/client/modules/post.js';
import { Subscriptions, type ServerError } from '../../src/client/modules/subscriptions.js';
import { RecordingLogger } from './support/harness.js';
import { ScriptedPeer } from './support/scripted-peer.js';

let peer: ScriptedPeer;
let client: Client | undefined;

beforeEach(async () => {
  peer = await ScriptedPeer.start();
});

afterEach(async () => {
  await client?.close();
  client = undefined;
  await peer.close();
});

function build(configure: (b: ClientBuilder) => ClientBuilder = (b) => b): Client {
  client = configure(
    new ClientBuilder(peer.url)
      .withModule(Subscriptions)
      .withModule(Post)
      .withLogger(new RecordingLogger())
      .withReconnectPolicy({ baseMs: 10, maxMs: 50, jitter: 0 }),
  ).build();
  return client;
}

describe('against a peer speaking the public API (shapes from its documentation)', () => {
  it('subscribes, matches the acknowledgement that fills in l2Book defaults, and receives data', async () => {
    const c = build();
    await c.connect();
    const subs = c.getHandle(Subscriptions);
    const book = await subs.stream({ type: 'l2Book', coin: 'ETH' });
    const trades = await subs.subscribe({ type: 'trades', coin: 'BTC' });
    const bookFrames = book[Symbol.asyncIterator]();
    // The peer sends the book at once after the acknowledgement.
    expect((await bookFrames.next()).value).toEqual(peer.book('ETH'));
    const tradeFrames = trades[Symbol.asyncIterator]();
    const batch = [{ coin: 'BTC', side: 'B', px: '76471.0', sz: '0.00153', hash: '0x00', time: 1, tid: 457367674387223, users: ['0xa', '0xb'] }];
    expect(peer.publish('trades', batch, (s) => s.coin === 'BTC')).toBe(1);
    expect((await tradeFrames.next()).value).toEqual(batch);
  });

  it('surfaces "Invalid subscription" as RejectedError and on the error stream', async () => {
    const c = build();
    await c.connect();
    const subs = c.getHandle(Subscriptions);
    const surfaced = new Promise<ServerError>((resolve) => subs.on('serverError', resolve));
    const error = await subs.subscribe({ type: 'l2Book', coin: 'DOGE' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
    expect(await surfaced).toEqual({ text: 'Invalid subscription {"type":"l2Book","coin":"DOGE"}', subscription: { type: 'l2Book', coin: 'DOGE' } });
  });

  it('unsubscribes with acknowledgement', async () => {
    const c = build();
    await c.connect();
    const active = await c.getHandle(Subscriptions).subscribe({ type: 'bbo', coin: 'BTC' });
    await active.unsubscribe();
    expect(peer.received.at(-1)).toEqual({ method: 'unsubscribe', subscription: { type: 'bbo', coin: 'BTC' } });
  });

  it('answers post info requests by id, and error responses reject', async () => {
    const c = build();
    await c.connect();
    const post = c.getHandle(Post);
    const [a, b] = await Promise.all([post.info({ type: 'l2Book', coin: 'BTC', nSigFigs: null, mantissa: null }), post.info({ type: 'l2Book', coin: 'ETH' })]);
    expect(a).toEqual(peer.book('BTC'));
    expect(b).toEqual(peer.book('ETH'));
    await expect(post.info({ type: 'clearinghouseState' })).rejects.toBeInstanceOf(RejectedError);
  });

  it('re-subscribes after the peer drops the connection, and data flows again', async () => {
    const c = build((b) => b.withModule(L2BookTracker));
    await c.connect();
    const l2 = c.getHandle(L2BookTracker);
    await l2.track('BTC');
    await l2.waitFor('BTC');
    const reopened = new Promise((resolve) => c.events.on('open', (info) => info.reconnect && resolve(info)));
    const from = peer.received.length;
    peer.dropAll();
    await reopened;
    expect(await peer.waitForMessage((m) => m.method === 'subscribe', from)).toEqual({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } });
    const view = await l2.waitFor('BTC', (v) => v.fresh);
    expect(view.bestBid).toEqual({ px: '3007.1', sz: '2.7954', n: 1 });
  });

  it('keep-alive: pings get pongs; a silent peer makes the client reconnect', async () => {
    const c = build((b) => b.withLightweightModule(KeepAlive, { intervalMs: 50, pongTimeoutMs: 100 }));
    await c.connect();
    await peer.waitForMessage((m) => m.method === 'ping');
    await peer.waitForMessage((m) => m.method === 'ping', peer.received.findIndex((m) => (m as { method?: string }).method === 'ping') + 1);
    expect(c.state).toBe('open');
    peer.silent = true;
    const closed = new Promise<{ code: number; reason: string }>((resolve) => c.events.on('connectionClosed', resolve));
    expect(await closed).toMatchObject({ code: 4000, reason: 'no pong within 100 ms' });
    await c.whenOpen();
  });
});
