import { describe, expect, it } from 'vitest';
import { ClientClosedError, RejectedError, TimeoutError } from '../../../src/client/core/errors.js';
import { Subscriptions, type ServerError } from '../../../src/client/modules/subscriptions.js';
import { ack, connected, sent } from '../support/harness.js';

const btcTrades = { type: 'trades', coin: 'BTC' };

async function withSubscriptions() {
  const h = await connected((b) => b.withModule(Subscriptions, { timeoutMs: 5_000 }));
  return { ...h, subs: h.client.getHandle(Subscriptions) };
}

describe('Subscriptions', () => {
  it('sends the subscribe, resolves on the acknowledgement, and delivers data to listeners and iterators', async () => {
    const { socket, subs } = await withSubscriptions();
    const heard: unknown[] = [];
    const pending = subs.subscribe(btcTrades, (d) => heard.push(d));
    expect(await sent(socket, { method: 'subscribe' })).toEqual({ method: 'subscribe', subscription: btcTrades });
    socket.receive(ack(btcTrades));
    const active = await pending;
    const it = active[Symbol.asyncIterator]();
    const batch = [{ coin: 'BTC', side: 'B', px: '81307.0', sz: '0.1', hash: '0x1', time: 1, tid: 1, users: ['0xa', '0xb'] }];
    socket.receive({ channel: 'trades', data: batch });
    expect(heard).toEqual([batch]);
    expect(await it.next()).toEqual({ value: batch, done: false });
  });

  it('stream() keeps the frames that come right after the acknowledgement for its first iterator', async () => {
    const { socket, subs } = await withSubscriptions();
    const sub = { type: 'l2Book', coin: 'BTC' };
    const pending = subs.stream(sub);
    await sent(socket, { method: 'subscribe' });
    const book = { coin: 'BTC', time: 1, levels: [[], []] };
    // Acknowledgement and first frame in one go, before the caller's await returns.
    socket.receive(ack(sub));
    socket.receive({ channel: 'l2Book', data: book });
    const active = await pending;
    const it = active[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: book, done: false });
  });

  it('matches an acknowledgement that adds fields to the subscription (the public API fills in defaults)', async () => {
    const { socket, subs } = await withSubscriptions();
    const sub = { type: 'l2Book', coin: 'ETH' };
    const pending = subs.subscribe(sub);
    await sent(socket, { method: 'subscribe' });
    socket.receive(ack({ type: 'l2Book', coin: 'ETH', nSigFigs: null, mantissa: null }));
    await expect(pending).resolves.toMatchObject({ subscription: sub });
  });

  it('rejects with RejectedError on "Invalid subscription" and surfaces the error frame', async () => {
    const { socket, subs } = await withSubscriptions();
    const surfaced: ServerError[] = [];
    subs.on('serverError', (e) => surfaced.push(e));
    const errors = subs.errors();
    const bad = { type: 'l2Book', coin: 'NOPE' };
    const pending = subs.subscribe(bad);
    await sent(socket, { method: 'subscribe' });
    socket.receive({ channel: 'error', data: `Invalid subscription ${JSON.stringify(bad)}` });
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
    expect((error as RejectedError).serverText).toBe('Invalid subscription {"type":"l2Book","coin":"NOPE"}');
    expect(surfaced).toEqual([{ text: 'Invalid subscription {"type":"l2Book","coin":"NOPE"}', subscription: bad }]);
    expect((await errors.next()).value).toEqual(surfaced[0]);
    expect(subs.list()).toEqual([]);
  });

  it('surfaces error frames that name no subscription', async () => {
    const { socket, subs, logger } = await withSubscriptions();
    const surfaced: ServerError[] = [];
    subs.on('serverError', (e) => surfaced.push(e));
    socket.receive({ channel: 'error', data: 'Error parsing JSON into valid websocket request: {oops' });
    expect(surfaced).toEqual([{ text: 'Error parsing JSON into valid websocket request: {oops' }]);
    expect(logger.messages('warn')).toContain('server error frame');
  });

  it('fails with TimeoutError when no acknowledgement comes in time', async () => {
    const { socket, subs, clock } = await withSubscriptions();
    const pending = subs.subscribe(btcTrades, undefined, { timeoutMs: 2_000 });
    await sent(socket, { method: 'subscribe' });
    clock.advance(2_000);
    await expect(pending).rejects.toBeInstanceOf(TimeoutError);
    expect(subs.list()).toEqual([]);
  });

  it('unsubscribes at the server when an acknowledgement comes after the caller gave up', async () => {
    const { socket, subs, clock } = await withSubscriptions();
    const pending = subs.subscribe(btcTrades, undefined, { timeoutMs: 1_000 });
    await sent(socket, { method: 'subscribe' });
    clock.advance(1_000);
    await expect(pending).rejects.toBeInstanceOf(TimeoutError);
    socket.receive(ack(btcTrades));
    expect(await sent(socket, { method: 'unsubscribe' })).toEqual({ method: 'unsubscribe', subscription: btcTrades });
  });

  it('shares one server subscription between holders and unsubscribes when the last one leaves', async () => {
    const { socket, subs } = await withSubscriptions();
    const first = subs.subscribe(btcTrades);
    await sent(socket, { method: 'subscribe' });
    socket.receive(ack(btcTrades));
    const a = await first;
    const b = await subs.subscribe({ coin: 'BTC', type: 'trades' });
    expect(socket.messages().filter((m) => m.method === 'subscribe')).toHaveLength(1);
    await a.unsubscribe();
    expect(socket.messages().filter((m) => m.method === 'unsubscribe')).toHaveLength(0);
    const leaving = b.unsubscribe();
    await sent(socket, { method: 'unsubscribe' });
    socket.receive(ack(btcTrades, 'unsubscribe'));
    await leaving;
    expect(subs.list()).toEqual([]);
  });

  it('treats "Already subscribed" as the acknowledgement it stands for', async () => {
    const { socket, subs } = await withSubscriptions();
    const pending = subs.subscribe(btcTrades);
    await sent(socket, { method: 'subscribe' });
    socket.receive({ channel: 'error', data: `Already subscribed: ${JSON.stringify(btcTrades)}` });
    await expect(pending).resolves.toBeDefined();
  });

  it('routes data by coin and allMids by dex', async () => {
    const { socket, subs } = await withSubscriptions();
    const got: Record<string, unknown[]> = { btc: [], eth: [], mids: [], xyz: [] };
    const subscribeAcked = async (sub: Record<string, unknown> & { type: string }, into: unknown[]) => {
      const p = subs.subscribe(sub, (d) => into.push(d));
      await sent(socket, { method: 'subscribe', subscription: sub });
      socket.receive(ack(sub));
      await p;
    };
    await subscribeAcked({ type: 'bbo', coin: 'BTC' }, got.btc as unknown[]);
    await subscribeAcked({ type: 'bbo', coin: 'ETH' }, got.eth as unknown[]);
    await subscribeAcked({ type: 'allMids' }, got.mids as unknown[]);
    await subscribeAcked({ type: 'allMids', dex: 'xyz' }, got.xyz as unknown[]);
    const eth = { coin: 'ETH', time: 1, bbo: [null, null] };
    socket.receive({ channel: 'bbo', data: eth });
    socket.receive({ channel: 'allMids', data: { mids: { BTC: '1.0' } } });
    socket.receive({ channel: 'allMids', data: { mids: { 'xyz:A': '2.0' }, dex: 'xyz' } });
    expect(got).toEqual({ btc: [], eth: [eth], mids: [{ mids: { BTC: '1.0' } }], xyz: [{ mids: { 'xyz:A': '2.0' }, dex: 'xyz' }] });
  });

  it('re-subscribes every subscription after a reconnect and keeps delivering to the same iterator', async () => {
    const h = await withSubscriptions();
    const pending = h.subs.subscribe(btcTrades);
    await sent(h.socket, { method: 'subscribe' });
    h.socket.receive(ack(btcTrades));
    const it = (await pending)[Symbol.asyncIterator]();
    const resubscribed = new Promise((resolve) => h.subs.on('resubscribed', resolve));
    const next = await h.reconnect();
    expect(await sent(next, { method: 'subscribe' })).toEqual({ method: 'subscribe', subscription: btcTrades });
    next.receive(ack(btcTrades));
    expect(await resubscribed).toEqual(btcTrades);
    const batch = [{ coin: 'BTC', tid: 2 }];
    next.receive({ channel: 'trades', data: batch });
    expect((await it.next()).value).toEqual(batch);
  });

  it('ends a subscription that the server refuses on re-subscribe, failing its iterator', async () => {
    const h = await withSubscriptions();
    const pending = h.subs.subscribe(btcTrades);
    await sent(h.socket, { method: 'subscribe' });
    h.socket.receive(ack(btcTrades));
    const active = await pending;
    const it = active[Symbol.asyncIterator]();
    const lost = new Promise<Error>((resolve) => h.subs.on('lost', (_s, reason) => resolve(reason)));
    const next = await h.reconnect();
    await sent(next, { method: 'subscribe' });
    next.receive({ channel: 'error', data: `Invalid subscription ${JSON.stringify(btcTrades)}` });
    expect(await lost).toBeInstanceOf(RejectedError);
    expect(active.lost.aborted).toBe(true);
    await expect(it.next()).rejects.toBeInstanceOf(RejectedError);
    expect(h.subs.list()).toEqual([]);
  });

  it('waits for the connection when subscribing while disconnected, then sends', async () => {
    const h = await withSubscriptions();
    h.socket.drop(1006);
    expect(h.client.state).toBe('backoff');
    const pending = h.subs.subscribe(btcTrades);
    h.clock.advance(100);
    const next = await h.connector.attempt(1);
    next.accept();
    await sent(next, { method: 'subscribe' });
    next.receive(ack(btcTrades));
    await expect(pending).resolves.toBeDefined();
  });

  it('a throwing listener is logged and does not stop delivery to the others', async () => {
    const { socket, subs, logger } = await withSubscriptions();
    const heard: unknown[] = [];
    const pending = subs.subscribe(btcTrades, () => {
      throw new Error('user bug');
    });
    await sent(socket, { method: 'subscribe' });
    socket.receive(ack(btcTrades));
    (await pending).on((d) => heard.push(d));
    socket.receive({ channel: 'trades', data: [{ coin: 'BTC' }] });
    socket.receive({ channel: 'trades', data: [{ coin: 'BTC' }] });
    expect(heard).toHaveLength(2);
    expect(logger.messages('error')).toEqual(['subscription listener threw', 'subscription listener threw']);
  });

  it('fails waiting subscribes with ClientClosedError when the client closes', async () => {
    const { socket, subs, client } = await withSubscriptions();
    const pending = subs.subscribe(btcTrades);
    await sent(socket, { method: 'subscribe' });
    await client.close();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientClosedError);
  });
});
