import { describe, expect, it } from 'vitest';
import { Bbo } from '../../../src/client/modules/bbo.js';
import { L2BookTracker, type L2BookView } from '../../../src/client/modules/l2-book-tracker.js';
import { ack, connected, sent } from '../support/harness.js';

const lvl = (px: string, sz: string, n = 1) => ({ px, sz, n });

describe('L2BookTracker', () => {
  it('tracks a coin with parameters, keeps the latest view and emits changes but not heartbeats', async () => {
    const { socket, client } = await connected((b) => b.withModule(L2BookTracker));
    const l2 = client.getHandle(L2BookTracker);
    const tracking = l2.track('BTC', { nSigFigs: 5, mantissa: null });
    const sub = { type: 'l2Book', coin: 'BTC', nSigFigs: 5, mantissa: null };
    await sent(socket, { method: 'subscribe', subscription: sub });
    socket.receive(ack(sub));
    await tracking;
    const changes: L2BookView[] = [];
    l2.on('change', (v) => changes.push(v));
    const levels = [[lvl('81300.0', '1.5', 3)], [lvl('81310.0', '0.2')]];
    socket.receive({ channel: 'l2Book', data: { coin: 'BTC', time: 1, levels } });
    socket.receive({ channel: 'l2Book', data: { coin: 'BTC', time: 2, levels } });
    socket.receive({ channel: 'l2Book', data: { coin: 'ETH', time: 2, levels } });
    expect(changes).toHaveLength(1);
    expect(l2.view('BTC')).toMatchObject({ coin: 'BTC', time: 2, fresh: true, bestBid: lvl('81300.0', '1.5', 3), bestAsk: lvl('81310.0', '0.2') });
    socket.receive({ channel: 'l2Book', data: { coin: 'BTC', time: 3, levels: [[], [lvl('81310.0', '0.2')]] } });
    expect(changes).toHaveLength(2);
    expect(l2.view('BTC')?.bestBid).toBeNull();
  });

  it('refuses tracking one coin with two parameter sets', async () => {
    const { socket, client } = await connected((b) => b.withModule(L2BookTracker));
    const l2 = client.getHandle(L2BookTracker);
    const tracking = l2.track('BTC');
    await sent(socket, { method: 'subscribe' });
    socket.receive(ack({ type: 'l2Book', coin: 'BTC' }));
    await tracking;
    await expect(l2.track('BTC', { nSigFigs: 2 })).rejects.toThrow(/already tracked/);
  });

  it('marks views stale on a connection loss and fresh again with the next frame', async () => {
    const h = await connected((b) => b.withModule(L2BookTracker));
    const l2 = h.client.getHandle(L2BookTracker);
    const tracking = l2.track('BTC');
    await sent(h.socket, { method: 'subscribe' });
    h.socket.receive(ack({ type: 'l2Book', coin: 'BTC' }));
    await tracking;
    const levels = [[lvl('1.0', '1.0')], []];
    h.socket.receive({ channel: 'l2Book', data: { coin: 'BTC', time: 1, levels } });
    const next = await h.reconnect();
    expect(l2.view('BTC')?.fresh).toBe(false);
    await sent(next, { method: 'subscribe' });
    next.receive(ack({ type: 'l2Book', coin: 'BTC' }));
    const fresh = l2.waitFor('BTC', (v) => v.fresh);
    next.receive({ channel: 'l2Book', data: { coin: 'BTC', time: 2, levels } });
    expect((await fresh).time).toBe(2);
  });
});

describe('Bbo', () => {
  it('keeps the best bid and offer and emits when either changes', async () => {
    const { socket, client } = await connected((b) => b.withModule(Bbo));
    const bbo = client.getHandle(Bbo);
    const tracking = bbo.track('ETH');
    await sent(socket, { method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } });
    socket.receive(ack({ type: 'bbo', coin: 'ETH' }));
    await tracking;
    const changes = bbo.changes('ETH');
    socket.receive({ channel: 'bbo', data: { coin: 'ETH', time: 1, bbo: [lvl('1835.0', '2.0'), null] } });
    socket.receive({ channel: 'bbo', data: { coin: 'ETH', time: 2, bbo: [lvl('1835.0', '2.0'), null] } });
    socket.receive({ channel: 'bbo', data: { coin: 'ETH', time: 3, bbo: [lvl('1835.0', '2.0'), lvl('1836.0', '1.0')] } });
    expect((await changes.next()).value).toMatchObject({ time: 1, bid: lvl('1835.0', '2.0'), ask: null });
    expect((await changes.next()).value).toMatchObject({ time: 3, ask: lvl('1836.0', '1.0') });
    socket.receive({ channel: 'bbo', data: { coin: 'ETH', time: 4, bbo: 'garbage' } });
    expect(bbo.view('ETH')?.time).toBe(3);
  });
});
