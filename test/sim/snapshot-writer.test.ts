/**
 * The snapshot writer's text, order by order, against the same orders written from scratch
 * with `orderJson` (no cached text): after blocks have filled some orders (sizes changed since
 * their text was cached) and placed new ones (text made at the first snapshot), and with
 * chunks small enough to need many buffer switches.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatScaled as formatUnits } from '../../src/book/decimal.js';
import { buildMarket } from '../../src/sim/market.js';
import { RestKind } from '../../src/sim/matching-book.js';
import { orderJson, SIDE } from '../../src/sim/node-json.js';
import { blockPlan, PROFILES } from '../../src/sim/profiles.js';
import { SimMarket, type CapturedBooks } from '../../src/sim/sim-market.js';
import { writeSnapshotFile } from '../../src/sim/snapshot-writer.js';
import { tempDir } from './helpers.js';

/** The file's text built the plain way: one string, every order from `orderJson`. */
function expected(cap: CapturedBooks): string {
  const coins = cap.coins.map(({ coin, sides, lots }) => {
    const text = [0, 1].map((s) =>
      sides[s]!.map((o, i) => {
        const sz = formatUnits(lots[s]![i]!, coin.szDecimals);
        const px = formatUnits(o.px, coin.pxDecimals);
        const origSz = formatUnits(o.origLots, coin.szDecimals);
        const common = {
          coinJson: coin.json,
          side: SIDE[o.side],
          limitPx: px,
          sz,
          oid: o.oid,
          timestamp: o.timestamp,
          isTrigger: false,
          triggerPx: '0.0',
          origSz,
        };
        const asPlaced = { isPositionTpsl: o.isPositionTpsl, reduceOnly: o.reduceOnly, orderType: o.orderType, cloid: o.cloid };
        const json =
          o.kind === RestKind.Triggered
            ? orderJson({ ...common, ...asPlaced, triggerCondition: 'Triggered', tif: 'Gtc' })
            : o.kind === RestKind.Statusless
              ? orderJson({ ...common, triggerCondition: 'N/A', isPositionTpsl: false, reduceOnly: false, orderType: 'Limit', tif: 'Alo', cloid: null })
              : orderJson({ ...common, ...asPlaced, triggerCondition: 'N/A', tif: o.tif });
        return `["${cap.users[o.user]}",${json}]`;
      }),
    );
    return `[${coin.json},[[${text[0]!.join(',')}],[${text[1]!.join(',')}]]]`;
  });
  return `[${cap.height},[${coins.join(',')}]]`;
}

describe('the snapshot writer', () => {
  it('writes the same text as orderJson, order by order, with cached and fresh order text', async () => {
    const coins = buildMarket(12, 7);
    const sim = new SimMarket({ seed: 7, coins, restingOrders: 30_000, plan: blockPlan(PROFILES.mainnet, 14.6), startHeight: 100, startMs: 1_700_000_000_000 });
    sim.warmSnapshotText();
    for (let i = 0; i < 200; i++) sim.nextBlock('2026-01-01T00:00:00.000000000', 1_700_000_000_000 + i * 70);
    const dir = tempDir();
    const cap = sim.capture();
    const text = expected(cap);
    // Over 5 MiB: several buffer switches (1 MiB each); every kind of order is in there.
    expect(text.length).toBeGreaterThan(5 << 20);
    const kinds = new Set(cap.coins.flatMap((c) => [...c.sides[0], ...c.sides[1]].map((o) => o.kind)));
    expect([...kinds].sort()).toEqual([RestKind.Placed, RestKind.Triggered, RestKind.Statusless]);
    await writeSnapshotFile(cap, join(dir, 'with-height.json'), true);
    expect(readFileSync(join(dir, 'with-height.json'), 'utf8')).toBe(text);
    await writeSnapshotFile(cap, join(dir, 'plain.json'), false);
    expect(readFileSync(join(dir, 'plain.json'), 'utf8')).toBe(text.slice(`[${cap.height},`.length, -1));
  });
});
