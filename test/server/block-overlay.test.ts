/**
 * The intra-block overlay (`src/server/block-overlay.ts`) against a naive model: after every
 * prefix of a block's diffs, the levels it shows over the books at the block's start equal
 * the model's levels after that prefix (every L2 parameter set, and the bbo), and the engine's
 * own levels after applying the prefix to a copy of the books.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateSide, Books, l2Spec, type BookDiffEvent, type L4SnapshotFile, type NodeOrder, type Side } from '../../src/book/index.js';
import { BlockOverlay } from '../../src/server/block-overlay.js';
import { allL2Params, fromUnits, NaiveBook } from '../book/naive-model.js';
import { block, newDiff, nodeOrder, removeDiff, updateDiff } from '../book/helpers.js';

const H = 100;
/** Few prices, so that orders share levels and buckets (sig figs edges, powers of ten). */
const PRICES = ['99.0', '99.5', '99.99', '100.0', '100.01', '100.5', '101.0', '1000.0', '999.9', '12345.0', '12349.0', '12350.0'];
const size = fc.oneof(fc.bigInt({ min: 1n, max: 5_000_000_000n }), fc.constantFrom(1n, 100_000_000n, 9_007_199_254_740_993n)).map(fromUnits);

interface Resting {
  oid: number;
  side: Side;
  px: string;
  sz: string;
}

const initial = fc.array(fc.record({ side: fc.constantFrom<Side>('B', 'A'), px: fc.constantFrom(...PRICES), sz: size }), { maxLength: 25 });
/** An op: a new order, or an update/remove of the i-th live order (by index modulo the live count, may be one this block added). */
const op = fc.oneof(
  fc.record({ kind: fc.constant('new' as const), side: fc.constantFrom<Side>('B', 'A'), px: fc.constantFrom(...PRICES), sz: size }),
  fc.record({ kind: fc.constant('update' as const), i: fc.nat(), sz: size }),
  fc.record({ kind: fc.constant('remove' as const), i: fc.nat() }),
);

function snapshot(orders: Resting[]): L4SnapshotFile {
  const side = (s: Side): [string, NodeOrder][] =>
    orders.filter((o) => o.side === s).map((o) => ['0xa', nodeOrder({ oid: o.oid, side: s, limitPx: o.px, sz: o.sz })] as [string, NodeOrder]);
  return [H, [['BTC', [side('B'), side('A')]]]];
}

/** The ops as diffs, over the live orders (removes and updates pick among them, those added in the block included). */
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function diffsOf(start: Resting[], ops: Op[]): BookDiffEvent[] {
  const live = start.map((o) => ({ ...o }));
  let next = 10_000;
  const out: BookDiffEvent[] = [];
  for (const o of ops) {
    if (o.kind === 'new') {
      const r = { oid: next++, side: o.side, px: o.px, sz: o.sz };
      live.push(r);
      out.push(newDiff('0xb', r.oid, r.side, r.px, r.sz));
      continue;
    }
    if (live.length === 0) continue;
    const idx = o.i % live.length;
    const r = live[idx]!;
    if (o.kind === 'update') {
      out.push(updateDiff('0xa', r.oid, r.side, r.px, r.sz, o.sz));
      r.sz = o.sz;
    } else {
      out.push(removeDiff('0xa', r.oid, r.side, r.px));
      live.splice(idx, 1);
    }
  }
  return out;
}

function modelAfter(start: Resting[], diffs: readonly BookDiffEvent[]): NaiveBook {
  const m = new NaiveBook();
  for (const o of start) m.add('0xa', nodeOrder({ oid: o.oid, side: o.side, limitPx: o.px, sz: o.sz }), o.px, o.sz);
  for (const d of diffs) {
    const r = d.raw_book_diff;
    if (r === 'remove') m.remove(d.oid);
    else if ('update' in r) m.update(d.oid, r.update.newSz);
    else m.add(d.user, nodeOrder({ oid: d.oid, side: d.side, limitPx: d.px, sz: r.new.sz }), d.px, r.new.sz);
  }
  return m;
}

const PARAMS = allL2Params().filter((p) => p.nLevels !== 1 && p.nLevels !== 2);

