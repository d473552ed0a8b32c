/**
 * The acceptance of issue 14's trading loop, as a user runs it: `npm start` with no node
 * (the server with its embedded simulated node and paper exchange), a third-party SDK
 * (@nktkas/hyperliquid `ExchangeClient` over `HttpTransport` at our URL) with a fresh key:
 * an ALO bid rests and shows in `openOrders`, in `l4Book` under its address and as `open`
 * on `orderUpdates`; it is canceled (`canceled`); an IOC buy that crosses fills and shows on
 * `userFills` and as a position in `clearinghouseState`. Data and orders, one URL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExchangeClient, HttpTransport, InfoClient } from '@nktkas/hyperliquid';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUnits, parsePrice } from '../../../src/book/decimal.js';
import { runServe, type RunningServe } from '../../../src/cli/serve.js';
import { resolveServeConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { privateKeyWallet, randomPrivateKey } from '../../../src/sign/index.js';
import { TestClient, type Frame } from '../helpers/client.js';
import { OpenOrder, OrderUpdates, WsUserFills } from './public-shapes.js';

/** One tick of ETH on the simulated node (one decimal), in units of 1e-8. */
const TICK = 10_000_000;

/** The first frame (received so far or later) matching `pred`, whatever arrived in between. */
async function frame(pred: (f: Frame) => boolean, timeoutMs = 20_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = ws.frames.find(pred);
    if (hit !== undefined) return hit;
    await ws.next(() => true, Math.max(1, deadline - Date.now()));
  }
}

let home: string;
let running: RunningServe;
let ws: TestClient;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'hlob-trading-home-'));
  running = await runServe({ ...resolveServeConfig({}, {}), port: 0, logLevel: 'silent' }, createLogger({ level: 'silent' }), home);
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (running.feed.status().state !== 'ready') return;
      running.feed.off('state', check);
      resolve();
    };
    running.feed.on('state', check);
    check();
  });
  ws = await TestClient.open(running.server.url);
}, 60_000);
afterAll(async () => {
  ws?.close();
  await running?.stop();
  await rm(home, { recursive: true, force: true });
});

