/**
 * A client session on a fake peer: ping, subscribe / unsubscribe and their errors,
 * subscriptions made before the books, the inbound rate limit, signs of life on the injected
 * clock, leaving every view on close; and the keep-alive over sessions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KeepAlive } from '../../src/server/keepalive.js';
import { core, inbound, type Core } from './helpers/core.js';
import { makeMarket } from './helpers/market.js';

let c: Core;
afterEach(() => c.close());

const market = makeMarket({ seed: 11, blocks: 5 });

function loaded(): Core {
  c = core();
  c.feed.load(market.snapshot, market.snapshotTime);
  return c;
}

describe('ClientSession', () => {
  it('answers ping with pong, acknowledges a subscription and sends its data after it', () => {
    loaded();
    const { session, socket } = c.connect();
    session.onMessage(...inbound({ method: 'ping' }));
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } }));
    c.turns.run();
    expect(socket.frames.map((f) => f.channel)).toEqual(['pong', 'subscriptionResponse', 'bbo']);
    expect(socket.frames[1]).toEqual({ channel: 'subscriptionResponse', data: { method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } } });
    expect(session.subscriptionCount).toBe(1);
    expect(c.stats.subscriptions).toBe(1);
  });

  it('refuses an invalid, unknown, duplicate or one-too-many subscription with an error frame and stays open', () => {
    loaded();
    const { session, socket } = c.connect({ limits: { maxSubscriptions: 2 } });
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'l2Book' } }));
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'trades', coin: 'NOPE' } }));
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'trades', coin: 'ETH' } }));
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'trades', coin: 'ETH' } }));
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } }));
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'bbo', coin: 'xyz:ABC' } }));
    session.onMessage(...inbound({ method: 'unsubscribe', subscription: { type: 'l2Book', coin: 'ETH' } }));
    session.onMessage(Buffer.from([1, 2, 3]), true);
    c.turns.run();
    expect(socket.channel('error')).toEqual([
      'Invalid subscription {"type":"l2Book"}',
      'Invalid subscription {"type":"trades","coin":"NOPE"}',
      'Already subscribed: {"type":"trades","coin":"ETH"}',
      'Too many subscriptions: {"type":"bbo","coin":"xyz:ABC"}',
      'Already unsubscribed: {"type":"l2Book","coin":"ETH"}',
      'Binary frames are not supported',
    ]);
    expect(socket.closes).toEqual([]);
    expect(session.subscriptionCount).toBe(2);
  });

  it('acknowledges subscriptions made before the books, starts the valid ones when they come, refuses the rest', () => {
    c = core();
    const { session, socket } = c.connect();
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } }));
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'bbo', coin: 'NOPE' } }));
    c.turns.run();
    expect(socket.frames.map((f) => f.channel)).toEqual(['subscriptionResponse', 'subscriptionResponse']);
    c.feed.load(market.snapshot, market.snapshotTime);
    session.activateDeferred();
    c.turns.run();
    expect(socket.channel('bbo')).toHaveLength(1);
    expect(socket.channel('error')).toEqual(['Invalid subscription {"type":"bbo","coin":"NOPE"}']);
    expect(session.subscriptionCount).toBe(1);
  });

  it('refuses frames over the rate limit, then closes with 1008 after too many refused in a row', () => {
    loaded();
    let mono = 0;
    const { session, socket } = c.connect({ limits: { framesPerMinute: 2, closeAfterRefused: 2 }, monotonic: () => mono });
    for (let i = 0; i < 3; i++) session.onMessage(...inbound({ method: 'ping' }));
    c.turns.run();
    expect(socket.frames).toEqual([{ channel: 'pong' }, { channel: 'pong' }, { channel: 'error', data: 'Rate limit exceeded' }]);
    mono += 10; // far less than the 30 s one frame takes to come back
    session.onMessage(...inbound({ method: 'ping' }));
    expect(socket.closes).toEqual([{ code: 1008, reason: 'Rate limit exceeded' }]);
    expect(session.peer.closed).toBe(true);
  });

  it('notes signs of life (a message, a pong) on the injected clock', () => {
    loaded();
    const { session } = c.connect();
    expect(session.lastSeen).toBe(c.clock.now);
    c.clock.now += 5_000;
    session.onMessage(...inbound({ method: 'ping' }));
    expect(session.lastSeen).toBe(c.clock.now);
    c.clock.now += 7_000;
    session.alive();
    expect(session.lastSeen).toBe(c.clock.now);
  });

  it('leaves every view when the connection ends', () => {
    loaded();
    const { session } = c.connect();
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } }));
    session.onMessage(...inbound({ method: 'subscribe', subscription: { type: 'l4Book', coin: 'ETH' } }));
    expect(c.publisher.viewCount).toBe(2);
    session.close();
    expect(c.publisher.viewCount).toBe(0);
    expect(c.stats.subscriptions).toBe(0);
  });
});

describe('KeepAlive', () => {
  it('pings the clients heard from within the timeout and terminates the silent ones, on the injected clock', () => {
    loaded();
    const a = c.connect();
    const b = c.connect();
    const keepAlive = new KeepAlive(() => [a.session, b.session], { intervalMs: 3_600_000, timeoutMs: 60_000, now: () => c.clock.now });
    try {
      keepAlive.tick();
      expect([a.socket.pings, b.socket.pings]).toEqual([1, 1]);
      c.clock.now += 59_000;
      a.session.alive();
      c.clock.now += 1_000;
      keepAlive.tick();
      expect([a.socket.pings, b.socket.pings]).toEqual([2, 1]);
      expect([a.socket.terminated, b.socket.terminated]).toEqual([false, true]);
    } finally {
      keepAlive.stop();
    }
  });
});
