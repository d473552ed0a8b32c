import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Books, OrderBook, type BookDiffEvent, type OrderStatusEvent, type Side } from '../../src/book/index.js';
import { allL2Params, fromUnits, l4Keys, NaiveBook } from './naive-model.js';
import { block, l4, newDiff, newDiffBefore, nodeOrder, removeDiff, removeOid, resizeOid, restL4, updateDiff } from './helpers.js';

const COINS: readonly string[] = ['BTC', '@107'];
const USERS = ['0xa', '0xb', '0xc'] as const;

/** Prices in units: a pool of edge values (collisions, bucket edges, powers of ten, tiny, huge) and random ones. */
const priceUnits = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      999_950_000_000n,
      1_000_000_000_000n,
      1_000_100_000_000n,
      8_130_700_000_000n,
      8_130_800_000_000n,
      8_129_900_000_000n,
      8_130_000_000_000n,
      1234n,
      1n,
      9n,
      10n,
      100_000_000n,
      99_999_999n,
      8_999_999_999_999_999n,
    ),
  },
  { weight: 3, arbitrary: fc.bigInt({ min: 8_130_000_000_000n, max: 8_131_000_000_000n }).map((u) => u - (u % 100_000_000n)) },
  { weight: 2, arbitrary: fc.bigInt({ min: 1n, max: 9_000_000_000_000_000n }) },
);
/** Sizes in units: up to 10^12 whole units with 8 decimals, and small ones. */
const sizeUnits = fc.oneof(
  fc.bigInt({ min: 1n, max: 100_000_000_000_000_000_000n }),
  fc.bigInt({ min: 1n, max: 10_000_000_000n }),
  fc.constantFrom(1n, 100_000_000n, 9_007_199_254_740_991n, 9_007_199_254_740_992n),
);

type Op =
  | { kind: 'add'; coin: string; side: Side; px: string; sz: string; user: string }
  | { kind: 'addBefore'; pick: number; sz: string; user: string }
  | { kind: 'update'; pick: number; sz: string }
  | { kind: 'remove'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      coin: fc.constantFrom(...COINS),
      side: fc.constantFrom<Side>('B', 'A'),
      px: priceUnits.map(fromUnits),
      sz: sizeUnits.map(fromUnits),
      user: fc.constantFrom(...USERS),
    }),
  },
  // insertBefore: a new order joins the level of a resting one, just ahead of it.
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('addBefore' as const), pick: fc.nat(), sz: sizeUnits.map(fromUnits), user: fc.constantFrom(...USERS) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('update' as const), pick: fc.nat(), sz: sizeUnits.map(fromUnits) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
);

function expectSameBook(book: OrderBook, model: NaiveBook): void {
  for (const p of allL2Params()) expect(book.l2(p), JSON.stringify(p)).toEqual(model.l2(p.nSigFigs, p.mantissa, p.nLevels));
  expect(book.bbo()).toEqual(model.bbo());
  expect(book.mid()).toEqual(model.mid());
  const [bids, asks] = book.l4();
  const [mb, ma] = model.l4();
  expect(l4Keys(bids)).toEqual(mb);
  expect(l4Keys(asks)).toEqual(ma);
  expect(book.size).toBe(model.orders.length);
}

