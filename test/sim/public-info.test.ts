/**
 * The simulated node's answers to what clients ask at start-up (`metaAndAssetCtxs` with and
 * without `dex`, `spotMetaAndAssetCtxs`, `perpDexs`, `allPerpMetas`, `exchangeStatus`):
 * - in the public shapes: strict schemas written from `@nktkas/hyperliquid`'s response types
 *   (the compiler checks the schemas against those types), read also through its InfoClient;
 * - consistent with the simulator's own books and trades, recomputed here independently from
 *   the snapshot and the fills it wrote: mid, mark, impact prices, premium, funding, open
 *   interest, day volumes, the last block's time.
 */
import { HttpTransport, InfoClient } from '@nktkas/hyperliquid';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Books, type FillEvent } from '../../src/book/index.js';
import { formatScaledBig as formatBigUnits, parseScaled as parseUnits } from '../../src/book/decimal.js';
import type { CoinSpec } from '../../src/sim/market.js';
import { startSimulator, type RunningSim } from '../../src/sim/simulator.js';
import { postInfo, readBlocks, tempDir } from './helpers.js';

// ---- schemas, from the reference client's response types ----

const Dec = v.pipe(v.string(), v.regex(/^[0-9]+(\.[0-9]+)?$/));
const SignedDec = v.pipe(v.string(), v.regex(/^-?[0-9]+(\.[0-9]+)?$/));
const Hex40 = v.pipe(v.string(), v.regex(/^0x[a-fA-F0-9]{40}$/)) as v.GenericSchema<string, `0x${string}`>;
const Hex32 = v.pipe(v.string(), v.regex(/^0x[a-f0-9]{32}$/)) as v.GenericSchema<string, `0x${string}`>;

const Meta = v.strictObject({
  universe: v.array(v.strictObject({ szDecimals: v.number(), name: v.string(), maxLeverage: v.number(), marginTableId: v.number() })),
  marginTables: v.array(
    v.strictTuple([
      v.number(),
      v.strictObject({ description: v.string(), marginTiers: v.array(v.strictObject({ lowerBound: Dec, maxLeverage: v.number() })) }),
    ]),
  ),
  collateralToken: v.number(),
});
const PerpCtx = v.strictObject({
  prevDayPx: Dec,
  dayNtlVlm: Dec,
  markPx: Dec,
  midPx: v.nullable(Dec),
  funding: SignedDec,
  openInterest: Dec,
  premium: v.nullable(SignedDec),
  oraclePx: Dec,
  impactPxs: v.nullable(v.array(Dec)),
  dayBaseVlm: Dec,
});
const MetaAndAssetCtxs = v.strictTuple([Meta, v.array(PerpCtx)]);
const SpotMeta = v.strictObject({
  universe: v.array(v.strictObject({ tokens: v.array(v.number()), name: v.string(), index: v.number(), isCanonical: v.boolean() })),
  tokens: v.array(
    v.strictObject({
      name: v.string(),
      szDecimals: v.number(),
      weiDecimals: v.number(),
      index: v.number(),
      tokenId: Hex32,
      isCanonical: v.boolean(),
      evmContract: v.null(),
      fullName: v.nullable(v.string()),
      deployerTradingFeeShare: Dec,
    }),
  ),
});
const SpotCtx = v.strictObject({
  prevDayPx: Dec,
  dayNtlVlm: Dec,
  markPx: Dec,
  midPx: v.nullable(Dec),
  circulatingSupply: Dec,
  coin: v.string(),
  totalSupply: Dec,
  dayBaseVlm: Dec,
});
const SpotMetaAndAssetCtxs = v.strictTuple([SpotMeta, v.array(SpotCtx)]);
const PerpDexs = v.array(
  v.nullable(
    v.strictObject({
      name: v.string(),
      fullName: v.string(),
      deployer: Hex40,
      oracleUpdater: v.nullable(Hex40),
      feeRecipient: v.nullable(Hex40),
      assetToStreamingOiCap: v.array(v.strictTuple([v.string(), Dec])),
      subDeployers: v.array(v.strictTuple([v.string(), v.array(Hex40)])),
      deployerFeeScale: Dec,
      lastDeployerFeeScaleChangeTime: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/)),
      assetToFundingMultiplier: v.array(v.strictTuple([v.string(), Dec])),
      assetToFundingInterestRate: v.array(v.strictTuple([v.string(), SignedDec])),
    }),
  ),
);
const AllPerpMetas = v.array(Meta);
const ExchangeStatus = v.strictObject({ time: v.number(), specialStatuses: v.null() });

