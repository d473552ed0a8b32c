/**
 * The L2 and bbo trackers with intra-block frames (`"partial":true`, a server run with
 * `--book-updates intra-block`): a partial frame is a state of its own (`view.partial`), and
 * the block's end is a change even when its levels equal the last partial's.
 */
import { describe, expect, it } from 'vitest';
import { Bbo, type BboView } from '../../../src/client/modules/bbo.js';
import { L2BookTracker, type L2BookView } from '../../../src/client/modules/l2-book-tracker.js';
import { ack, connected, sent } from '../support/harness.js';

const lvl = (px: string, sz: string, n = 1) => ({ px, sz, n });

describe('trackers and intra-block frames', () => {
  it('L2BookTracker: partial states are changes with partial true; the block end is a change with the same levels', async () => {
    const { socket, client } = await connected((b) => b.withModule(L2BookTracker));
    const l2 = client.getHandle(L2BookTracker);
    const tracking = l2.track('BTC');
    await sent(socket, { method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } });
    socket.receive(ack({ type: 'l2Book', coin: 'BTC' }));
    await tracking;
    const changes: L2BookView[] = [];
    l2.on('change', (v) => changes.push(v));
    const a = [[lvl('100.0', '1.0')], [lvl('101.0', '1.0')]];
    const b = [[lvl('100.5', '0.5'), lvl('100.0', '1.0')], [lvl('101.0', '1.0')]];
    socket.receive({ channel: 'l2Book', data: { coin: 'BTC', time: 1, levels: a } });
    socket.receive({ channel: 'l2Book', data: { coin: 'BTC', time: 2, levels: b, partial: true } });
    socket.receive({ channel: 'l2Book', data: { coin: 'BTC', time: 2, levels: b } });
    // A heartbeat of the same block state is not a change.
    socket.receive({ channel: 'l2Book', data: { coin: 'BTC', time: 2, levels: b } });
    expect(changes.map((v) => [v.time, v.partial, v.bestBid?.px])).toEqual([
      [1, false, '100.0'],
      [2, true, '100.5'],
      [2, false, '100.5'],
    ]);
    expect(l2.view('BTC')?.partial).toBe(false);
  });

  it('Bbo: the same', async () => {
    const { socket, client } = await connected((b) => b.withModule(Bbo));
    const bbo = client.getHandle(Bbo);
    const tracking = bbo.track('ETH');
    await sent(socket, { method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } });
    socket.receive(ack({ type: 'bbo', coin: 'ETH' }));
    await tracking;
    const changes: BboView[] = [];
    bbo.on('change', (v) => changes.push(v));
    socket.receive({ channel: 'bbo', data: { coin: 'ETH', time: 1, bbo: [lvl('10.0', '1.0'), null] } });
    socket.receive({ channel: 'bbo', data: { coin: 'ETH', time: 2, bbo: [lvl('10.5', '1.0'), null], partial: true } });
    socket.receive({ channel: 'bbo', data: { coin: 'ETH', time: 2, bbo: [lvl('10.5', '1.0'), null] } });
    expect(changes.map((v) => [v.time, v.partial, v.bid?.px])).toEqual([
      [1, false, '10.0'],
      [2, true, '10.5'],
      [2, false, '10.5'],
    ]);
  });
});
