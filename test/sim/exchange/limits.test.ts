/**
 * The paper exchange's bounds, in process: accounts open when named, up to their maximum;
 * addresses of the generated flow never become accounts; other info types are not its own.
 */
import { describe, expect, it } from 'vitest';
import { PaperExchange } from '../../../src/sim/exchange/paper-exchange.js';
import { buildMarket } from '../../../src/sim/market.js';
import { PROFILES, blockPlan } from '../../../src/sim/profiles.js';
import { SimMarket } from '../../../src/sim/sim-market.js';

function exchange(maxAccounts: number): { ex: PaperExchange; sim: SimMarket } {
  const sim = new SimMarket({
    seed: 3,
    coins: buildMarket(9, 3),
    restingOrders: 500,
    plan: blockPlan(PROFILES.quiet, 14.6),
    startHeight: 100,
    startMs: 1_800_000_000_000,
  });
  return { ex: new PaperExchange(sim, { maxAccounts }), sim };
}

describe('paper exchange limits', () => {
  it('opens an account per named address up to the maximum, then says why not', () => {
    const { ex } = exchange(2);
    const ask = (n: number): unknown => ex.info({ type: 'clearinghouseState', user: `0x${String(n).padStart(40, '0')}` });
    expect(ask(1)).toMatchObject({ marginSummary: { accountValue: '100000.0' } });
    expect(ask(2)).toMatchObject({ withdrawable: '100000.0' });
    expect(ask(1)).toMatchObject({ assetPositions: [] });
    expect(ask(3)).toEqual({ error: expect.stringMatching(/holds 2 paper accounts, its maximum/) });
    expect(ex.stats().accounts).toBe(2);
  });

  it("leaves the generated flow's addresses, bad users and other types to the info server", () => {
    const { ex, sim } = exchange(10);
    expect(ex.info({ type: 'clearinghouseState', user: sim.userAddresses[5] })).toBeUndefined();
    expect(ex.info({ type: 'clearinghouseState', user: 'nobody' })).toBeUndefined();
    expect(ex.info({ type: 'meta' })).toBeUndefined();
    expect(ex.stats().accounts).toBe(0);
  });

  it('a generated block after an account opened keeps the market consistent (its address is a new user)', () => {
    const { ex, sim } = exchange(10);
    ex.info({ type: 'openOrders', user: '0x' + 'e'.repeat(40) });
    expect(sim.userAddresses.at(-1)).toBe('0x' + 'e'.repeat(40));
    const block = sim.nextBlock('2027-01-15T08:00:00.000000000', 1_800_000_000_100);
    expect(block.statuses.count).toBeGreaterThan(0);
  });
});
