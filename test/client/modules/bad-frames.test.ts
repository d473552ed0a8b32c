/**
 * Malformed frames from a server: each is a coded error (`HLOB_ERR_CLIENT_BAD_FRAME`)
 * reported by the module that reads it, never a crash or a restart of that module.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors.js';
import { L4BookTracker } from '../../../src/client/modules/l4-book-tracker.js';
import { Post } from '../../../src/client/modules/post.js';
import { Subscriptions } from '../../../src/client/modules/subscriptions.js';
import type { HlobError } from '../../../src/errors.js';
import { ack, connected, sent } from '../support/harness.js';
import { nodeOrder } from '../../book/helpers.js';

const SUB = { type: 'l4Book', coin: 'ETH', bookOnly: true };
const order = (oid: number, side: 'B' | 'A', px: string) => ({
  user: '0x00000000000000000000000000000000000000aa',
  ...nodeOrder({ side, limitPx: px, sz: '1.0', oid, timestamp: 1 }, 'ETH'),
});

async function trackingEth() {
  const h = await connected((b) => b.withModule(L4BookTracker));
  const tracker = h.client.getHandle(L4BookTracker);
  const replica = tracker.track('ETH');
  await sent(h.socket, { method: 'subscribe', subscription: SUB });
  h.socket.receive(ack(SUB));
  h.socket.receive({
    channel: 'l4Book',
    data: { Snapshot: { coin: 'ETH', time: 10, height: 100, levels: [[order(1, 'B', '99.0')], [order(2, 'A', '101.0')]] } },
  });
  await replica;
  return { ...h, tracker };
}

describe('malformed inbound frames', () => {
  it('an l4Book Updates with a malformed diff is a coded desync and a fresh snapshot, the module keeps running', async () => {
    const { socket, client, tracker } = await trackingEth();
    expect(
      tracker
        .replica('ETH')
        ?.bbo()
        .map((l) => l?.px),
    ).toEqual(['99.0', '101.0']);
    const desynced = new Promise<Error>((resolve) => tracker.on('desync', (_coin, e) => resolve(e)));
    const from = socket.sent.length;
    socket.receive({
      channel: 'l4Book',
      data: { Updates: { time: 11, height: 101, order_statuses: [], book_diffs: [{ coin: 'ETH', oid: 'x', user: 7, raw_book_diff: 3 }] } },
    });
    const error = (await desynced) as HlobError;
    expect(error.code).toBe(ErrorCodes.CLIENT_BAD_FRAME);
    expect(error.message).toMatch(/^l4Book Updates of ETH frame does not have the expected shape: book_diffs\.0: expected a diff/);
    expect(tracker.replica('ETH')?.synced).toBe(false);
    await sent(socket, { method: 'unsubscribe', subscription: SUB }, from);
    expect(client.moduleStopped(L4BookTracker)).toBeUndefined();
  });

  it('an l4Book snapshot whose orders lack fields is refused whole, naming the order', async () => {
    const { socket, tracker } = await trackingEth();
    const desynced = new Promise<Error>((resolve) => tracker.on('desync', (_coin, e) => resolve(e)));
    socket.receive({ channel: 'l4Book', data: { Snapshot: { coin: 'ETH', time: 12, height: 102, levels: [[{ oid: 5 }], []] } } });
    const error = (await desynced) as HlobError;
    expect(error.code).toBe(ErrorCodes.BAD_SNAPSHOT);
    expect(error.message).toContain('levels.0.0: expected an order with user, oid, limitPx and sz');
    // The replica it had is not half replaced.
    expect(tracker.replica('ETH')?.height).toBe(100);
  });

  it('a post answer without a numeric id and an ack without a subscription are logged with the code and ignored', async () => {
    const { socket, client, logger } = await connected((b) => b.withModule(Post).withModule(Subscriptions));
    socket.receive({ channel: 'post', data: { id: 'seven', response: { type: 'info', payload: {} } } });
    socket.receive({ channel: 'subscriptionResponse', data: { method: 'subscribe', subscription: 'BTC' } });
    expect(logger.messages('warn')).toEqual(['malformed post frame; ignored', 'malformed subscriptionResponse frame; ignored']);
    expect(client.moduleStopped(Post)).toBeUndefined();
    expect(client.moduleStopped(Subscriptions)).toBeUndefined();
  });
});
