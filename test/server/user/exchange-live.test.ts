/**
 * `POST /exchange` and WS `post` actions forwarded to a tiny fake exchange on a real socket:
 * the body unchanged, the answer as is (status and body), clear 502s naming the URL when the
 * exchange cannot be reached, answers too slowly or too much, and bounded bodies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ExchangeForwarder, MAX_EXCHANGE_BODY, actionOids, defaultExchangeUrl } from '../../../src/server/user/exchange.js';
import { UserStreams } from '../../../src/server/user/user-streams.js';
import { ManualFeed } from '../helpers/feed.js';
import { ALICE, HEIGHT, block, blockTime, order, snapshot } from './user-market.js';
import { harness, type Harness } from '../helpers/harness.js';

interface FakeExchange {
  url: string;
  bodies: string[];
  close(): Promise<void>;
}

async function fakeExchange(handler: (body: string, res: ServerResponse, req: IncomingMessage) => void): Promise<FakeExchange> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      handler(body, res, req);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/exchange`,
    bodies,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A URL on which nothing listens (a port just freed). */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/exchange`;
}

const ORDER =
  '{"action":{"type":"order","orders":[{"a":0,"b":true,"p":"1990","s":"0.01","r":false,"t":{"limit":{"tif":"Alo"}}}],"grouping":"na"},"nonce":1780000000000,"signature":{"r":"0x1","s":"0x2","v":27}}';
const OK = '{"status":"ok","response":{"type":"order","data":{"statuses":[{"resting":{"oid":77}}]}}}';

let h: Harness | undefined;
let ex: FakeExchange | undefined;
afterEach(async () => {
  await h?.close();
  await ex?.close();
  h = undefined;
  ex = undefined;
});

async function post(path: string, body: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${h!.server.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

describe('POST /exchange', () => {
  it('forwards the body unchanged and returns the answer as is', async () => {
    ex = await fakeExchange((body, res) => {
      if (body.includes('"order"')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(OK);
      } else {
        res.writeHead(422, { 'content-type': 'text/plain' });
        res.end('Failed to deserialize the JSON body into the target type');
      }
    });
    h = await harness({ exchangeUrl: ex.url });
    const spaced = ORDER.replace('{"action"', '{ "action"');
    expect(await post('/exchange', spaced)).toEqual({ status: 200, text: OK, type: 'application/json' });
    expect(ex.bodies).toEqual([spaced]);
    expect(await post('/exchange', '{"nope":1}')).toEqual({
      status: 422,
      text: 'Failed to deserialize the JSON body into the target type',
      type: 'text/plain',
    });
  });

  it('WS post "action": the exchange answer as the payload, an error frame otherwise', async () => {
    ex = await fakeExchange((body, res) => {
      if (body.includes('"order"')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(OK);
      } else {
        res.writeHead(400);
        res.end('bad');
      }
    });
    h = await harness({ exchangeUrl: ex.url });
    const c = await h.client();
    const r = await c.request({ method: 'post', id: 9, request: { type: 'action', payload: JSON.parse(ORDER) as unknown } }, (f) => f.channel === 'post');
    expect(r.data).toEqual({ id: 9, response: { type: 'action', payload: JSON.parse(OK) as unknown } });
    expect(JSON.parse(ex.bodies[0]!)).toEqual(JSON.parse(ORDER));
    const e = await c.request({ method: 'post', id: 10, request: { type: 'action', payload: { x: 1 } } }, (f) => f.channel === 'post');
    expect(e.data).toEqual({ id: 10, response: { type: 'error', payload: 'exchange answered 400: bad' } });
  });

  it('502 naming the URL when nothing listens there; the server keeps serving', async () => {
    const url = await deadUrl();
    h = await harness({ exchangeUrl: url });
    const r = await post('/exchange', ORDER);
    expect(r.status).toBe(502);
    expect(r.text).toContain(`the exchange at ${url} could not be reached`);
    const c = await h.client();
    const w = await c.request({ method: 'post', id: 1, request: { type: 'action', payload: {} } }, (f) => f.channel === 'post');
    expect((w.data as { response: { type: string; payload: string } }).response).toMatchObject({
      type: 'error',
      payload: expect.stringContaining(url) as unknown,
    });
    expect((await fetch(`${h.server.httpUrl}/health`)).status).toBe(200);
  });

  it('bounded: a body over the limit is refused (413) and never forwarded', async () => {
    ex = await fakeExchange((_b, res) => res.end('{}'));
    h = await harness({ exchangeUrl: ex.url });
    const r = await post('/exchange', `{"pad":"${'x'.repeat(MAX_EXCHANGE_BODY)}"}`);
    expect(r.status).toBe(413);
    expect(ex.bodies).toEqual([]);
    expect((await fetch(`${h.server.httpUrl}/exchange`)).status).toBe(405);
  });

  it('without an exchange URL there is no /exchange and WS actions are refused', async () => {
    h = await harness();
    expect((await post('/exchange', ORDER)).status).toBe(404);
    const c = await h.client();
    const r = await c.request({ method: 'post', id: 2, request: { type: 'action', payload: {} } }, (f) => f.channel === 'post');
    expect((r.data as { response: { type: string } }).response.type).toBe('error');
  });
});

describe('ExchangeForwarder', () => {
  it('times out a silent exchange and refuses an answer too large, naming the URL', async () => {
    ex = await fakeExchange((body, res) => {
      if (body === 'big') res.end('y'.repeat(2048));
      // else: never answers
    });
    const slow = new ExchangeForwarder({ url: ex.url, timeoutMs: 150 });
    const t = await slow.forward('{}');
    expect(t).toMatchObject({ status: 502, forwarded: false });
    expect(t.body).toBe(`the exchange at ${ex.url} did not answer within 150 ms`);
    const capped = new ExchangeForwarder({ url: ex.url, maxAnswerBytes: 1024 });
    expect((await capped.forward('big')).body).toBe(`the exchange at ${ex.url} answered more than 1024 bytes`);
  });

  it("read-your-writes: an order's answer waits until its oid has a status in a block applied here (at most settleMs)", async () => {
    const feed = new ManualFeed();
    feed.load(snapshot(), blockTime(HEIGHT));
    const users = new UserStreams({ feed });
    const answer = (oid: number): string => `{"status":"ok","response":{"type":"order","data":{"statuses":[{"resting":{"oid":${oid}}}]}}}`;
    const statusBlock = (h: number, oid: number) => block(h, { statuses: [{ user: ALICE, status: 'open', order: order('ETH', 'B', '1990.0', '1.0', oid) }] });
    let h = HEIGHT;
    ex = await fakeExchange((body, res) => {
      const oid = Number(body);
      // 1: the node's block is applied before the answer leaves (the simulated node's order of things).
      if (oid === 1) feed.apply(statusBlock(++h, 1));
      res.end(answer(oid));
    });
    const fwd = new ExchangeForwarder({ url: ex.url, watcher: users, settleMs: 5_000 });
    expect((await fwd.forward('1')).body).toBe(answer(1));

    // 2: the block comes after the answer: the answer waits for it.
    const events: string[] = [];
    const pending = fwd.forward('2').then((a) => {
      events.push('answered');
      return a;
    });
    while (ex.bodies.length < 2) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual([]);
    events.push('block');
    feed.apply(statusBlock(++h, 2));
    expect((await pending).body).toBe(answer(2));
    expect(events).toEqual(['block', 'answered']);

    // 3: never seen: answered after settleMs all the same.
    const quick = new ExchangeForwarder({ url: ex.url, watcher: users, settleMs: 50 });
    expect((await quick.forward('3')).status).toBe(200);
    users.close();
  });

  it("actionOids: order statuses' oids from the answer, cancels' from the request, nothing otherwise", () => {
    expect(
      actionOids(
        '{}',
        '{"status":"ok","response":{"type":"order","data":{"statuses":[{"resting":{"oid":5}},{"filled":{"totalSz":"1","avgPx":"2","oid":6}},{"error":"x"}]}}}',
      ),
    ).toEqual([5, 6]);
    expect(
      actionOids(
        '{"action":{"type":"cancel","cancels":[{"a":0,"o":7},{"a":1,"o":8}]}}',
        '{"status":"ok","response":{"type":"cancel","data":{"statuses":["success"]}}}',
      ),
    ).toEqual([7, 8]);
    expect(actionOids('{}', '{"status":"err","response":"Invalid nonce"}')).toEqual([]);
    expect(actionOids('{}', '{"status":"ok","response":{"type":"default"}}')).toEqual([]);
    expect(actionOids('nope', 'not json')).toEqual([]);
  });

  it("defaults: the simulated node's /exchange, Hyperliquid's next to a node", () => {
    expect(defaultExchangeUrl('simulated', 'http://127.0.0.1:4567/info')).toBe('http://127.0.0.1:4567/exchange');
    expect(defaultExchangeUrl('node', 'http://localhost:3001/info')).toBe('https://api.hyperliquid.xyz/exchange');
  });
});