// The compiler checks that every answer valid for a schema is one the reference client types.
type Answer<K extends keyof InfoClient> = InfoClient[K] extends (...a: never[]) => Promise<infer R> ? R : never;
function conforms<T>(_proof: T): void {}
conforms<Answer<'metaAndAssetCtxs'>>(null as unknown as v.InferOutput<typeof MetaAndAssetCtxs>);
conforms<Answer<'spotMetaAndAssetCtxs'>>(null as unknown as v.InferOutput<typeof SpotMetaAndAssetCtxs>);
conforms<Answer<'perpDexs'>>(null as unknown as v.InferOutput<typeof PerpDexs>);
conforms<Answer<'allPerpMetas'>>(null as unknown as v.InferOutput<typeof AllPerpMetas>);
conforms<Answer<'exchangeStatus'>>(null as unknown as v.InferOutput<typeof ExchangeStatus>);

// ---- the simulator ----

let sim: RunningSim;
let dataDir: string;
async function ask(body: unknown): Promise<unknown> {
  const r = await postInfo(sim.infoUrl, body);
  expect(r.status, r.text).toBe(200);
  return JSON.parse(r.text);
}

beforeAll(async () => {
  dataDir = tempDir();
  sim = await startSimulator({ dataDir, infoPort: 0, speed: 'max', maxBlocks: 250, seed: 9, restingOrders: 8_000, startTime: '2026-06-01T10:00:00' });
  await sim.done;
}, 60_000);
afterAll(() => sim.stop());

