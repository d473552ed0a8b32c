import { describe, expect, it } from 'vitest';
import { Trades } from '../../../src/client/modules/trades.js';
import { ack, connected, sent } from '../support/harness.js';

describe('Trades', () => {
  it('subscribes to a coin and yields its trades one by one', async () => {
    const { socket, client } = await connected((b) => b.withModule(Trades));
    const watching = client.getHandle(Trades).watch('BTC');
    await sent(socket, { method: 'subscribe' });
    socket.receive(ack({ type: 'trades', coin: 'BTC' }));
    const stream = await watching;
    const it = stream[Symbol.asyncIterator]();
    const t1 = { coin: 'BTC', side: 'A', px: '81307.0', sz: '0.1', hash: '0x1', time: 1, tid: 1, users: ['0xb', '0xs'] };
    const t2 = { ...t1, tid: 2 };
    socket.receive({ channel: 'trades', data: [t1, t2] });
    socket.receive({ channel: 'trades', data: [{ ...t1, coin: 'ETH' }] });
    expect((await it.next()).value).toEqual(t1);
    expect((await it.next()).value).toEqual(t2);
    const closing = stream.close();
    await sent(socket, { method: 'unsubscribe' });
    socket.receive(ack({ type: 'trades', coin: 'BTC' }, 'unsubscribe'));
    await closing;
    expect((await it.next()).done).toBe(true);
  });
});
