/**
 * The HTTP side of the port: `POST /info` (ours and forwarded), `post` over the socket
 * answering the same, `/health`, `/ready`, `/metrics`, and the `/ws` path.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { harness, type Harness } from './helpers/harness.js';
import { makeMarket, type Market } from './helpers/market.js';
import { META, nodeInfoServer, type NodeInfo } from './helpers/node-info.js';

let h: Harness;
let node: NodeInfo;
let m: Market;

beforeEach(async () => {
  node = await nodeInfoServer();
  m = makeMarket({ seed: 4, blocks: 3 });
  h = await harness({ infoUrl: node.url });
});
afterEach(async () => {
  await h.close();
  await node.close();
});

async function info(body: unknown): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${h.server.httpUrl}/info`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('POST /info', () => {
  it('answers l2Book and allMids from our books, l4Book ours', async () => {
    h.feed.load(m.snapshot, m.snapshotTime);
    for (const b of m.blocks) h.feed.apply(b);
    const books = h.feed.books;
    const t = m.blocks.at(-1)!.time;
    expect(JSON.parse((await info({ type: 'l2Book', coin: 'PURR/USDC' })).text)).toEqual({ coin: 'PURR/USDC', time: t, levels: books.book('PURR/USDC')!.l2() });
    expect(JSON.parse((await info({ type: 'l2Book', coin: 'ETH', nSigFigs: 2, mantissa: null })).text)).toEqual({
      coin: 'ETH',
      time: t,
      levels: books.book('ETH')!.l2({ nSigFigs: 2 }),
    });
    expect((await info({ type: 'l2Book', coin: 'NOPE' })).text).toBe('null');
    const mids = JSON.parse((await info({ type: 'allMids' })).text) as Record<string, string>;
    expect(mids).toEqual({ ETH: books.book('ETH')!.mid(), '@107': books.book('@107')!.mid(), 'PURR/USDC': books.book('PURR/USDC')!.mid() });
    expect(JSON.parse((await info({ type: 'allMids', dex: 'xyz' })).text)).toEqual({
      'xyz:ABC': books.book('xyz:ABC')!.mid(),
      'xyz:DEF': books.book('xyz:DEF')!.mid(),
    });
    const l4 = JSON.parse((await info({ type: 'l4Book', coin: 'xyz:DEF' })).text);
    expect(l4).toEqual({ coin: 'xyz:DEF', time: t, height: m.blocks.at(-1)!.height, levels: JSON.parse(JSON.stringify(books.book('xyz:DEF')!.l4())) });
    expect(node.requests).toEqual([]);
  });

  it("forwards every other type to the node's info server and returns its answer as is", async () => {
    const meta = await info({ type: 'meta' });
    expect(meta).toEqual({ status: 200, type: 'application/json', text: JSON.stringify(META) });
    const unknown = await info({ type: 'frobnicate', x: 1 });
    expect(unknown).toEqual({ status: 422, type: 'text/plain', text: 'Failed to deserialize the JSON body into the target type' });
    expect(node.requests).toEqual([{ type: 'meta' }, { type: 'frobnicate', x: 1 }]);
    // Except the node's file-writing request.
    const file = await info({ type: 'fileSnapshot', request: { type: 'l4Snapshots' }, outPath: '/tmp/x.json' });
    expect(file.status).toBe(403);
    expect(node.requests).toHaveLength(2);
  });

  it('refuses a body that is not JSON, and says when the books are not loaded yet', async () => {
    expect((await info('{nope')).status).toBe(400);
    const r = await info({ type: 'l2Book', coin: 'ETH' });
    expect(r.status).toBe(503);
    expect(r.text).toMatch(/not loaded yet \(state starting\)/);
  });

  it("says which server did not answer when the node's info server is down", async () => {
    await node.close();
    const r = await info({ type: 'meta' });
    expect(r.status).toBe(502);
    expect(r.text).toContain(node.url);
  });
});

describe('post over the socket', () => {
  it('answers info requests with exactly what POST /info returns, failures with the reason', async () => {
    h.feed.load(m.snapshot, m.snapshotTime);
    const c = await h.client();
    const payload = { type: 'l2Book', coin: 'xyz:ABC', nSigFigs: null, mantissa: null };
    const r = await c.request({ method: 'post', id: 7, request: { type: 'info', payload } }, (f) => f.channel === 'post');
    expect(r).toEqual({
      channel: 'post',
      data: { id: 7, response: { type: 'info', payload: { type: 'l2Book', data: JSON.parse((await info(payload)).text) } } },
    });
    const meta = await c.request({ method: 'post', id: 8, request: { type: 'info', payload: { type: 'meta' } } }, (f) => f.channel === 'post');
    expect(meta.data).toEqual({ id: 8, response: { type: 'info', payload: { type: 'meta', data: META } } });
    const bad = await c.request({ method: 'post', id: 9, request: { type: 'info', payload: { type: 'frobnicate' } } }, (f) => f.channel === 'post');
    expect(bad.data).toEqual({
      id: 9,
      response: { type: 'error', payload: 'info server answered 422: Failed to deserialize the JSON body into the target type' },
    });
    const action = await c.request({ method: 'post', id: 10, request: { type: 'action', payload: { action: {} } } }, (f) => f.channel === 'post');
    expect(action.data).toMatchObject({ id: 10, response: { type: 'error' } });
    expect(c.closed).toBeNull();
  });
});

describe('health, readiness, metrics', () => {
  it('/health always 200 with the state; /ready 503 until ready', async () => {
    let res = await fetch(`${h.server.httpUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      state: 'starting',
      height: null,
      time: null,
      lagMs: null,
      clients: 0,
      subscriptions: 0,
      eventsPerSecond: 0,
      source: 'simulated',
    });
    expect((await fetch(`${h.server.httpUrl}/ready`)).status).toBe(503);
    h.feed.load(m.snapshot, m.snapshotTime);
    const c = await h.client();
    await c.request({ method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } }, (f) => f.channel === 'bbo');
    res = await fetch(`${h.server.httpUrl}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'ready', height: m.snapshot[0], clients: 1, subscriptions: 1, source: 'simulated' });
    h.feed.setState('stale');
    expect((await fetch(`${h.server.httpUrl}/ready`)).status).toBe(503);
    expect((await fetch(`${h.server.httpUrl}/health`)).status).toBe(200);
  });

  it('/metrics has the server counters in Prometheus text', async () => {
    h.feed.load(m.snapshot, m.snapshotTime);
    const c = await h.client();
    await c.request({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'ETH' } }, (f) => f.channel === 'l2Book');
    const res = await fetch(`${h.server.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    for (const name of [
      'hlob_clients',
      'hlob_subscriptions',
      'hlob_frames_sent_total',
      'hlob_bytes_sent_total',
      'hlob_dropped_clients_total',
      'hlob_blocks_total',
    ])
      expect(text).toContain(name);
    expect(text).toMatch(/hlob_frames_sent_total\{channel="l2Book"\} [1-9]/);
  });

  it('upgrades only /ws; unknown paths are 404', async () => {
    const wrong = new WebSocket(h.server.url.replace('/ws', '/other'));
    const status = await new Promise<number>((resolve) =>
      wrong.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)).on('error', () => resolve(-1)),
    );
    expect(status).toBe(404);
    expect((await fetch(`${h.server.httpUrl}/nope`)).status).toBe(404);
    expect((await fetch(`${h.server.httpUrl}/info`)).status).toBe(405);
  });
});
