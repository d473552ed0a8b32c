/**
 * The paper exchange end to end, driven by a third-party SDK (@nktkas/hyperliquid's
 * ExchangeClient over HttpTransport, a fresh key): an ALO bid rests and is in the node's files
 * and in openOrders, a cancel removes it, an IOC that crosses fills and leaves a position;
 * a wrong signature, a reused nonce, an off-tick price and too small an order are refused with
 * the public texts and change nothing; an API wallet approved by the master trades for it.
 */
import { ApiRequestError, ExchangeClient, HttpTransport, InfoClient } from '@nktkas/hyperliquid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressFromPrivateKey, privateKeyWallet, randomPrivateKey, signL1Action } from '../../../src/sign/index.js';
import { startSimulator, type RunningSim } from '../../../src/sim/simulator.js';
import { checkNodeData } from '../../../src/sim/check-data.js';
import { envelopes, tempDir } from '../helpers.js';

const ETH = 1; // perps of the main dex in meta order: BTC 0, ETH 1
const TICK = 10; // ETH prices have one decimal: ticks of 0.1

interface StatusEvent {
  user: string;
  status: string;
  order: { oid: number; coin: string; limitPx: string; sz: string };
}
interface DiffEvent {
  user: string;
  oid: number;
  raw_book_diff: unknown;
}

