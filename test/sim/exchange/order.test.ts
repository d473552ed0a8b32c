/**
 * The paper exchange recovers signatures on worker threads, yet applies requests in arrival
 * order: a block takes only the recovered prefix of the queue. Orders sent in one burst rest
 * with oids in the order they were sent, a bad signature among them is refused on its own, and
 * the answers are the ones the exchange gives with no workers at all.
 */
import { describe, expect, it } from 'vitest';
import { addressFromPrivateKey, signL1Action, type Hex } from '../../../src/sign/index.js';
import { PaperExchange, type ExchangeReply } from '../../../src/sim/exchange/paper-exchange.js';
import { buildMarket } from '../../../src/sim/market.js';
import { PROFILES, blockPlan } from '../../../src/sim/profiles.js';
import { SimMarket } from '../../../src/sim/sim-market.js';

const START_MS = 1_800_000_000_000;
const KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

/** Sends `count` ALO bids from KEY in one burst (the 3rd with a damaged signature) and drives blocks until all are answered. */
async function burst(recoveryWorkers: number, count: number): Promise<{ replies: ExchangeReply[]; blocks: number }> {
  const sim = new SimMarket({
    seed: 3,
    coins: buildMarket(9, 3),
    restingOrders: 500,
    plan: blockPlan(PROFILES.quiet, 14.6),
    startHeight: 100,
    startMs: START_MS,
  });
  const ex = new PaperExchange(sim, { recoveryWorkers });
  ex.info({ type: 'clearinghouseState', user: addressFromPrivateKey(KEY) });
  const coin = sim.coins.find((c) => c.kind === 'perp')!; // asset 0
  // The lowest valid price: every bid rests far below the market.
  const px = String(Number((coin.minPx / 10 ** coin.pxDecimals).toFixed(coin.pxDecimals)));
  const sz = String(Number((Math.ceil((20 / Number(px)) * 10 ** coin.szDecimals) / 10 ** coin.szDecimals).toFixed(coin.szDecimals)));
  const replies: (ExchangeReply | undefined)[] = Array(count).fill(undefined);
  for (let i = 0; i < count; i++) {
    const action = { type: 'order', orders: [{ a: 0, b: true, p: px, s: sz, r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' };
    // Nonces descend: any order is valid under 100 of them, so only arrival decides the oids.
    const nonce = START_MS + count - i;
    const signature = signL1Action({ privateKey: KEY, action, nonce, isMainnet: true });
    if (i === 2) signature.r = `0x${'f'.repeat(64)}`; // above the curve order
    void ex.submit(JSON.stringify({ action, nonce, signature })).then((r) => (replies[i] = r));
  }
  let blocks = 0;
  while (replies.includes(undefined)) {
    if (++blocks > 10_000) throw new Error('answers never came');
    // A turn of the event loop: the workers' answers arrive between blocks, as in the simulator.
    await new Promise<void>((r) => setImmediate(r));
    const ms = START_MS + 68 * blocks;
    const block = sim.nextBlock(new Date(ms).toISOString().replace('Z', '000000'), ms);
    ex.blockWritten(block.height);
  }
  ex.stop();
  return { replies: replies as ExchangeReply[], blocks };
}

describe('paper exchange ordering with recovery on worker threads', () => {
  it('rests a burst of orders with oids in arrival order and refuses only the bad signature', async () => {
    const { replies } = await burst(2, 40);
    expect(replies[2]).toEqual({ status: 200, body: { status: 'err', response: 'Invalid signature: signature r is out of range' } });
    const oids = replies.flatMap((r, i) => {
      if (i === 2) return [];
      const status = (r.body as { response: { data: { statuses: { resting?: { oid: number } }[] } } }).response.data.statuses[0]!;
      expect(status).toEqual({ resting: { oid: expect.any(Number) } });
      return [status.resting!.oid];
    });
    expect(oids).toHaveLength(39);
    expect(oids).toEqual([...oids].sort((a, b) => a - b));
  }, 120_000);

  it('answers as with no workers (oids compared by rank: the market takes oids in the blocks between)', async () => {
    const ranked = (replies: ExchangeReply[]): string => {
      const text = JSON.stringify(replies);
      const oids = [...text.matchAll(/"oid":(\d+)/g)].map((m) => Number(m[1]));
      const rank = new Map([...oids].sort((a, b) => a - b).map((o, i) => [o, i]));
      return text.replace(/"oid":(\d+)/g, (_, o: string) => `"oid":"#${rank.get(Number(o))}"`);
    };
    const pooled = await burst(1, 12);
    const here = await burst(0, 12);
    expect(ranked(pooled.replies)).toBe(ranked(here.replies));
    expect(ranked(here.replies)).toContain('"oid":"#10"');
  }, 120_000);
});