describe('BlockOverlay', () => {
  it('shows, after every prefix of a block, the levels of the books with that prefix applied (naive model and engine)', () => {
    fc.assert(
      fc.property(initial, fc.array(op, { minLength: 1, maxLength: 30 }), (init, ops) => {
        const start: Resting[] = init.map((o, i) => ({ oid: i + 1, ...o }));
        const books = Books.fromSnapshot(snapshot(start));
        const diffs = diffsOf(start, ops);
        const overlay = new BlockOverlay();
        for (let k = 0; k < diffs.length; k++) {
          // One diff per line here; the real source hands over one or more per line.
          expect(overlay.add(H + 1, 5, k, diffs.slice(k, k + 1), books)).toEqual(new Set(['BTC']));
          const co = overlay.coin('BTC')!;
          expect(co.broken).toBeNull();
          const sides = co.sides(books.book('BTC'));
          const model = modelAfter(start, diffs.slice(0, k + 1));
          const copy = Books.fromSnapshot(snapshot(start));
          expect(copy.applyBlock(block(H + 1, { diffs: diffs.slice(0, k + 1) })).desyncs).toEqual([]);
          for (const p of PARAMS) {
            const spec = l2Spec(p);
            const got = [aggregateSide(sides.bids, true, spec), aggregateSide(sides.asks, false, spec)];
            expect(got).toEqual(model.l2(p.nSigFigs, p.mantissa, p.nLevels));
            expect(got).toEqual(copy.book('BTC')!.l2(p));
          }
        }
        // The live books never moved.
        expect(books.height).toBe(H);
        expect(books.book('BTC')!.l2({ nLevels: 100 })).toEqual(modelAfter(start, []).l2(null, null, 100));
      }),
      { numRuns: 150, seed: 16 },
    );
  });

  it('removes an order added earlier in the same block (its size from the overlay, not the book)', () => {
    const books = Books.fromSnapshot(snapshot([{ oid: 1, side: 'B', px: '100.0', sz: '2.0' }]));
    const overlay = new BlockOverlay();
    overlay.add(H + 1, 5, 0, [newDiff('0xb', 7, 'B', '100.0', '0.5'), updateDiff('0xb', 7, 'B', '100.0', '0.5', '0.25')], books);
    let sides = overlay.coin('BTC')!.sides(books.book('BTC'));
    expect(aggregateSide(sides.bids, true, l2Spec())).toEqual([{ px: '100.0', sz: '2.25', n: 2 }]);
    overlay.add(H + 1, 5, 2, [removeDiff('0xb', 7, 'B', '100.0')], books);
    sides = overlay.coin('BTC')!.sides(books.book('BTC'));
    expect(aggregateSide(sides.bids, true, l2Spec())).toEqual([{ px: '100.0', sz: '2.0', n: 1 }]);
    overlay.add(H + 1, 5, 3, [removeDiff('0xa', 1, 'B', '100.0')], books);
    sides = overlay.coin('BTC')!.sides(books.book('BTC'));
    expect(sides.bids).toEqual([]);
  });

  it('marks a coin broken on a diff the book would reject, and drops a block whose diffs do not continue', () => {
    const books = Books.fromSnapshot(snapshot([{ oid: 1, side: 'A', px: '101.0', sz: '1.0' }]));
    const overlay = new BlockOverlay();
    overlay.add(H + 1, 5, 0, [removeDiff('0xa', 1, 'A', '101.0'), updateDiff('0xa', 1, 'A', '101.0', '1.0', '0.5')], books);
    expect(overlay.coin('BTC')!.broken).toMatch(/removed earlier in the block/);
    overlay.add(H + 2, 6, 0, [removeDiff('0xa', 1, 'B', '101.0')], books);
    expect(overlay.coin('BTC')!.broken).toMatch(/another side or price/);
    overlay.add(H + 2, 6, 1, [newDiff('0xa', 1, 'A', '101.0', '1.0')], books);
    expect(overlay.coin('BTC')!.broken).toMatch(/another side or price/);
    // Not from this block's first diff: nothing shown for it.
    expect(overlay.add(H + 3, 7, 4, [newDiff('0xa', 9, 'A', '101.0', '1.0')], books)).toBeNull();
    expect(overlay.height).toBeNull();
    expect(overlay.add(H + 3, 7, 0, [newDiff('0xa', 9, 'A', '101.0', '1.0')], books)).toEqual(new Set(['BTC']));
    expect(overlay.add(H + 3, 7, 3, [newDiff('0xa', 10, 'A', '101.0', '1.0')], books)).toBeNull();
  });
});