describe('the public start-up info types', () => {
  it('answer in the shapes the reference client types, for every dex, and through its InfoClient', async () => {
    const main = v.parse(MetaAndAssetCtxs, await ask({ type: 'metaAndAssetCtxs' }));
    expect(main[0].universe.map((u) => u.name)).toEqual(sim.coins.filter((c) => c.kind === 'perp').map((c) => c.name));
    expect(main[1]).toHaveLength(main[0].universe.length);
    const dexs = v.parse(PerpDexs, await ask({ type: 'perpDexs' }));
    expect(dexs[0]).toBeNull();
    const names = dexs.slice(1).map((d) => d!.name);
    expect(names).toEqual(['xyz', 'flx']);
    for (const d of dexs.slice(1)) expect(d!.assetToStreamingOiCap.map(([c]) => c)).toEqual(sim.coins.filter((c) => c.dex === d!.name).map((c) => c.name));
    for (const dex of names) {
      const r = v.parse(MetaAndAssetCtxs, await ask({ type: 'metaAndAssetCtxs', dex }));
      expect(r[0].universe.map((u) => u.name)).toEqual(sim.coins.filter((c) => c.dex === dex).map((c) => c.name));
      expect(r[1]).toHaveLength(r[0].universe.length);
    }
    expect(await ask({ type: 'metaAndAssetCtxs', dex: '' })).toEqual(main);
    expect(await ask({ type: 'metaAndAssetCtxs', dex: 'nope' })).toBeNull();
    const spot = v.parse(SpotMetaAndAssetCtxs, await ask({ type: 'spotMetaAndAssetCtxs' }));
    expect(spot[1].map((c) => c.coin)).toEqual(spot[0].universe.map((u) => u.name));
    expect(spot[0]).toEqual(await ask({ type: 'spotMeta' }));
    const all = v.parse(AllPerpMetas, await ask({ type: 'allPerpMetas' }));
    expect(all).toEqual([main[0], ...(await Promise.all(names.map((dex) => ask({ type: 'meta', dex }))))]);
    v.parse(ExchangeStatus, await ask({ type: 'exchangeStatus' }));

    const info = new InfoClient({ transport: new HttpTransport({ apiUrl: sim.infoUrl.replace(/\/info$/, '') }) });
    expect(await info.metaAndAssetCtxs({ dex: 'xyz' })).toEqual(await ask({ type: 'metaAndAssetCtxs', dex: 'xyz' }));
    expect((await info.perpDexs()).length).toBe(3);
    expect((await info.spotMetaAndAssetCtxs())[1].length).toBe(spot[1].length);
    const bad = await postInfo(sim.infoUrl, { type: 'metaAndAssetCtxs', dex: 7 });
    expect(bad).toEqual({ status: 422, text: 'metaAndAssetCtxs: "dex" must be a string' });
  });

  it("agree with the simulator's books and trades, recomputed independently", async () => {
    const snapshot = sim.snapshot();
    const books = Books.fromSnapshot(snapshot);
    const blocks = await readBlocks(dataDir);
    const last = blocks[blocks.length - 1]!;
    expect(last.height).toBe(snapshot[0]);
    expect(await ask({ type: 'exchangeStatus' })).toEqual({ time: last.time, specialStatuses: null });

    // Per coin from the fills: last price, traded size and notional (taker side: once per trade), final positions.
    const lastPx = new Map<string, string>();
    const traded = new Map<string, { lots: bigint; ntl: bigint }>();
    const positions = new Map<string, bigint>();
    const spec = new Map(sim.coins.map((c) => [c.name, c] as const));
    for (const b of blocks) {
      for (const [user, f] of b.fills as FillEvent[]) {
        const c = spec.get(f.coin)!;
        const sz = BigInt(parseUnits(f.sz, c.szDecimals));
        const px = BigInt(parseUnits(f.px, c.pxDecimals));
        lastPx.set(f.coin, f.px);
        if (f.crossed) {
          const t = traded.get(f.coin) ?? { lots: 0n, ntl: 0n };
          traded.set(f.coin, { lots: t.lots + sz, ntl: t.ntl + px * sz });
        }
        if (c.kind !== 'spot') positions.set(`${user} ${f.coin}`, BigInt(parseUnits(f.startPosition, c.szDecimals)) + (f.side === 'B' ? sz : -sz));
      }
    }
    const openInterest = (coin: string): bigint => [...positions].filter(([k, p]) => k.endsWith(` ${coin}`) && p > 0n).reduce((a, [, p]) => a + p, 0n);

    /** Average fill price of `notional` USDC against a side, rounded against the taker; from the L4 orders one by one. */
    const impact = (c: CoinSpec, side: 0 | 1): bigint | null => {
      const orders = snapshot[1].find(([n]) => n === c.name)![1][side];
      let want = 10n ** BigInt(c.pxDecimals + c.szDecimals) * (c.name === 'BTC' || c.name === 'ETH' ? 20_000n : 6_000n);
      let ntl = 0n;
      let lots = 0n;
      for (const [, o] of orders) {
        const px = BigInt(parseUnits(o.limitPx, c.pxDecimals));
        const sz = BigInt(parseUnits(o.sz, c.szDecimals));
        const take = px * sz >= want ? (want + px - 1n) / px : sz;
        ntl += px * take;
        lots += take;
        want -= px * take;
        if (want <= 0n) return side === 0 ? ntl / lots : (ntl + lots - 1n) / lots;
      }
      return null;
    };

    const check = (c: CoinSpec, ctx: { midPx: string | null; markPx: string; dayNtlVlm: string; dayBaseVlm: string; prevDayPx: string }): void => {
      const book = books.book(c.name)!;
      expect(ctx.midPx, c.name).toBe(book.mid());
      const [bid, ask] = book.bbo();
      const known = [bid?.px, ask?.px, lastPx.get(c.name)].filter((x): x is string => x !== undefined).map((p) => parseUnits(p, c.pxDecimals));
      if (known.length === 3) expect(ctx.markPx, c.name).toBe(formatBigUnits(BigInt(known.sort((a, b) => a - b)[1]!), c.pxDecimals));
      const t = traded.get(c.name) ?? { lots: 0n, ntl: 0n };
      expect(ctx.dayBaseVlm, c.name).toBe(formatBigUnits(t.lots, c.szDecimals));
      expect(ctx.dayNtlVlm, c.name).toBe(formatBigUnits(t.ntl, c.pxDecimals + c.szDecimals));
      // Younger than a day: the price a day ago is where the market started.
      expect(ctx.prevDayPx, c.name).toBe(formatBigUnits(BigInt(c.refPx), c.pxDecimals));
    };

    let withImpact = 0;
    for (const dex of [undefined, 'xyz', 'flx']) {
      const [meta, ctxs] = v.parse(MetaAndAssetCtxs, await ask({ type: 'metaAndAssetCtxs', dex }));
      meta.universe.forEach((u, i) => {
        const c = spec.get(u.name)!;
        const ctx = ctxs[i]!;
        check(c, ctx);
        expect(u.szDecimals).toBe(c.szDecimals);
        expect(ctx.openInterest, c.name).toBe(formatBigUnits(openInterest(c.name), c.szDecimals));
        const ib = impact(c, 0);
        const ia = impact(c, 1);
        if (ib === null || ia === null) {
          expect(ctx.impactPxs).toBeNull();
          expect(ctx.premium).toBeNull();
          expect(ctx.funding).toBe('0.0000125');
          return;
        }
        withImpact++;
        expect(ctx.impactPxs, c.name).toEqual([formatBigUnits(ib, c.pxDecimals), formatBigUnits(ia, c.pxDecimals)]);
        const oracle = BigInt(parseUnits(ctx.oraclePx, c.pxDecimals));
        const diff = (ib > oracle ? ib - oracle : 0n) - (oracle > ia ? oracle - ia : 0n);
        const premium = (diff * 100_000_000n) / oracle;
        expect(ctx.premium, c.name).toBe(formatBigUnits(premium, 8));
        // Hourly: (P + clamp(0.0001 − P, ±0.0005)) / 8, exactly.
        const clamp = (x: bigint): bigint => (x > 50_000n ? 50_000n : x < -50_000n ? -50_000n : x);
        expect(ctx.funding, c.name).toBe(formatBigUnits((premium + clamp(10_000n - premium)) * 125n, 11));
        // The oracle is where the market makers quote: inside the book's reach.
        expect(Number(ctx.oraclePx)).toBeGreaterThan(Number(ctx.impactPxs![0]) * 0.9);
        expect(Number(ctx.oraclePx)).toBeLessThan(Number(ctx.impactPxs![1]) * 1.1);
      });
    }
    expect(withImpact).toBeGreaterThan(20);
    expect([...traded.values()].filter((t) => t.lots > 0n).length).toBeGreaterThan(10);

    const [meta, ctxs] = v.parse(SpotMetaAndAssetCtxs, await ask({ type: 'spotMetaAndAssetCtxs' }));
    let traded_ = 0;
    meta.universe.forEach((u, i) => {
      const c = spec.get(u.name);
      if (c === undefined) {
        expect(ctxs[i]).toMatchObject({ coin: u.name, midPx: null, dayNtlVlm: '0.0' });
        return;
      }
      traded_++;
      check(c, ctxs[i]!);
    });
    expect(traded_).toBe(sim.coins.filter((c) => c.kind === 'spot').length);
  });
});
