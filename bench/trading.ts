/**
 * `npm run bench -- trading`: a client trading through our URL, as `npm start` runs it (the
 * embedded simulated node at the mainnet profile, 14.6 blocks/s, with its paper exchange).
 * - `exchange.order_to_fill_ms_p50` / `_p99`: an IOC that crosses, from the moment the
 *   client posts it (`@nktkas/hyperliquid` `ExchangeClient` over `HttpTransport` at our
 *   URL) to the moment its fill arrives on the client's `userFills` subscription (WebSocket,
 *   our URL), ms. Buys and sells alternate (the position stays small); `TRADING_BENCH_ORDERS`
 *   orders (default 40), one at a time. Extra: the exchange's answer time through us.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ExchangeClient, HttpTransport, InfoClient } from '@nktkas/hyperliquid';
import { WebSocket } from 'ws';
import { formatUnits, parsePrice } from '../src/book/decimal.js';
import { runServe } from '../src/cli/serve.js';
import { resolveServeConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { privateKeyWallet, randomPrivateKey } from '../src/sign/index.js';
import type { Report } from './run.js';

const ORDERS = Number(process.env.TRADING_BENCH_ORDERS ?? 40);
/** One tick of ETH on the simulated node (one decimal), in units of 1e-8. */
const TICK = 10_000_000;

function q(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

function round(x: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}

export async function run(report: Report): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'hlob-bench-trading-'));
  const running = await runServe({ ...resolveServeConfig({}, {}), port: 0, logLevel: 'silent' }, createLogger({ level: 'silent' }), home);
  try {
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (running.feed.status().state !== 'ready') return;
        running.feed.off('state', check);
        resolve();
      };
      running.feed.on('state', check);
      check();
    });
    const transport = new HttpTransport({ apiUrl: running.server.httpUrl, timeout: 30_000 });
    const info = new InfoClient({ transport });
    const wallet = privateKeyWallet(randomPrivateKey());
    const user = wallet.address.toLowerCase();
    const exchange = new ExchangeClient({ transport, wallet });
    const ETH = (await info.meta()).universe.findIndex((a) => a.name === 'ETH');
    await info.clearinghouseState({ user: user as `0x${string}` });

    // Fill arrival times by oid, on the client's own userFills subscription.
    const arrived = new Map<number, number>();
    const waiting = new Map<number, () => void>();
    const ws = new WebSocket(running.server.url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('message', (data) => {
      const at = performance.now();
      const f = JSON.parse(data.toString()) as { channel: string; data: { isSnapshot?: boolean; fills?: { oid: number }[] } };
      if (f.channel !== 'userFills' || f.data.isSnapshot === true) return;
      for (const fill of f.data.fills ?? []) {
        if (arrived.has(fill.oid)) continue;
        arrived.set(fill.oid, at);
        waiting.get(fill.oid)?.();
      }
    });
    ws.send(JSON.stringify({ method: 'subscribe', subscription: { type: 'userFills', user } }));

    const toFill: number[] = [];
    const answered: number[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const book = await info.l2Book({ coin: 'ETH' });
      const buy = i % 2 === 0;
      const px = buy ? parsePrice(book!.levels[1][0]!.px) + 50 * TICK : parsePrice(book!.levels[0][0]!.px) - 50 * TICK;
      const t0 = performance.now();
      const res = await exchange.order({ orders: [{ a: ETH, b: buy, p: formatUnits(px), s: '0.01', r: false, t: { limit: { tif: 'Ioc' } } }], grouping: 'na' });
      const t1 = performance.now();
      const st = res.response.data.statuses[0] as { filled?: { oid: number } };
      if (st.filled === undefined) continue; // nothing to take at that price this time
      const oid = st.filled.oid;
      if (!arrived.has(oid)) await new Promise<void>((resolve) => waiting.set(oid, resolve));
      toFill.push(arrived.get(oid)! - t0);
      answered.push(t1 - t0);
    }
    ws.close();
    const extra = {
      orders: toFill.length,
      profile: 'mainnet',
      answerP50Ms: round(q(answered, 0.5), 1),
      answerP99Ms: round(q(answered, 0.99), 1),
      maxMs: round(Math.max(...toFill), 1),
    };
    report({ bench: 'exchange.order_to_fill_ms_p50', value: round(q(toFill, 0.5), 1), unit: 'ms', ...extra });
    report({ bench: 'exchange.order_to_fill_ms_p99', value: round(q(toFill, 0.99), 1), unit: 'ms', ...extra });
  } finally {
    await running.stop();
    await rm(home, { recursive: true, force: true });
  }
}
