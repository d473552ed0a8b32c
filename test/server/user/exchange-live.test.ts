/**
 * `POST /exchange` and WS `post` actions forwarded to a tiny fake exchange on a real socket:
 * the body unchanged, the answer as is (status and body), clear 502s naming the URL when the
 * exchange cannot be reached, answers too slowly or too much, and bounded bodies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ExchangeForwarder, MAX_EXCHANGE_BODY, defaultExchangeUrl } from '../../../src/server/user/exchange.js';
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

const ORDER = '{"action":{"type":"order","orders":[{"a":0,"b":true,"p":"1990","s":"0.01","r":false,"t":{"limit":{"tif":"Alo"}}}],"grouping":"na"},"nonce":1780000000000,"signature":{"r":"0x1","s":"0x2","v":27}}';
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
    expect(await post('/exchange', '{"nope":1}')).toEqual({ status: 422, text: 'Failed to deserialize the JSON body into the target type', type: 'text/plain' });
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
    expect((w.data as { response: { type: string; payload: string } }).response).toMatchObject({ type: 'error', payload: expect.stringContaining(url) as unknown });
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

  it('read-your-writes: the answer waits for the node\'s files to be read, at most settleMs', async () => {
    ex = await fakeExchange((_b, res) => res.end('{"status":"ok"}'));
    let release!: () => void;
    const calls: string[] = [];
    const fwd = new ExchangeForwarder({
      url: ex.url,
      settle: () => {
        calls.push('settle');
        return new Promise<void>((r) => (release = r));
      },
    });
    const pending = fwd.forward('{}').then((a) => {
      calls.push('answered');
      return a;
    });
    while (calls.length === 0) await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['settle']);
    release();
    expect((await pending).body).toBe('{"status":"ok"}');
    expect(calls).toEqual(['settle', 'answered']);
    // A settle that never ends costs at most settleMs.
    const stuck = new ExchangeForwarder({ url: ex.url, settle: () => new Promise<void>(() => undefined), settleMs: 50 });
    expect((await stuck.forward('{}')).status).toBe(200);
  });

  it('defaults: the simulated node\'s /exchange, Hyperliquid\'s next to a node', () => {
    expect(defaultExchangeUrl('simulated', 'http://127.0.0.1:4567/info')).toBe('http://127.0.0.1:4567/exchange');
    expect(defaultExchangeUrl('node', 'http://localhost:3001/info')).toBe('https://api.hyperliquid.xyz/exchange');
  });
});
