/**
 * The L2 and bbo trackers with intra-block frames (`"partial":true`, a server run with
 * `--book-updates intra-block`): a partial frame is a state of its own (`view.partial`), and
 * the block's end is a change even when its levels equal the last partial's.
 */
import { describe, expect, it } from 'vitest';
import { Bbo, type BboView } from '../../../src/client/modules/bbo.js';
import { L2BookTracker, type L2BookView } from '../../../src/client/modules/l2-book-tracker.js';
import { ack, connected, sent, type Harness } from '../support/harness.js';

const lvl = (px: string, sz: string, n = 1) => ({ px, sz, n });

/** Once `track` (already called) has subscribed `subscription`: acknowledge it and wait for the tracking to start. */
async function acknowledged(socket: Harness['socket'], tracking: Promise<unknown>, subscription: { type: string; coin: string }): Promise<void> {
  await sent(socket, { method: 'subscribe', subscription });
  socket.receive(ack(subscription));
  await tracking;
}

describe('trackers and intra-block frames', () => {
  it('L2BookTracker: partial states are changes with partial true; the block end is a change with the same levels', async () => {
    const { socket, client } = await connected((b) => b.withModule(L2BookTracker));
    const l2 = client.getHandle(L2BookTracker);
    await acknowledged(socket, l2.track('BTC'), { type: 'l2Book', coin: 'BTC' });
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
    await acknowledged(socket, bbo.track('ETH'), { type: 'bbo', coin: 'ETH' });
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