describe('OrderBook against the naive model', () => {
  it('agrees on every L2 view, BBO, mid and L4 after random adds, updates and removes across coins and sides', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        const books = new Map(COINS.map((c) => [c, new OrderBook(c)]));
        const models = new Map(COINS.map((c) => [c, new NaiveBook()]));
        const live: { oid: number; coin: string }[] = [];
        let oid = 1;
        ops.forEach((o, i) => {
          if (o.kind === 'add') {
            const order = l4(o.user, { oid, side: o.side, limitPx: o.px, sz: o.sz }, o.coin);
            restL4(books.get(o.coin)!, order);
            models.get(o.coin)!.add(o.user, order, o.px, o.sz);
            live.push({ oid: oid++, coin: o.coin });
          } else if (live.length > 0) {
            const k = o.pick % live.length;
            const { oid: target, coin } = live[k]!;
            if (o.kind === 'addBefore') {
              const t = models.get(coin)!.find(target)!;
              const order = l4(o.user, { oid, side: t.side, limitPx: fromUnits(t.px), sz: o.sz }, coin);
              restL4(books.get(coin)!, order, target);
              models.get(coin)!.add(o.user, order, fromUnits(t.px), o.sz, target);
              live.push({ oid: oid++, coin });
            } else if (o.kind === 'update') {
              resizeOid(books.get(coin)!, target, o.sz);
              models.get(coin)!.update(target, o.sz);
            } else {
              removeOid(books.get(coin)!, target);
              models.get(coin)!.remove(target);
              live.splice(k, 1);
            }
          }
          if (i % 10 === 9) for (const c of COINS) expectSameBook(books.get(c)!, models.get(c)!);
        });
        for (const c of COINS) expectSameBook(books.get(c)!, models.get(c)!);
      }),
      { seed: 20260505, numRuns: 120 },
    );
  });

  it('keeps cached L2 views equal to the model after every single change, at view edges included', () => {
    // Few prices so that changes often land exactly on a view's last level or bucket edge.
    const px = fc.constantFrom('100.0', '100.5', '101.0', '99.0', '98.0', '110.0', '90.0', '100.9', '99.9');
    const small: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('add' as const),
          coin: fc.constant('BTC'),
          side: fc.constantFrom<Side>('B', 'A'),
          px,
          sz: fc.constantFrom('1.0', '2.0', '0.5'),
          user: fc.constant('0xa'),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('addBefore' as const), pick: fc.nat(), sz: fc.constantFrom('1.0', '0.5'), user: fc.constant('0xb') }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('update' as const), pick: fc.nat(), sz: fc.constantFrom('1.0', '3.0', '0.25') }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
    );
    const params = [
      { nLevels: 1 },
      { nLevels: 2 },
      { nLevels: 3 },
      { nSigFigs: 3, nLevels: 1 },
      { nSigFigs: 3, nLevels: 2 },
      { nSigFigs: 2, nLevels: 1 },
      { nSigFigs: 5, mantissa: 5, nLevels: 2 },
    ];
    fc.assert(
      fc.property(fc.array(small, { maxLength: 60 }), (ops) => {
        const book = new OrderBook('BTC');
        const model = new NaiveBook();
        const live: number[] = [];
        let oid = 1;
        for (const o of ops) {
          if (o.kind === 'add') {
            const order = l4(o.user, { oid, side: o.side, limitPx: o.px, sz: o.sz });
            restL4(book, order);
            model.add(o.user, order, o.px, o.sz);
            live.push(oid++);
          } else if (live.length > 0) {
            const k = o.pick % live.length;
            if (o.kind === 'addBefore') {
              const t = model.find(live[k]!)!;
              const order = l4(o.user, { oid, side: t.side, limitPx: fromUnits(t.px), sz: o.sz });
              restL4(book, order, t.oid);
              model.add(o.user, order, fromUnits(t.px), o.sz, t.oid);
              live.push(oid++);
            } else if (o.kind === 'update') {
              resizeOid(book, live[k]!, o.sz);
              model.update(live[k]!, o.sz);
            } else {
              removeOid(book, live[k]!);
              model.remove(live[k]!);
              live.splice(k, 1);
            }
          }
          for (const p of params) expect(book.l2(p), JSON.stringify(p)).toEqual(model.l2(p.nSigFigs ?? null, p.mantissa ?? null, p.nLevels));
        }
      }),
      { seed: 99, numRuns: 300 },
    );
  });

  it('rebuilds the same book from its own L4 output, in one go or in slices', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom<Side>('B', 'A'), priceUnits.map(fromUnits), sizeUnits.map(fromUnits)), { maxLength: 80 }),
        fc.integer({ min: 1, max: 10 }),
        (adds, slice) => {
          const book = new OrderBook('BTC');
          adds.forEach(([side, px, sz], i) => restL4(book, l4(USERS[i % 3]!, { oid: i + 1, side, limitPx: px, sz })));
          const [bids, asks] = book.l4();
          const entries = (orders: typeof bids) => orders.map((o) => [o.user, o] as [string, typeof o]);
          const whole = OrderBook.fromL4('BTC', entries(bids), entries(asks));
          expect(whole.l4()).toEqual(book.l4());
          const sliced = new OrderBook('BTC');
          for (const [side, list] of [
            ['B', entries(bids)],
            ['A', entries(asks)],
          ] as const) {
            for (let from = 0; from < list.length; from += slice) sliced.addSnapshotOrders(side, list, from, Math.min(list.length, from + slice));
          }
          expect(sliced.l4()).toEqual(book.l4());
          expect(sliced.compareL4(entries(bids), entries(asks))).toBeNull();
          expect(sliced.l2({ nSigFigs: 3, nLevels: 100 })).toEqual(book.l2({ nSigFigs: 3, nLevels: 100 }));
        },
      ),
      { seed: 7, numRuns: 100 },
    );
  });

  it('compares a book with another book in the same words as with that book as snapshot sides', () => {
    // Few prices, users and sizes: the two books often differ only in queue order or in one field.
    const order = fc.tuple(
      fc.constantFrom<Side>('B', 'A'),
      fc.constantFrom('100.0', '100.5', '99.0', '101.0'),
      fc.constantFrom('1.0', '2.0'),
      fc.constantFrom(...USERS),
      fc.integer({ min: 1, max: 12 }),
    );
    const build = (orders: [Side, string, string, string, number][]): OrderBook => {
      const book = new OrderBook('BTC');
      for (const [side, px, sz, user, oid] of orders) if (!book.has(oid)) restL4(book, l4(user, { oid, side, limitPx: px, sz }));
      return book;
    };
    fc.assert(
      fc.property(fc.array(order, { maxLength: 12 }), fc.array(order, { maxLength: 12 }), (xs, ys) => {
        const live = build(xs);
        const fresh = build(ys);
        const [bids, asks] = fresh.l4();
        const entries = (orders: typeof bids) => orders.map((o) => [o.user, o] as [string, typeof o]);
        expect(live.compareBook(fresh)).toBe(live.compareL4(entries(bids), entries(asks)));
        expect(live.compareBook(live)).toBeNull();
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});

type DiffOp =
  | { kind: 'new'; coin: string; side: Side; px: string; sz: string; withStatus: boolean; explicitNull: boolean }
  | { kind: 'newBefore'; pick: number; sz: string; withStatus: boolean }
  | { kind: 'update'; pick: number; sz: string }
  | { kind: 'remove'; pick: number }
  | { kind: 'bad'; coin: string; variant: number };

const diffOp: fc.Arbitrary<DiffOp> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('new' as const),
      coin: fc.constantFrom(...COINS),
      side: fc.constantFrom<Side>('B', 'A'),
      px: priceUnits.map(fromUnits),
      sz: sizeUnits.map(fromUnits),
      withStatus: fc.boolean(),
      explicitNull: fc.boolean(),
    }),
  },
  // insertBefore of a resting order (picked among those resting at that point of the block).
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('newBefore' as const), pick: fc.nat(), sz: sizeUnits.map(fromUnits), withStatus: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('update' as const), pick: fc.nat(), sz: sizeUnits.map(fromUnits) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  // 0-2: remove of nothing, new of a resting oid, update on the wrong side; 3-5: insertBefore
  // naming no resting order, one on the other side, one at another price.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bad' as const), coin: fc.constantFrom(...COINS), variant: fc.nat(5) }) },
);

