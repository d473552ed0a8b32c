/**
 * The publisher on a hand-driven feed and fake peers: state views at subscribe then at most
 * one frame per turn with the same bytes for all, event views per block, l4Book Snapshot
 * then Updates and a fresh Snapshot after a reset, heartbeats on the injected clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Peer } from '../../src/server/outbox.js';
import { core, sub, type Core } from './helpers/core.js';
import type { FakeSocket } from './helpers/fake-socket.js';
import { makeMarket, type Market } from './helpers/market.js';

let c: Core;
let market: Market;
afterEach(() => c.close());

function ready(opts: { l2HeartbeatMs?: number } = {}): void {
  c = core(opts);
  market = makeMarket({ seed: 11, blocks: 40 });
  c.feed.load(market.snapshot, market.snapshotTime);
}

function peer(): { peer: Peer; socket: FakeSocket } {
  const { session, socket } = c.connect();
  return { peer: session.peer, socket };
}

describe('Publisher', () => {
  it('sends an l2Book at subscribe, then at most one frame a turn, the same bytes to every subscriber, timed by the block', () => {
    ready();
    const a = peer();
    const b = peer();
    c.publisher.subscribe(a.peer, sub({ type: 'l2Book', coin: 'ETH' }));
    c.turns.run();
    expect(a.socket.channel('l2Book')).toEqual([
      {
        coin: 'ETH',
        time: market.snapshotTime,
        levels: JSON.parse(JSON.stringify(c.feed.books.book('ETH')!.l2({ nSigFigs: null, mantissa: null, nLevels: 20 }))),
      },
    ]);
    c.publisher.subscribe(b.peer, sub({ type: 'l2Book', coin: 'ETH', nSigFigs: null }));
    expect(c.publisher.viewCount).toBe(1);
    c.turns.run();
    expect(b.socket.channel('l2Book')).toEqual(a.socket.channel('l2Book'));
    expect(a.socket.channel('l2Book')).toHaveLength(1);

    const before = [a.socket.writes.length, b.socket.writes.length];
    const levels = (): unknown => JSON.parse(JSON.stringify(c.feed.books.book('ETH')!.l2({ nSigFigs: null, mantissa: null, nLevels: 20 })));
    const initial = JSON.stringify(levels());
    let last = 0;
    for (const block of market.blocks.slice(0, 10)) last = c.feed.apply(block).time;
    expect(JSON.stringify(levels())).not.toBe(initial); // the data moves ETH's book
    c.turns.run();
    const la = a.socket.channel('l2Book');
    expect(la).toHaveLength(2);
    expect(b.socket.channel('l2Book')).toEqual(la);
    expect(a.socket.writes[before[0]!]).toBe(b.socket.writes[before[1]!]);
    expect(la[1]).toEqual({ coin: 'ETH', time: last, levels: levels() });
  });

  it('sends trades once per block with trades of the coin, nothing at subscribe, nothing after unsubscribe', () => {
    ready();
    const a = peer();
    c.publisher.subscribe(a.peer, sub({ type: 'trades', coin: 'ETH' }));
    c.turns.run();
    expect(a.socket.frames).toEqual([]);
    let blocksWithTrades = 0;
    for (const block of market.blocks.slice(0, 20)) {
      const change = c.feed.apply(block);
      if ((change.trades.get('ETH')?.length ?? 0) > 0) blocksWithTrades += 1;
      c.turns.run();
    }
    expect(blocksWithTrades).toBeGreaterThan(0);
    expect(a.socket.channel('trades')).toHaveLength(blocksWithTrades);
    c.publisher.unsubscribe(a.peer, sub({ type: 'trades', coin: 'ETH' }));
    expect(c.publisher.viewCount).toBe(0);
    for (const block of market.blocks.slice(20)) c.feed.apply(block);
    c.turns.run();
    expect(a.socket.channel('trades')).toHaveLength(blocksWithTrades);
  });

  it('sends an l4Book Snapshot at subscribe, Updates above its height after, and a fresh Snapshot after a reset of the coin', () => {
    ready();
    const a = peer();
    c.publisher.subscribe(a.peer, sub({ type: 'l4Book', coin: 'ETH' }));
    c.turns.run();
    const first = a.socket.channel('l4Book') as { Snapshot?: { height: number } }[];
    expect(first).toHaveLength(1);
    expect(first[0]!.Snapshot!.height).toBe(market.snapshot[0]);
    const heights: number[] = [];
    for (const block of market.blocks.slice(0, 10)) {
      const change = c.feed.apply(block);
      const cc = change.coins.get('ETH');
      if (cc !== undefined && (cc.diffs.length > 0 || cc.statuses.length > 0)) heights.push(change.height);
    }
    c.turns.run();
    const updates = (a.socket.channel('l4Book') as { Updates?: { height: number } }[]).slice(1);
    expect(updates.map((u) => u.Updates!.height)).toEqual(heights);

    c.feed.resetCoins(['ETH']);
    c.turns.run();
    const after = a.socket.channel('l4Book') as { Snapshot?: { height: number } }[];
    expect(after).toHaveLength(1 + heights.length + 1);
    expect(after.at(-1)!.Snapshot!.height).toBe(c.feed.status().height);
  });

  it('holds l4Book subscribers of a coin under repair until its reset', () => {
    ready();
    const a = peer();
    c.feed.setState('degraded', ['ETH']);
    c.publisher.subscribe(a.peer, sub({ type: 'l4Book', coin: 'ETH' }));
    c.turns.run();
    expect(a.socket.channel('l4Book')).toEqual([]);
    c.feed.setState('ready', []);
    c.feed.resetCoins(['ETH']);
    c.turns.run();
    expect(a.socket.channel('l4Book')).toHaveLength(1);
  });

  it('re-sends an unchanged l2Book once it is older than the heartbeat on the injected clock', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      ready({ l2HeartbeatMs: 1_000 });
      const a = peer();
      c.publisher.subscribe(a.peer, sub({ type: 'l2Book', coin: 'ETH' }));
      c.turns.run();
      expect(a.socket.channel('l2Book')).toHaveLength(1);
      // The heartbeat looks every 200 ms: nothing is due while the wall clock stands still.
      vi.advanceTimersByTime(2_000);
      c.turns.run();
      expect(a.socket.channel('l2Book')).toHaveLength(1);
      c.clock.now += 900;
      vi.advanceTimersByTime(200);
      c.turns.run();
      const frames = a.socket.channel('l2Book');
      expect(frames).toHaveLength(2);
      expect(frames[1]).toEqual(frames[0]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends allMids and bbo at subscribe and again only when a block moved them', () => {
    ready();
    const a = peer();
    c.publisher.subscribe(a.peer, sub({ type: 'allMids' }));
    c.publisher.subscribe(a.peer, sub({ type: 'bbo', coin: 'ETH' }));
    c.turns.run();
    expect(a.socket.channel('allMids')).toHaveLength(1);
    expect(a.socket.channel('bbo')).toHaveLength(1);
    let bboMoves = 0;
    for (const block of market.blocks) {
      if (c.feed.apply(block).coins.get('ETH')?.bboChanged === true) bboMoves += 1;
      c.turns.run();
    }
    // A move may put the best level back where it was: at most one frame per move.
    const bbo = a.socket.channel('bbo');
    expect(bbo.length).toBeGreaterThan(1);
    expect(bbo.length).toBeLessThanOrEqual(1 + bboMoves);
    for (let i = 1; i < bbo.length; i++)
      expect(JSON.stringify((bbo[i] as { bbo: unknown }).bbo)).not.toBe(JSON.stringify((bbo[i - 1] as { bbo: unknown }).bbo));
  });
});
