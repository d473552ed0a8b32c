/**
 * Access control on a real server and real sockets: with `authTokens`, WebSocket upgrades and
 * `/info` need a token (header or `?token=`), `/health` and `/ready` stay open, `/metrics` is
 * closed unless `metricsPublic`; refusals are a bare 401 counted in `/metrics`. The per-IP
 * bound refuses the connection past it with 429 and takes one again once a slot frees. A
 * server on a non-loopback address without a token warns that it is open.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createLogger } from '../../src/log.js';
import { harness, type Harness } from './helpers/harness.js';
import { makeMarket } from './helpers/market.js';
import { TestClient } from './helpers/client.js';

const TOKEN_A = 'token-a-0123456789abcdef';
const TOKEN_B = 'token-b-fedcba9876543210';
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The HTTP status of a WebSocket upgrade that is refused, or 101 when it opens. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => resolve({ status: 101, body: '', ws }));
    ws.on('error', () => undefined);
  });
}

/** `hlob_refused_total{reason,endpoint}` now. */
async function refused(httpUrl: string, reason: string, endpoint: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN_A}` } })).text();
  const m = new RegExp(`^hlob_refused_total\\{reason="${reason}",endpoint="${endpoint.replace(/\//g, '\\/')}"\\} (\\d+)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}

const INFO = { method: 'POST', body: JSON.stringify({ type: 'allMids' }) };

describe('with --auth-token', () => {
  it('opens /ws to either token, by header or by ?token=, and refuses anything else with a bare 401, counted', async () => {
    h = await harness({ authTokens: [TOKEN_A, TOKEN_B] });
    const m = makeMarket({ seed: 3, blocks: 2 });
    h.feed.load(m.snapshot, m.snapshotTime);
    const url = h.server.url;
    const before = await refused(h.server.httpUrl, 'auth', '/ws');
    for (const [u, headers] of [
      [url, {}],
      [url, { authorization: 'Bearer wrong-token-0000000000' }],
      [`${url}?token=${TOKEN_A}x`, {}],
      [url, { authorization: `Basic ${Buffer.from(`u:${TOKEN_A}`).toString('base64')}` }],
    ] as const) {
      const r = await upgradeStatus(u, headers);
      expect(r).toEqual({ status: 401, body: '' });
    }
    expect(await refused(h.server.httpUrl, 'auth', '/ws')).toBe(before + 4);

    const byHeader = await TestClient.open(url, { headers: { authorization: `Bearer ${TOKEN_A}` } });
    const byQuery = await TestClient.open(`${url}?token=${encodeURIComponent(TOKEN_B)}`);
    for (const c of [byHeader, byQuery]) {
      c.send({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'ETH' } });
      expect((await c.channel('l2Book')).data).toMatchObject({ coin: 'ETH' });
      c.close();
    }
  });

  it('guards /info (not its CORS preflight); /health and /ready stay open; /metrics needs the token unless public', async () => {
    h = await harness({ authTokens: [TOKEN_A] });
    const m = makeMarket({ seed: 4, blocks: 2 });
    h.feed.load(m.snapshot, m.snapshotTime);
    const base = h.server.httpUrl;
    const before = await refused(base, 'auth', '/info');
    const refusedInfo = await fetch(`${base}/info`, INFO);
    expect(refusedInfo.status).toBe(401);
    expect(refusedInfo.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refusedInfo.text()).toBe('');
    expect((await fetch(`${base}/info`, { ...INFO, headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect(await refused(base, 'auth', '/info')).toBe(before + 2);

    const ok = await fetch(`${base}/info`, { ...INFO, headers: { authorization: `Bearer ${TOKEN_A}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveProperty('ETH');
    expect((await fetch(`${base}/info?token=${TOKEN_A}`, INFO)).status).toBe(200);

    const preflight = await fetch(`${base}/info`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.com', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);

    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN_A}` } })).status).toBe(200);
    // An unknown path is still a 404 for anyone: it reveals nothing.
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    await h.close();

    h = await harness({ authTokens: [TOKEN_A], metricsPublic: true });
    expect((await fetch(`${h.server.httpUrl}/metrics`)).status).toBe(200);
    expect((await fetch(`${h.server.httpUrl}/info`, INFO)).status).toBe(401);
  });

  it('without tokens everything stays open, as before', async () => {
    h = await harness();
    const m = makeMarket({ seed: 5, blocks: 2 });
    h.feed.load(m.snapshot, m.snapshotTime);
    expect((await fetch(`${h.server.httpUrl}/info`, INFO)).status).toBe(200);
    expect((await fetch(`${h.server.httpUrl}/metrics`)).status).toBe(200);
    expect((await upgradeStatus(h.server.url)).status).toBe(101);
  });
});

describe('--max-connections-per-ip', () => {
  it('refuses the connection past the bound with 429 (counted), and takes one again once a slot frees', async () => {
    h = await harness({ maxConnectionsPerIp: 2 });
    const before = await refused(h.server.httpUrl, 'per_ip', '/ws');
    const a = await h.client();
    const b = await h.client();
    expect((await upgradeStatus(h.server.url)).status).toBe(429);
    expect(await refused(h.server.httpUrl, 'per_ip', '/ws')).toBe(before + 1);
    // Plain HTTP is not a WebSocket connection: not counted.
    expect((await fetch(`${h.server.httpUrl}/health`)).status).toBe(200);
    a.close();
    await a.waitClosed();
    // The slot frees when the server sees the socket close: retry until it has.
    let r = await upgradeStatus(h.server.url);
    while (r.status === 429) r = await upgradeStatus(h.server.url);
    expect(r.status).toBe(101);
    r.ws!.close();
    b.close();
  });

  it('counts a refused token before a slot: 401s never use up the bound', async () => {
    h = await harness({ maxConnectionsPerIp: 1, authTokens: [TOKEN_A] });
    for (let i = 0; i < 3; i++) expect((await upgradeStatus(h.server.url)).status).toBe(401);
    const ok = await upgradeStatus(h.server.url, { authorization: `Bearer ${TOKEN_A}` });
    expect(ok.status).toBe(101);
    expect((await upgradeStatus(h.server.url, { authorization: `Bearer ${TOKEN_A}` })).status).toBe(429);
    ok.ws!.close();
  });
});

describe('listening beyond loopback', () => {
  function capture(): { lines: { level: number; msg: string }[]; logger: ReturnType<typeof createLogger> } {
    const lines: { level: number; msg: string }[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as { level: number; msg: string });
        done();
      },
    });
    return { lines, logger: createLogger({ level: 'info', pretty: false, stream }) };
  }

  it('warns that the server is open when there is no token, and not when there is one', async () => {
    const open = capture();
    h = await harness({ host: '0.0.0.0', logger: open.logger });
    const warning = open.lines.find((l) => l.level === 40);
    expect(warning?.msg).toMatch(/listening on 0\.0\.0\.0, not only on this machine, without --auth-token/);
    await h.close();

    const guarded = capture();
    h = await harness({ host: '0.0.0.0', logger: guarded.logger, authTokens: [TOKEN_A] });
    expect(guarded.lines.filter((l) => l.level >= 40)).toEqual([]);
    const local = capture();
    await h.close();
    h = await harness({ logger: local.logger });
    expect(local.lines.filter((l) => l.level >= 40)).toEqual([]);
  });
});