describe('npm start: trading through our URL with a third-party SDK', () => {
  it('ALO bid rests (openOrders, l4Book, orderUpdates open), cancel (canceled), IOC fills (userFills, clearinghouseState)', async () => {
    expect(running.server.health().source).toBe('simulated');
    const transport = new HttpTransport({ apiUrl: running.server.httpUrl, timeout: 20_000 });
    const info = new InfoClient({ transport });
    const key = randomPrivateKey();
    const wallet = privateKeyWallet(key);
    const user = wallet.address.toLowerCase() as `0x${string}`;
    const exchange = new ExchangeClient({ transport, wallet });

    const meta = await info.meta();
    const ETH = meta.universe.findIndex((a) => a.name === 'ETH');
    expect(ETH).toBeGreaterThanOrEqual(0);
    // Looking at the account opens it on the paper exchange (forwarded to the node's info server).
    expect((await info.clearinghouseState({ user })).assetPositions).toEqual([]);

    for (const sub of [
      { type: 'orderUpdates', user },
      { type: 'userFills', user },
    ]) {
      await ws.request({ method: 'subscribe', subscription: sub }, (f) => f.channel === 'subscriptionResponse');
    }
    const snapshot = v.parse(WsUserFills, (await frame((f) => f.channel === 'userFills')).data);
    expect(snapshot).toEqual({ isSnapshot: true, user, fills: [] });

    // ALO bid 100 ticks under the best bid (our book).
    const book = await info.l2Book({ coin: 'ETH' });
    const bid = parsePrice(book!.levels[0][0]!.px);
    const ask = parsePrice(book!.levels[1][0]!.px);
    const aloPx = formatUnits(bid - 100 * TICK);
    const placed = await exchange.order({ orders: [{ a: ETH, b: true, p: aloPx, s: '0.01', r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' });
    const oid = (placed.response.data.statuses[0] as { resting: { oid: number } }).resting.oid;

    // Seen at once through our URL: openOrders (from our L4 books), l4Book under its address, orderUpdates `open`.
    const open = v.parse(v.array(OpenOrder), await info.openOrders({ user }));
    expect(open).toEqual([{ coin: 'ETH', side: 'B', limitPx: aloPx, sz: '0.01', oid, timestamp: expect.any(Number) as number, origSz: '0.01' }]);
    const l4 = (await (
      await fetch(`${running.server.httpUrl}/info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'l4Book', coin: 'ETH' }),
      })
    ).json()) as { levels: [{ oid: number; user: string; limitPx: string; sz: string }[], unknown[]] };
    expect(l4.levels[0].find((o) => o.oid === oid)).toMatchObject({ user, limitPx: aloPx, sz: '0.01' });
    const opened = v.parse(
      OrderUpdates,
      (await frame((f) => f.channel === 'orderUpdates' && JSON.stringify(f.data).includes(`"oid":${oid},`) && JSON.stringify(f.data).includes('"open"'))).data,
    );
    expect(opened).toEqual([
      {
        order: { coin: 'ETH', side: 'B', limitPx: aloPx, sz: '0.01', oid, timestamp: expect.any(Number) as number, origSz: '0.01' },
        status: 'open',
        statusTimestamp: expect.any(Number) as number,
      },
    ]);

    // Cancel: `canceled` on orderUpdates, nothing open.
    const canceled = await exchange.cancel({ cancels: [{ a: ETH, o: oid }] });
    expect(canceled.response.data.statuses).toEqual(['success']);
    const gone = v.parse(OrderUpdates, (await frame((f) => f.channel === 'orderUpdates' && JSON.stringify(f.data).includes('"canceled"'))).data);
    expect(gone.map((o) => [o.order.oid, o.status])).toEqual([[oid, 'canceled']]);
    expect(await info.openOrders({ user })).toEqual([]);
    expect(await info.orderStatus({ user, oid })).toMatchObject({ status: 'order', order: { status: 'canceled', order: { oid } } });

    // IOC buy 50 ticks over the best ask: fills at the makers' prices.
    const iocPx = formatUnits(ask + 50 * TICK);
    const ioc = await exchange.order({ orders: [{ a: ETH, b: true, p: iocPx, s: '0.02', r: false, t: { limit: { tif: 'Ioc' } } }], grouping: 'na' });
    const filled = (ioc.response.data.statuses[0] as { filled: { totalSz: string; oid: number } }).filled;
    expect(filled.totalSz).toBe('0.02');
    const fillsFrame = v.parse(WsUserFills, (await frame((f) => f.channel === 'userFills' && (f.data as { isSnapshot?: boolean }).isSnapshot !== true)).data);
    expect(fillsFrame.isSnapshot).toBeUndefined();
    expect(fillsFrame.user).toBe(user);
    expect(fillsFrame.fills.length).toBeGreaterThan(0);
    for (const f of fillsFrame.fills) expect(f).toMatchObject({ coin: 'ETH', side: 'B', crossed: true, oid: filled.oid });
    const updates = v.parse(
      OrderUpdates,
      (
        await frame(
          (f) => f.channel === 'orderUpdates' && JSON.stringify(f.data).includes(`"oid":${filled.oid},`) && JSON.stringify(f.data).includes('"filled"'),
        )
      ).data,
    );
    expect(updates.map((o) => o.status)).toContain('filled');
    // Answered by our state: the same fills.
    expect((await info.userFills({ user })).map((f) => f.tid).sort()).toEqual(fillsFrame.fills.map((f) => f.tid).sort());
    const state = await info.clearinghouseState({ user });
    expect(state.assetPositions.map((p) => [p.position.coin, p.position.szi])).toEqual([['ETH', '0.02']]);
  }, 120_000);
});