describe('Books.applyBlock against the naive model', () => {
  it('applies random blocks per coin atomically: a coin with a bad diff stays as before the block, the others move; changes are reported', () => {
    fc.assert(
      fc.property(fc.array(fc.array(diffOp, { maxLength: 25 }), { minLength: 1, maxLength: 12 }), (blocks) => {
        const books = new Books(0);
        const models = new Map(COINS.map((c) => [c, new NaiveBook()]));
        // Resting orders as the model sees them, for picking update/remove targets.
        let oid = 1;
        blocks.forEach((ops, bi) => {
          const height = bi + 1;
          const statuses: OrderStatusEvent[] = [];
          const diffs: BookDiffEvent[] = [];
          // What the block should do, applied to scratch copies of the models.
          const scratch = new Map(COINS.map((c) => [c, models.get(c)!.clone()]));
          const bad = new Set<string>();
          const restingNow = () => COINS.flatMap((c) => scratch.get(c)!.orders.map((o) => ({ coin: c, o })));
          for (const d of ops) {
            if (d.kind === 'new') {
              const order = nodeOrder({ oid, side: d.side, limitPx: d.px, sz: d.sz }, d.coin);
              if (d.withStatus) statuses.push({ time: '2026-05-05T17:39:13.024084407', user: '0xa', hash: null, builder: null, status: 'open', order });
              diffs.push(d.explicitNull ? newDiffBefore('0xa', oid, d.side, d.px, d.sz, null, d.coin) : newDiff('0xa', oid, d.side, d.px, d.sz, d.coin));
              if (!bad.has(d.coin)) scratch.get(d.coin)!.add('0xa', order, d.px, d.sz);
              oid++;
            } else if (d.kind === 'newBefore') {
              const all = restingNow().filter(({ coin }) => !bad.has(coin));
              if (all.length === 0) continue;
              const { coin, o: t } = all[d.pick % all.length]!;
              const px = fromUnits(t.px);
              const order = nodeOrder({ oid, side: t.side, limitPx: px, sz: d.sz, tif: 'Alo' }, coin);
              if (d.withStatus) statuses.push({ time: '2026-05-05T17:39:13.024084407', user: '0xb', hash: null, builder: null, status: 'open', order });
              diffs.push(newDiffBefore('0xb', oid, t.side, px, d.sz, t.oid, coin));
              scratch.get(coin)!.add('0xb', order, px, d.sz, t.oid);
              oid++;
            } else if (d.kind === 'bad') {
              const known = scratch.get(d.coin)!.orders[0];
              if (d.variant === 0 || known === undefined) diffs.push(removeDiff('0xa', 1e12 + oid, 'B', '1.0', d.coin));
              else if (d.variant === 1) diffs.push(newDiff(known.user, known.oid, known.side, fromUnits(known.px), '1.0', d.coin));
              else if (d.variant === 2)
                diffs.push(updateDiff(known.user, known.oid, known.side === 'B' ? 'A' : 'B', fromUnits(known.px), '1.0', '2.0', d.coin));
              else if (d.variant === 3) diffs.push(newDiffBefore('0xa', oid++, known.side, fromUnits(known.px), '1.0', 1e12 + oid, d.coin));
              else if (d.variant === 4) diffs.push(newDiffBefore('0xa', oid++, known.side === 'B' ? 'A' : 'B', fromUnits(known.px), '1.0', known.oid, d.coin));
              else diffs.push(newDiffBefore('0xa', oid++, known.side, fromUnits(known.px + 1n), '1.0', known.oid, d.coin));
              bad.add(d.coin);
            } else {
              const all = restingNow().filter(({ coin }) => !bad.has(coin));
              if (all.length === 0) continue;
              const { coin, o } = all[d.pick % all.length]!;
              if (d.kind === 'update') {
                diffs.push(updateDiff(o.user, o.oid, o.side, fromUnits(o.px), fromUnits(o.sz), d.sz, coin));
                scratch.get(coin)!.update(o.oid, d.sz);
              } else {
                diffs.push(removeDiff(o.user, o.oid, o.side, fromUnits(o.px), coin));
                scratch.get(coin)!.remove(o.oid);
              }
            }
          }
          const before = new Map(COINS.map((c) => [c, models.get(c)!.l2(null, null, 100)]));
          const beforeBbo = new Map(COINS.map((c) => [c, models.get(c)!.bbo()]));
          const ch = books.applyBlock(block(height, { statuses, diffs }));
          expect(ch.desyncs.map((e) => e.coin).sort()).toEqual([...bad].sort());
          for (const c of COINS) {
            if (!bad.has(c)) {
              models.get(c)!.replaceWith(scratch.get(c)!);
            }
            const book = books.book(c);
            const model = models.get(c)!;
            if (book === undefined) {
              expect(model.orders).toEqual([]);
              continue;
            }
            expectSameBook(book, model);
            const cc = ch.coins.get(c);
            if (cc === undefined) continue;
            const after = model.l2(null, null, 100);
            for (const [i, changed] of [cc.changedBids, cc.changedAsks].entries()) {
              const key = (ls: { px: string; sz: string; n: number }[]) => new Map(ls.map((l) => [l.px, `${l.sz}/${l.n}`]));
              const b = key(before.get(c)![i]!);
              const a = key(after[i]!);
              const differs = [...new Set([...b.keys(), ...a.keys()])].filter((px) => b.get(px) !== a.get(px));
              for (const px of differs) expect(changed).toContain(px);
              if (bad.has(c)) expect(changed).toEqual([]);
            }
            expect(cc.bboChanged).toBe(JSON.stringify(beforeBbo.get(c)) !== JSON.stringify(model.bbo()));
          }
        });
      }),
      { seed: 42, numRuns: 150 },
    );
  });
});
