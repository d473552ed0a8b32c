/**
 * The paper exchange names the key that signed a connection's last action as the candidate for
 * its next one: a client with one key per connection is confirmed on the fast path after its
 * first action, many signers on one connection fall back to full recoveries (and stop being
 * hinted after two misses in a row), a testnet signer is hinted for its own source; the answers
 * are the same as an exchange given no connection at all.
 */
import { describe, expect, it } from 'vitest';
import { addressFromPrivateKey, signL1Action, type Hex } from '../../../src/sign/index.js';
import { PaperExchange, type ExchangeReply } from '../../../src/sim/exchange/paper-exchange.js';
import { buildMarket } from '../../../src/sim/market.js';
import { PROFILES, blockPlan } from '../../../src/sim/profiles.js';
import { SimMarket } from '../../../src/sim/sim-market.js';

const START_MS = 1_800_000_000_000;
const A: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const B: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';

interface Step {
  key: Hex;
  /** Which connection posts it (an object, as a socket is); undefined: no connection given. */
  conn: number;
  isMainnet?: boolean;
}

/** Posts each step after the previous one is answered (as over keep-alive HTTP/1.1), driving blocks. */
async function run(steps: Step[], withConnections: boolean): Promise<{ replies: ExchangeReply[]; stats: ReturnType<PaperExchange['stats']> }> {
  const sim = new SimMarket({
    seed: 5,
    coins: buildMarket(9, 3),
    restingOrders: 500,
    plan: blockPlan(PROFILES.quiet, 14.6),
    startHeight: 100,
    startMs: START_MS,
  });
  const ex = new PaperExchange(sim, { recoveryWorkers: 1 });
  for (const k of [A, B]) ex.info({ type: 'clearinghouseState', user: addressFromPrivateKey(k) });
  const coin = sim.coins.find((c) => c.kind === 'perp')!;
  const px = String(Number((coin.minPx / 10 ** coin.pxDecimals).toFixed(coin.pxDecimals)));
  const sz = String(Number((Math.ceil((20 / Number(px)) * 10 ** coin.szDecimals) / 10 ** coin.szDecimals).toFixed(coin.szDecimals)));
  const conns = [{}, {}, {}];
  const replies: ExchangeReply[] = [];
  let blocks = 0;
  for (const [i, step] of steps.entries()) {
    const action = { type: 'order', orders: [{ a: 0, b: true, p: px, s: sz, r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' };
    const nonce = START_MS + i;
    const signature = signL1Action({ privateKey: step.key, action, nonce, isMainnet: step.isMainnet ?? true });
    let reply: ExchangeReply | undefined;
    void ex.submit(JSON.stringify({ action, nonce, signature }), withConnections ? conns[step.conn] : undefined).then((r) => (reply = r));
    while (reply === undefined) {
      if (++blocks > 100_000) throw new Error('answers never came');
      await new Promise<void>((r) => setImmediate(r));
      const ms = START_MS + 68 * blocks;
      ex.blockWritten(sim.nextBlock(new Date(ms).toISOString().replace('Z', '000000'), ms).height);
    }
    replies.push(reply);
  }
  const stats = ex.stats();
  ex.stop();
  return { replies, stats };
}

/** The answers with oids replaced by their rank (the market takes oids in the blocks between). */
function ranked(replies: ExchangeReply[]): string {
  const text = JSON.stringify(replies);
  const oids = [...text.matchAll(/"oid":(\d+)/g)].map((m) => Number(m[1]));
  const rank = new Map([...oids].sort((a, b) => a - b).map((o, i) => [o, i]));
  return text.replace(/"oid":(\d+)/g, (_, o: string) => `"oid":"#${rank.get(Number(o))}"`);
}

async function expectSameAnswers(steps: Step[]): Promise<ReturnType<PaperExchange['stats']>> {
  const hinted = await run(steps, true);
  const plain = await run(steps, false);
  expect(ranked(hinted.replies)).toBe(ranked(plain.replies));
  for (const r of hinted.replies) expect(JSON.stringify(r)).toContain('"resting"');
  // Without connections nothing is ever hinted.
  expect(plain.stats.recoveries.candidate).toBe(0);
  return hinted.stats;
}

describe('signer hints per connection', () => {
  it('one key per connection: every action after a connection first is confirmed on the fast path', async () => {
    const steps: Step[] = Array.from({ length: 12 }, (_, i) => ({ key: i % 2 ? B : A, conn: i % 2 }));
    const stats = await expectSameAnswers(steps);
    expect(stats.recoveries).toMatchObject({ candidate: 10, full: 2 });
  }, 120_000);

  it('two keys alternating on one connection: two misses, then full recoveries only, until one key signs twice in a row', async () => {
    const alternating: Step[] = Array.from({ length: 8 }, (_, i) => ({ key: i % 2 ? B : A, conn: 0 }));
    const steps: Step[] = [...alternating, { key: A, conn: 0 }, { key: A, conn: 0 }, { key: A, conn: 0 }];
    const stats = await expectSameAnswers(steps);
    // 8 alternating: full (no hint yet), then 2 named and missed, then 5 not named; A after A
    // (the 9th after the 8th's B: full; the 10th: the same key twice, full, hints again; the 11th hits).
    expect(stats.recoveries).toMatchObject({ candidate: 1, full: 10 });
  }, 120_000);

  it('a testnet signer is hinted for its own source (the mainnet digest still recovered in full, as the exchange tries it first)', async () => {
    const steps: Step[] = Array.from({ length: 5 }, () => ({ key: A, conn: 2, isMainnet: false }));
    const stats = await expectSameAnswers(steps);
    // Each action: the mainnet digest in full (names nobody), then the testnet one: full the first time, then the candidate.
    expect(stats.recoveries).toMatchObject({ candidate: 4, full: 6 });
  }, 120_000);
});
