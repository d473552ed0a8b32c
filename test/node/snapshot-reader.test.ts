import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCodes, HlobError } from '../../src/errors.js';
import { readSnapshotFile, type SnapshotSink } from '../../src/node/snapshot-reader.js';
import type { L4SnapshotFile, NodeOrder } from '../../src/node/types.js';
import { fixtureSnapshotText, tempDir } from './files.js';
import { nodeOrder } from '../book/helpers.js';

type Pair = [string, NodeOrder];

/** A sink that rebuilds the file's structure, to compare with a plain JSON.parse. */
function rebuild(): { sink: SnapshotSink; result: () => L4SnapshotFile; calls: number[] } {
  let height = -1;
  const coins: [string, [Pair[], Pair[]]][] = [];
  const calls: number[] = [];
  const sink: SnapshotSink = {
    height: (h) => (height = h),
    coin: (c) => void coins.push([c, [[], []]]),
    orders: (c, side, orders) => {
      const last = coins[coins.length - 1]!;
      expect(last[0]).toBe(c);
      last[1][side].push(...orders);
      calls.push(orders.length);
    },
  };
  return { sink, result: () => [height, coins], calls };
}

let dir: string;
let fixturePath: string;
let fixtureText: string;
beforeAll(() => {
  dir = tempDir();
  fixtureText = fixtureSnapshotText();
  fixturePath = join(dir, 'btc.json');
  writeFileSync(fixturePath, fixtureText);
});

async function badSnapshot(p: Promise<unknown>): Promise<HlobError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HlobError);
  expect((err as HlobError).code).toBe(ErrorCodes.BAD_SNAPSHOT);
  return err as HlobError;
}