describe('the paper exchange of the simulated node', () => {
  let sim: RunningSim;
  let transport: HttpTransport;
  let info: InfoClient;
  let key: `0x${string}`;
  let user: `0x${string}`;
  let client: ExchangeClient;

  beforeAll(async () => {
    sim = await startSimulator({ dataDir: tempDir(), infoPort: 0, profile: 'quiet', blocksPerSecond: 40, restingOrders: 3000 });
    transport = new HttpTransport({ apiUrl: sim.infoUrl.replace(/\/info$/, ''), timeout: 20_000 });
    info = new InfoClient({ transport });
    key = randomPrivateKey();
    user = addressFromPrivateKey(key);
    client = new ExchangeClient({ transport, wallet: privateKeyWallet(key) });
    // A client looks at its account first: that opens it with the starting balances.
    const state = await info.clearinghouseState({ user });
    expect(state.marginSummary.accountValue).toBe('100000.0');
    expect(state.assetPositions).toEqual([]);
  });
  afterAll(() => sim.stop());

  /** Best bid and ask of ETH now, in ticks. */
  function touch(): { bid: number; ask: number } {
    const [, coins] = sim.snapshot();
    const [, [bids, asks]] = coins.find(([name]) => name === 'ETH')!;
    return { bid: Math.round(Number(bids[0]![1].limitPx) * TICK), ask: Math.round(Number(asks[0]![1].limitPx) * TICK) };
  }
  const px = (ticks: number): string => (ticks / TICK).toFixed(1);

  async function eventsFor(oid: number): Promise<{ statuses: [number, StatusEvent][]; diffs: [number, DiffEvent][] }> {
    const s = await envelopes(sim.dataDir, 'node_order_statuses');
    const d = await envelopes(sim.dataDir, 'node_raw_book_diffs');
    return {
      statuses: s.flatMap((e) => (e.events as StatusEvent[]).filter((x) => x.order.oid === oid).map((x) => [e.block_number, x] as [number, StatusEvent])),
      diffs: d.flatMap((e) => (e.events as DiffEvent[]).filter((x) => x.oid === oid).map((x) => [e.block_number, x] as [number, DiffEvent])),
    };
  }

  /** The account as the info server shows it, without what moves with the mark price. */
  async function account(): Promise<unknown> {
    const state = await info.clearinghouseState({ user });
    return {
      // Cash less the entry cost of the positions: unchanged unless the account trades.
      rawUsd: state.marginSummary.totalRawUsd,
      positions: state.assetPositions.map(({ position: p }) => [p.coin, p.szi, p.entryPx, p.leverage]),
      open: await info.openOrders({ user }),
      fills: await info.userFills({ user }),
      spot: await info.spotClearinghouseState({ user }),
    };
  }

  it('an ALO bid rests, is written under the signer in the block of the action, and shows in openOrders', async () => {
    const { bid } = touch();
    const res = await client.order({ orders: [{ a: ETH, b: true, p: px(bid - 100), s: '0.01', r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' });
    const status = res.response.data.statuses[0]!;
    expect(status).toHaveProperty('resting');
    const oid = (status as { resting: { oid: number } }).resting.oid;
    // Answered after its block is written: the files already hold it.
    const { statuses, diffs } = await eventsFor(oid);
    expect(statuses.map(([, e]) => [e.user, e.status, e.order.limitPx, e.order.sz])).toEqual([[user, 'open', px(bid - 100), '0.01']]);
    expect(diffs.map(([, e]) => [e.user, e.raw_book_diff])).toEqual([[user, { new: { sz: '0.01' } }]]);
    expect(diffs[0]![0]).toBe(statuses[0]![0]);
    const open = await info.openOrders({ user });
    expect(open).toEqual([expect.objectContaining({ coin: 'ETH', side: 'B', limitPx: px(bid - 100), sz: '0.01', oid })]);
    const snapOrder = sim
      .snapshot()[1]
      .find(([c]) => c === 'ETH')![1][0]
      .find(([, o]) => o.oid === oid);
    expect(snapOrder?.[0]).toBe(user);

    // Cancel: `success`, a `canceled` status and a `remove` diff, nothing open.
    const cancel = await client.cancel({ cancels: [{ a: ETH, o: oid }] });
    expect(cancel.response.data.statuses).toEqual(['success']);
    const after = await eventsFor(oid);
    expect(after.statuses.map(([, e]) => e.status)).toEqual(['open', 'canceled']);
    expect(after.diffs.map(([, e]) => e.raw_book_diff)).toEqual([{ new: { sz: '0.01' } }, 'remove']);
    expect(await info.openOrders({ user })).toEqual([]);
    const st = await info.orderStatus({ user, oid });
    expect(st).toMatchObject({ status: 'order', order: { status: 'canceled' } });
    // Cancelling it again is the public error.
    await expect(client.cancel({ cancels: [{ a: ETH, o: oid }] })).rejects.toThrow('Order was never placed, already canceled, or filled. asset=1');
  });

  it("an IOC buy that crosses fills at the makers' prices and leaves a long position", async () => {
    const { ask } = touch();
    const res = await client.order({ orders: [{ a: ETH, b: true, p: px(ask + 50), s: '0.02', r: false, t: { limit: { tif: 'Ioc' } } }], grouping: 'na' });
    const filled = (res.response.data.statuses[0] as { filled: { totalSz: string; avgPx: string; oid: number } }).filled;
    expect(filled.totalSz).toBe('0.02');
    const fills = await info.userFills({ user });
    expect(fills.length).toBeGreaterThan(0);
    for (const f of fills) {
      expect(f).toMatchObject({ coin: 'ETH', side: 'B', crossed: true, dir: 'Open Long', oid: filled.oid, feeToken: 'USDC' });
      expect(Number(f.px)).toBeLessThanOrEqual((ask + 50) / TICK);
    }
    const state = await info.clearinghouseState({ user });
    expect(state.assetPositions).toHaveLength(1);
    expect(state.assetPositions[0]!.position).toMatchObject({ coin: 'ETH', szi: '0.02', leverage: { type: 'cross', value: 10 } });
    // The taker fee (0.045 %) came off the cash.
    expect(Number(state.marginSummary.accountValue)).toBeLessThan(100000);
    const { statuses } = await eventsFor(filled.oid);
    expect(statuses.map(([, e]) => e.status)).toEqual(['open', 'filled']);
  });

  it('refuses a wrong signature, a reused nonce, an off-tick price and too small an order with the public texts, changing nothing', async () => {
    const before = await account();
    const url = sim.infoUrl.replace(/\/info$/, '/exchange');
    const post = async (body: unknown): Promise<unknown> =>
      (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
    const { bid } = touch();
    const order = (p: string, s = '0.01') => ({ type: 'order', orders: [{ a: ETH, b: true, p, s, r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' });

    // Wrong signature: signed over another price, so it recovers to an unknown address.
    const nonce = Date.now();
    const signature = signL1Action({ privateKey: key, action: order(px(bid - 200)), nonce, isMainnet: true });
    const wrong = (await post({ action: order(px(bid - 201)), nonce, signature })) as { status: string; response: string };
    expect(wrong.status).toBe('err');
    expect(wrong.response).toMatch(/^User or API Wallet 0x[0-9a-f]{40} does not exist\.$/);
    expect(wrong.response).not.toContain(user);

    // Reused nonce: the first use goes through (a noop), the second is refused.
    const n2 = nonce + 1;
    const noop = { type: 'noop' };
    expect(await post({ action: noop, nonce: n2, signature: signL1Action({ privateKey: key, action: noop, nonce: n2, isMainnet: true }) })).toEqual({
      status: 'ok',
      response: { type: 'default' },
    });
    const again = order(px(bid - 200));
    expect(await post({ action: again, nonce: n2, signature: signL1Action({ privateKey: key, action: again, nonce: n2, isMainnet: true }) })).toEqual({
      status: 'err',
      response: `Invalid nonce: duplicate nonce ${n2}`,
    });

    // Off-tick (6 significant figures) and too small ($2.99): the SDK reports the public texts.
    const offTick = client.order({ orders: [{ a: ETH, b: true, p: `${px(bid - 200)}5`, s: '0.01', r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' });
    await expect(offTick).rejects.toThrow(ApiRequestError);
    await expect(offTick).rejects.toThrow('Order 0: Price must be divisible by tick size. asset=1');
    await expect(
      client.order({ orders: [{ a: ETH, b: true, p: px(bid - 200), s: '0.001', r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' }),
    ).rejects.toThrow('Order 0: Order must have minimum value of $10. asset=1');
    expect(await account()).toEqual(before);

    // The simulator keeps producing.
    const h = sim.height();
    await new Promise<void>((resolve) => sim.once('block', () => resolve()));
    expect(sim.height()).toBeGreaterThan(h);
  });

  it('an ALO that would cross is refused with the bbo; reduce-only that would increase is refused', async () => {
    const { ask } = touch();
    await expect(
      client.order({ orders: [{ a: ETH, b: true, p: px(ask + 20), s: '0.01', r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' }),
    ).rejects.toThrow(/Order 0: Post only order would have immediately matched, bbo was \d+(\.\d)?@\d+(\.\d)?\. asset=1/);
    // Long 0.02 ETH: a reduce-only buy would increase it.
    await expect(
      client.order({ orders: [{ a: ETH, b: true, p: px(ask + 20), s: '0.01', r: true, t: { limit: { tif: 'Ioc' } } }], grouping: 'na' }),
    ).rejects.toThrow('Order 0: Reduce only order would increase position. asset=1');
  });

  it('an agent approved by the master trades for the master', async () => {
    const agentKey = randomPrivateKey();
    await client.approveAgent({ agentAddress: addressFromPrivateKey(agentKey), agentName: 'bot' });
    const agent = new ExchangeClient({ transport, wallet: privateKeyWallet(agentKey) });
    const { bid } = touch();
    const res = await agent.order({
      orders: [{ a: ETH, b: true, p: px(bid - 150), s: '0.01', r: false, t: { limit: { tif: 'Gtc' } }, c: '0x1234567890abcdef1234567890abcdef' }],
      grouping: 'na',
    });
    const resting = (res.response.data.statuses[0] as { resting: { oid: number; cloid?: string } }).resting;
    expect(resting.cloid).toBe('0x1234567890abcdef1234567890abcdef');
    expect((await info.openOrders({ user })).map((o) => o.oid)).toContain(resting.oid);
    expect(await info.orderStatus({ user, oid: '0x1234567890abcdef1234567890abcdef' })).toMatchObject({ status: 'order', order: { status: 'open' } });
    const cancel = await agent.cancelByCloid({ cancels: [{ asset: ETH, cloid: '0x1234567890abcdef1234567890abcdef' }] });
    expect(cancel.response.data.statuses).toEqual(['success']);
  });

  it('answers hostile bodies (huge, deep, wrong types, not JSON, wrong method) with a 4xx and changes nothing', async () => {
    const before = await account();
    const url = sim.infoUrl.replace(/\/info$/, '/exchange');
    const send = async (body: string, method = 'POST'): Promise<[number, { status: string; response: string }]> => {
      const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body } : {}) });
      return [res.status, (await res.json()) as { status: string; response: string }];
    };
    const nonce = Date.now();
    const good = { type: 'order', orders: [{ a: ETH, b: true, p: '1000.0', s: '0.1', r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' };
    const signature = signL1Action({ privateKey: key, action: good, nonce, isMainnet: true });
    const cases: [string, number, RegExp][] = [
      ['x'.repeat(2 << 20), 413, /over 1048576 bytes/],
      ['['.repeat(100_000) + ']'.repeat(100_000), 422, /nests deeper than 16 levels/],
      ['{"action":', 422, /not JSON/],
      ['[]', 422, /deserialize/],
      [JSON.stringify({ action: good, nonce: 'soon', signature }), 422, /nonce/],
      [JSON.stringify({ action: good, nonce, signature: { ...signature, v: 30 } }), 422, /signature\.v/],
      [JSON.stringify({ action: { ...good, orders: [{ ...good.orders[0], p: 1000 }] }, nonce, signature }), 422, /action: orders\.0\.p/],
      [JSON.stringify({ action: { ...good, orders: [{ ...good.orders[0], a: -1 }] }, nonce, signature }), 422, /orders\.0\.a/],
      [JSON.stringify({ action: { type: 'withdrawEverything' }, nonce, signature }), 422, /action: type/],
      [JSON.stringify({ action: { ...good, orders: Array(1001).fill(good.orders[0]) }, nonce, signature }), 422, /orders/],
    ];
    for (const [body, status, message] of cases) {
      const [code, answer] = await send(body);
      expect([code, answer.status]).toEqual([status, 'err']);
      expect(answer.response).toMatch(message);
    }
    expect((await send('', 'GET'))[0]).toBe(405);
    expect(await account()).toEqual(before);
  });

  it('a resting order is hit by the simulated flow: a maker fill at its price, a position, status filled', async () => {
    // Quote both sides of BTC at the touch; re-quote every 40 blocks until one is filled whole.
    const quote = async (): Promise<number[]> => {
      const [, coins] = sim.snapshot();
      const [, [bids, asks]] = coins.find(([name]) => name === 'BTC')!;
      const res = await client
        .order({
          orders: [
            { a: 0, b: true, p: String(Number(bids[0]![1].limitPx)), s: '0.0002', r: false, t: { limit: { tif: 'Alo' } } },
            { a: 0, b: false, p: String(Number(asks[0]![1].limitPx)), s: '0.0002', r: false, t: { limit: { tif: 'Alo' } } },
          ],
          grouping: 'na',
        })
        .catch((e: unknown) => (e as ApiRequestError).response as Awaited<ReturnType<typeof client.order>>);
      return res.response.data.statuses.flatMap((st) => (typeof st === 'object' && 'resting' in st ? [st.resting.oid] : []));
    };
    let filledOid: number | undefined;
    for (let attempt = 0; attempt < 20 && filledOid === undefined; attempt++) {
      const oids = await quote();
      for (let blocks = 0; blocks < 40 && filledOid === undefined; blocks++) {
        await new Promise<void>((resolve) => sim.once('block', () => resolve()));
        const fills = await info.userFills({ user });
        filledOid = oids.find((oid) => fills.filter((f) => f.oid === oid).reduce((n, f) => n + Number(f.sz), 0) >= 0.0002 - 1e-12);
      }
      const open = (await info.openOrders({ user })).filter((o) => o.coin === 'BTC');
      if (open.length > 0) await client.cancel({ cancels: open.map((o) => ({ a: 0, o: o.oid })) });
    }
    expect(filledOid).toBeDefined();
    const fills = (await info.userFills({ user })).filter((f) => f.oid === filledOid);
    const side = fills[0]!.side;
    for (const f of fills) expect(f).toMatchObject({ coin: 'BTC', side, crossed: false, dir: side === 'B' ? 'Open Long' : 'Open Short' });
    expect(await info.orderStatus({ user, oid: filledOid! })).toMatchObject({ status: 'order', order: { status: 'filled' } });
    const state = await info.clearinghouseState({ user });
    expect(state.assetPositions.map((p) => [p.position.coin, p.position.szi])).toContainEqual(['BTC', side === 'B' ? '0.0002' : '-0.0002']);
  }, 120_000);

  it("the SDK's keep-alive connection names its key: the next actions are confirmed on the signer fast path", async () => {
    const before = sim.stats().exchange!.recoveries;
    for (let i = 0; i < 5; i++) await expect(client.noop()).resolves.toEqual({ status: 'ok', response: { type: 'default' } });
    const after = sim.stats().exchange!.recoveries;
    // The first may follow another key on this connection (the agent's); the rest are the same key's.
    expect(after.candidate - before.candidate).toBeGreaterThanOrEqual(4);
    expect(after.candidate - before.candidate + after.full - before.full).toBe(5);
  });

  it('leaves node files that check-data finds consistent, paper orders and fills included (last: it stops the node)', async () => {
    // Checked once production stopped: while it runs, the streams' last lines are written one after the other.
    await sim.stop();
    const result = await checkNodeData(sim.dataDir, { maxViolations: 5 });
    expect(result.violations).toEqual([]);
    expect(result.lastHeight).toBe(sim.height());
    const statuses = await envelopes(sim.dataDir, 'node_order_statuses');
    expect(statuses.some((e) => (e.events as StatusEvent[]).some((x) => x.user === user))).toBe(true);
  }, 60_000);
});
