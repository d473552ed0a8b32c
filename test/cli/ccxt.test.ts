/**
 * ccxt (the most used exchange library, its `hyperliquid` class, pro for WebSocket) pointed at
 * the server as `npm start` starts it (the built CLI, `serve`, no node data: the simulated node
 * in the same process), with only its URLs overridden: markets load (perps, spot incl.
 * `PURR/USDC` and `@107`, HIP-3), order books are fetched and watched, trades stream, on a
 * perp, a spot pair and a HIP-3 perp. Then the same with `--auth-token`, the token given the
 * way ccxt can: a header for REST, `?token=` in the WebSocket URL.
 *
 * ccxt refuses a plain `ws://` URL until `loadHttpProxyAgent()` has been called (it wants an
 * agent for non-TLS sockets): a user pointing it at a local server does the same.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ccxt, { type OrderBook, type Trade } from 'ccxt';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = 'dist/src/cli/main.js';
const started: { child: ChildProcess; home: string }[] = [];
const exchanges: { close(): Promise<unknown> }[] = [];

afterEach(async () => {
  for (const e of exchanges.splice(0)) await e.close().catch(() => undefined);
  for (const { child, home } of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(home, { recursive: true, force: true });
  }
});

/** `npm start` (= `node dist/src/cli/main.js serve`) with a HOME without a node; its ws:// URL once it listens. */
async function npmStart(args: string[] = []): Promise<{ ws: string; http: string; nodeInfo: string }> {
  const home = await mkdtemp(join(tmpdir(), 'hlob-home-'));
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', ...args], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push({ child, home });
  let nodeInfo = '';
  // Listening, then the books ready (before that, book requests get 503 `not loaded yet`).
  const ws = await new Promise<string>((resolve, reject) => {
    let url = '';
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const l = JSON.parse(line) as { msg: string; url?: string; infoUrl?: string };
      if (l.infoUrl !== undefined) nodeInfo = l.infoUrl;
      if (l.msg === 'listening') url = l.url!;
      if (l.msg === 'books ready' && url !== '') resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { ws, http: ws.replace(/^ws/, 'http').replace(/\/ws$/, ''), nodeInfo };
}

function client(http: string, ws: string, headers?: Record<string, string>): InstanceType<typeof ccxt.pro.hyperliquid> {
  const ex = new ccxt.pro.hyperliquid({ enableRateLimit: false, timeout: 20_000, ...(headers !== undefined ? { headers } : {}) });
  const api = ex.urls['api'] as { public: string; ws: { public: string } };
  api.public = http;
  api.ws.public = ws;
  exchanges.push(ex);
  return ex;
}

function expectBook(b: OrderBook, symbol: string, startedAt: number): void {
  expect(b.symbol).toBe(symbol);
  expect(b.bids.length).toBeGreaterThan(0);
  expect(b.asks.length).toBeGreaterThan(0);
  for (let i = 1; i < b.bids.length; i++) expect(b.bids[i]![0]!).toBeLessThan(b.bids[i - 1]![0]!);
  for (let i = 1; i < b.asks.length; i++) expect(b.asks[i]![0]!).toBeGreaterThan(b.asks[i - 1]![0]!);
  expect(b.bids[0]![0]!).toBeLessThan(b.asks[0]![0]!);
  // A block time of the simulated node, which started after this test did.
  expect(b.timestamp).toBeGreaterThanOrEqual(startedAt);
  expect(b.timestamp).toBeLessThanOrEqual(Date.now());
}

function expectTrades(trades: Trade[], symbol: string, book: OrderBook): void {
  expect(trades.length).toBeGreaterThan(0);
  for (const t of trades) {
    expect(t.symbol).toBe(symbol);
    expect(t.amount).toBeGreaterThan(0);
    expect(['buy', 'sell']).toContain(t.side);
    // Trades happen near the book (the simulator's takers cross the spread, a few levels at most).
    expect(t.price!).toBeGreaterThan(book.bids[0]![0]! * 0.9);
    expect(t.price!).toBeLessThan(book.asks[0]![0]! * 1.1);
  }
}

const PERP = 'BTC/USDC:USDC';
const SPOT = 'PURR/USDC';
const SPOT_AT = 'HYPE/USDC'; // `@107`
const HIP3 = 'XYZ-ABC/USDC:USDC'; // `xyz:ABC`

describe('ccxt pointed at npm start', () => {
  it('loads the markets, fetches and watches books and watches trades on perp, spot and HIP-3', async () => {
    const startedAt = Date.now();
    const { ws, http, nodeInfo } = await npmStart();
    // What we do not answer ourselves goes to the node's info server and comes back as is.
    const post = async (url: string, body: unknown): Promise<unknown> => (await fetch(url, { method: 'POST', body: JSON.stringify(body) })).json();
    for (const body of [{ type: 'meta' }, { type: 'meta', dex: 'xyz' }, { type: 'spotMeta' }, { type: 'perpDexs' }, { type: 'allPerpMetas' }]) {
      expect(await post(`${http}/info`, body)).toEqual(await post(nodeInfo, body));
    }
    for (const body of [{ type: 'metaAndAssetCtxs' }, { type: 'metaAndAssetCtxs', dex: 'flx' }, { type: 'spotMetaAndAssetCtxs' }]) {
      const [ours, node] = (await Promise.all([post(`${http}/info`, body), post(nodeInfo, body)])) as [unknown[], unknown[]];
      expect(ours[0]).toEqual(node[0]);
      expect((ours[1] as unknown[]).length).toBe((node[1] as unknown[]).length);
    }
    expect(await post(`${http}/info`, { type: 'exchangeStatus' })).toMatchObject({ time: expect.any(Number), specialStatuses: null });
    const ex = client(http, ws);
    await ex.loadHttpProxyAgent();
    const markets = await ex.loadMarkets();
    for (const s of [PERP, 'ETH/USDC:USDC', SPOT, SPOT_AT, HIP3, 'FLX-CRCL/USDC:USDC']) expect(markets[s], s).toBeDefined();
    expect(markets[PERP]).toMatchObject({ type: 'swap', baseName: 'BTC', precision: { amount: 0.00001 } });
    expect(markets[SPOT]).toMatchObject({ type: 'spot', id: 'PURR/USDC' });
    expect(markets[SPOT_AT]).toMatchObject({ type: 'spot', id: '@107' });
    expect(markets[HIP3]).toMatchObject({ type: 'swap', baseName: 'xyz:ABC' });
    expect(Object.values(markets).filter((m) => m!.swap).length).toBeGreaterThanOrEqual(30);

    for (const symbol of [PERP, SPOT, SPOT_AT, HIP3]) {
      const fetched = await ex.fetchOrderBook(symbol);
      expectBook(fetched, symbol, startedAt);
      const watched = await ex.watchOrderBook(symbol);
      expectBook(watched, symbol, startedAt);
      const first = watched.timestamp!;
      // Live: a later block's book follows.
      let next = await ex.watchOrderBook(symbol);
      while (next.timestamp === first) next = await ex.watchOrderBook(symbol);
      expect(next.timestamp).toBeGreaterThan(first);
      expectBook(next, symbol, startedAt);
    }
    for (const symbol of [PERP, SPOT_AT]) {
      const book = await ex.watchOrderBook(symbol);
      expectTrades(await ex.watchTrades(symbol), symbol, book);
    }
  }, 120_000);

  it('with --auth-token: in with the token (REST header, ?token= on the socket), refused without', async () => {
    const token = 'ccxt-token-0123456789abcdef';
    const { ws, http } = await npmStart(['--auth-token', token, '--auth-token', 'another-token-0123456789']);
    const refused = client(http, ws);
    await expect(refused.loadMarkets()).rejects.toThrow(/401/);
    const ex = client(http, `${ws}?token=${token}`, { Authorization: `Bearer ${token}` });
    await ex.loadHttpProxyAgent();
    await ex.loadMarkets();
    expectBook(await ex.fetchOrderBook(PERP), PERP, 0);
    expectBook(await ex.watchOrderBook(SPOT), SPOT, 0);
  }, 120_000);
});
