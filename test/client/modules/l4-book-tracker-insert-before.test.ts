/**
 * `L4BookTracker` on `l4Book` Updates that carry `insertBefore` (today's node format): the
 * replica keeps the node's queue order, and a name that does not rest there is a divergence
 * that brings a fresh snapshot.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Block } from '../../../src/book/index.js';
import { L4BookTracker } from '../../../src/client/modules/l4-book-tracker.js';
import { applyBlockToModel, modelOfSnapshot, rewriteWithInsertBefore, type RewrittenFixture } from '../../book/insert-before-data.js';
import { l4Keys } from '../../book/naive-model.js';
import { ack, connected, sent } from '../support/harness.js';
import { snapshotFrame, updatesFrame } from '../support/l4-frames.js';

const SUB = { type: 'l4Book', coin: 'BTC', bookOnly: true };

let data: RewrittenFixture;
let snapshotText: string;

beforeAll(() => {
  data = rewriteWithInsertBefore(7);
  snapshotText = JSON.stringify(snapshotFrame(data.snapshot, 'BTC', data.blocks[0]!.time - 1));
}, 60_000);

async function tracking() {
  const h = await connected((b) => b.withModule(L4BookTracker));
  const tracker = h.client.getHandle(L4BookTracker);
  const replica = tracker.track('BTC');
  await sent(h.socket, { method: 'subscribe', subscription: SUB });
  h.socket.receive(ack(SUB));
  h.socket.receive(snapshotText);
  await replica;
  return { ...h, tracker };
}

describe('L4BookTracker with insertBefore', () => {
  it('follows real blocks whose new diffs jump ahead in their queue, equal to the naive model order by order', async () => {
    expect(data.placed).toBeGreaterThan(50);
    const { socket, tracker } = await tracking();
    const desyncs: string[] = [];
    tracker.on('desync', (coin) => desyncs.push(coin));
    for (const b of data.blocks) socket.receive(updatesFrame(b, 'BTC'));
    const replica = tracker.replica('BTC')!;
    expect(replica.height).toBe(985148206);
    expect(desyncs).toEqual([]);
    const model = modelOfSnapshot(data.snapshot);
    for (const b of data.blocks) applyBlockToModel(model, b.diffs, b.statuses);
    const [bids, asks] = replica.l4();
    const [mb, ma] = model.l4();
    expect(l4Keys(bids)).toEqual(mb);
    expect(l4Keys(asks)).toEqual(ma);
  }, 120_000);

  it('takes an insertBefore naming an order not resting at that level as a divergence: fresh snapshot, then follows', async () => {
    const { socket, tracker } = await tracking();
    const desynced = new Promise<Error>((resolve) => tracker.on('desync', (_c, e) => resolve(e)));
    const first = data.blocks[0] as Block;
    const resting = data.snapshot[1][0]![1][0][0]![1];
    const bad = updatesFrame(first, 'BTC') as { data: { Updates: { book_diffs: unknown[] } } };
    // A new ask "before" the best bid: that order rests on the other side.
    bad.data.Updates.book_diffs.push({
      user: '0xabc',
      oid: 77,
      coin: 'BTC',
      side: 'A',
      px: resting.limitPx,
      raw_book_diff: { new: { sz: '1.0', insertBefore: resting.oid } },
    });
    socket.receive(bad);
    expect((await desynced).message).toMatch(new RegExp(`before oid ${resting.oid}, which rests on the other side`));
    const from = socket.sent.length - 1;
    await sent(socket, { method: 'unsubscribe', subscription: SUB });
    socket.receive(ack(SUB, 'unsubscribe'));
    await sent(socket, { method: 'subscribe', subscription: SUB }, from);
    socket.receive(ack(SUB));
    socket.receive(snapshotText);
    await tracker.waitForHeight('BTC', 985148181);
    for (const b of data.blocks.slice(0, 3)) socket.receive(updatesFrame(b, 'BTC'));
    expect(tracker.replica('BTC')!.height).toBe(985148184);
  }, 60_000);
});