describe('readSnapshotFile', () => {
  it('reads the real 51,351-order BTC snapshot exactly as JSON.parse does, in runs of orders', async () => {
    const expected: unknown = JSON.parse(fixtureText);
    for (const fastCut of [true, false]) {
      const { sink, result, calls } = rebuild();
      const summary = await readSnapshotFile(fixturePath, sink, { fastCut });
      expect(summary).toEqual({ height: 985148181, coins: 1, orders: 51_351, bytes: fixtureText.length });
      expect(result()).toEqual(expected);
      expect(Math.max(...calls)).toBeLessThanOrEqual(1000);
      expect(calls.length).toBeGreaterThan(51);
    }
  });

  it('finds a cut inside a string and falls back to the byte scan there', async () => {
    const o = (oid: number, cloid: string): [string, Record<string, unknown>] => ['0xu', { coin: 'X', side: 'B', limitPx: '1.0', sz: '1.0', oid, cloid }];
    const snap = [3, [['X', [[o(1, 'a}],["b'), o(2, '}]]'), o(3, 'c')], [o(4, '}],["}]]')]]]]];
    const p = join(dir, 'tricky.json');
    writeFileSync(p, JSON.stringify(snap));
    for (const batchBytes of [1, 30, 1 << 20]) {
      const { sink, result } = rebuild();
      await readSnapshotFile(p, sink, { batchBytes });
      expect(result(), `batchBytes ${batchBytes}`).toEqual(snap);
    }
  });

  it('does not stall the event loop while reading it (JSON.parse of it blocks for 100+ ms)', async () => {
    // The reader's clock (`performance.now`) is this test's: each order handed to the sink
    // costs 40 µs of it, parsing included (a pessimistic cost: ten times a quiet machine's).
    // A loop turn is seen by a chain of setImmediate ticks; the longest stretch of that clock
    // between two turns is the stall, whatever the machine's real load. Reading the whole
    // file without yielding would take 51,351 × 40 µs = 2.05 s of it, and yielding only
    // between 1 MiB reads ~120 ms: the 4 ms slices are what keep it under 100.
    let clock = 0;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    let maxStall = 0;
    let turns = 0;
    let last = clock;
    let reading = true;
    const tick = (): void => {
      maxStall = Math.max(maxStall, clock - last);
      last = clock;
      turns++;
      if (reading) setImmediate(tick);
    };
    try {
      setImmediate(tick);
      const summary = await readSnapshotFile(fixturePath, {
        height: () => undefined,
        coin: () => undefined,
        orders: (_c, _s, orders) => void (clock += orders.length * 0.04),
      });
      reading = false;
      expect(summary.orders).toBe(51_351);
      expect(clock).toBeCloseTo(2054.04, 6);
    } finally {
      spy.mockRestore();
    }
    expect(turns).toBeGreaterThan(10);
    expect(maxStall).toBeLessThan(100);
  });

  it('gives the same result whatever the read size (pieces split inside strings, escapes, nested children)', async () => {
    const order = (oid: number, side: 'B' | 'A', px: string, extra: Partial<NodeOrder> = {}): NodeOrder =>
      nodeOrder({ side, limitPx: px, sz: '1.0', oid, timestamp: 1, origSz: '1.0', ...extra }, 'A"B\\[');
    const weird = 'A"B\\[';
    const snap: L4SnapshotFile = [
      42,
      [
        [
          weird,
          [
            [
              ['0x1', order(1, 'B', '2.0', { children: [{ a: [1, { b: ']}' }] }] as unknown[] })],
              ['0x2', order(2, 'B', '1.0')],
            ],
            [['0x3', order(3, 'A', '3.0', { cloid: '0x"]' })]],
          ],
        ],
        ['@107', [[], [['0x4', { ...order(4, 'A', '9.0'), coin: '@107' }]]]],
      ],
    ];
    const text = JSON.stringify(snap, null, 1);
    const p = join(dir, 'weird.json');
    writeFileSync(p, text);
    for (const fastCut of [true, false]) {
      for (const chunkBytes of [1, 2, 3, 7, 64, 1 << 20]) {
        for (const batchBytes of [1, 100, 1 << 20]) {
          const { sink, result } = rebuild();
          await readSnapshotFile(p, sink, { chunkBytes, batchOrders: 1, batchBytes, fastCut });
          expect(result(), `chunkBytes ${chunkBytes} batchBytes ${batchBytes} fastCut ${fastCut}`).toEqual(snap);
        }
      }
    }
  });

  it('skips the orders of coins it was not asked for', async () => {
    const snap = [
      7,
      [
        ['BTC', [[], []]],
        ['ETH', [[['0x1', { coin: 'ETH', side: 'B', limitPx: '1.0', sz: '2.0', oid: 9 }]], []]],
      ],
    ];
    const p = join(dir, 'two.json');
    writeFileSync(p, JSON.stringify(snap));
    const seen: string[] = [];
    const summary = await readSnapshotFile(
      p,
      { height: () => undefined, coin: (c, wanted) => seen.push(`${c}:${wanted}`), orders: (c) => seen.push(`orders ${c}`) },
      { coins: new Set(['BTC']) },
    );
    expect(seen).toEqual(['BTC:true', 'ETH:false']);
    expect(summary.orders).toBe(0);
  });

  it('rejects a file cut short (a write that did not finish), naming it', async () => {
    const p = join(dir, 'cut.json');
    writeFileSync(p, fixtureText.slice(0, 5_000_000));
    const err = await badSnapshot(readSnapshotFile(p, rebuild().sink));
    expect(err.message).toContain(p);
    expect(err.message).toMatch(/ends early after 5000000 bytes/);
  });

  it('rejects what is not the node snapshot shape', async () => {
    const p = join(dir, 'bad.json');
    const cases: [string, RegExp][] = [
      ['[[1,2],[]]', /height/],
      ['{"height":1}', /an object where an array belongs/],
      ['[1,[["BTC",[[["0x1",{"coin":"ETH","side":"B","limitPx":"1.0","sz":"1.0","oid":1}]],[]]]]]', /order 1 of "ETH" listed under BTC/],
      ['[1,[["BTC",[[["0x1",{"coin":"BTC"}]],[]]]]]', /lacks oid/],
      ['[1,[["BTC",[[],[],[]]]]]', /more than two sides/],
      ['[1,[]] x', /data after the end/],
      ['', /ends early/],
    ];
    for (const [text, why] of cases) {
      writeFileSync(p, text);
      expect((await badSnapshot(readSnapshotFile(p, rebuild().sink))).message, text).toMatch(why);
    }
    expect((await badSnapshot(readSnapshotFile(join(dir, 'absent.json'), rebuild().sink))).message).toMatch(/ENOENT/);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(readSnapshotFile(fixturePath, rebuild().sink, { signal: ac.signal, sliceMs: 0 })).rejects.toThrow(/abort/i);
  });
});
