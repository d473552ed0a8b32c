import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RawStatus, statusCoin, statusesJson, statusOid } from '../../src/book/raw-status.js';
import type { OrderStatusEvent } from '../../src/book/events.js';
import { parseLine, scanStatusesBytes, scanStatusesLine, STATUS_PIECE_BYTES } from '../../src/node/parse.js';
import { startSimulator } from '../../src/sim/simulator.js';
import { tempDir } from '../sim/helpers.js';
import { FIXTURES, fixtureLines } from './files.js';
import { nodeOrder } from '../book/helpers.js';

/** What the scan must agree on with a full `JSON.parse`, event by event. */
function expectSameAsFullParse(line: string): void {
  const full = JSON.parse(line) as { block_number: number; block_time: string; local_time: string; events: OrderStatusEvent[] };
  const fast = scanStatusesLine(line);
  expect(fast, 'the fast path took the line').toBeDefined();
  expect(fast!.block_number).toBe(full.block_number);
  expect(fast!.block_time).toBe(full.block_time);
  expect(fast!.local_time).toBe(full.local_time);
  expect(fast!.events).toHaveLength(full.events.length);
  full.events.forEach((e, i) => {
    const f = fast!.events[i]!;
    expect(f.status).toBe(e.status);
    expect(statusCoin(f)).toBe(e.order.coin);
    expect(statusOid(f)).toBe(e.order.oid);
    // open/triggered are parsed at once (a `new` diff may need them); the rest stay raw.
    expect(f instanceof RawStatus).toBe(e.status !== 'open' && e.status !== 'triggered');
    if (f instanceof RawStatus) expect(JSON.parse(f.json)).toEqual(e);
    else expect(f).toEqual(e);
  });
  // The whole list serializes to the node's own bytes.
  expect(statusesJson(fast!.events)).toBe(JSON.stringify(full.events));
  expect(JSON.stringify(fast!.events)).toBe(JSON.stringify(full.events));
  // The same from the line's bytes decoded in pieces (50 bytes: every event a piece of its own).
  const shape = (es: OrderStatusEvent[]) => es.map((e) => [e.status, statusCoin(e), statusOid(e), e instanceof RawStatus]);
  for (const pieceBytes of [STATUS_PIECE_BYTES, 1000, 50]) {
    const cut = scanStatusesBytes(Buffer.from(line, 'utf8'), pieceBytes);
    expect(cut, `the fast path took the line in pieces of ${pieceBytes} bytes`).toBeDefined();
    expect({ ...cut!, events: [] }).toEqual({ ...fast!, events: [] });
    expect(shape(cut!.events)).toEqual(shape(fast!.events));
    expect(statusesJson(cut!.events)).toBe(JSON.stringify(full.events));
  }
}

const hex = (n: number) => fc.stringMatching(new RegExp(`^0x[0-9a-f]{${n}}$`));
const decimal = fc.tuple(fc.nat(99999), fc.nat(99999)).map(([a, b]) => `${a}.${b}`);
const orderArb = (children: fc.Arbitrary<unknown[]>) =>
  fc.record({
    coin: fc.constantFrom('BTC', 'ETH', '@107', 'PURR/USDC', 'xyz:ABC', 'kPEPE', '@1'),
    side: fc.constantFrom('B', 'A'),
    limitPx: decimal,
    sz: decimal,
    oid: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    timestamp: fc.nat(),
    triggerCondition: fc.constantFrom('N/A', 'Price above 3.2', 'Triggered'),
    isTrigger: fc.boolean(),
    triggerPx: decimal,
    children,
    isPositionTpsl: fc.boolean(),
    reduceOnly: fc.boolean(),
    orderType: fc.constantFrom('Limit', 'Stop Market', 'Take Profit Limit'),
    origSz: decimal,
    tif: fc.constantFrom('Gtc', 'Alo', 'Ioc', null),
    cloid: fc.option(hex(32)),
  });
const child = orderArb(fc.constant([]));
const statusArb = fc.record({
  time: fc.constant('2026-05-05T17:39:13.024084407'),
  user: hex(40),
  hash: fc.option(hex(64)),
  builder: fc.option(fc.record({ b: hex(40), f: fc.nat(100) })),
  status: fc.constantFrom(
    'open',
    'triggered',
    'filled',
    'canceled',
    'badAloPxRejected',
    'perpMarginRejected',
    'iocCancelRejected',
    'rejected',
    'marginCanceled',
  ),
  order: orderArb(fc.array(child, { maxLength: 2 })),
});

function line(events: unknown[], height = 7): string {
  return JSON.stringify({ local_time: '2026-05-05T17:39:13.394723455', block_time: '2026-05-05T17:39:13.024084407', block_number: height, events });
}

describe('scanStatusesLine (the fast path for statuses lines)', () => {
  it('agrees with JSON.parse on every real mainnet statuses line', () => {
    const lines = [...fixtureLines('statuses'), ...fixtureLines('statuses', join(FIXTURES, 'mainnet-btc-978995377'), '20260430/20')];
    expect(lines.length).toBeGreaterThan(60);
    for (const l of lines) expectSameAsFullParse(l);
  });

  it('agrees with JSON.parse on the simulated node’s lines (every coin kind, triggers, children)', async () => {
    const dataDir = tempDir();
    const sim = await startSimulator({
      dataDir,
      infoPort: 0,
      speed: 'max',
      restingOrders: 2000,
      maxBlocks: 12,
      profile: 'mainnet',
      startTime: '2026-06-01T12:00:00',
    });
    await sim.done;
    await sim.stop();
    const dir = join(dataDir, 'node_order_statuses_by_block', 'hourly', '20260601');
    let n = 0;
    for (const f of readdirSync(dir)) {
      for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) {
        if (l.length === 0) continue;
        expectSameAsFullParse(l);
        n++;
      }
    }
    expect(n).toBe(12);
  });

  it('agrees with JSON.parse on generated events (builders, hashes, child orders, odd coins)', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { maxLength: 30 }), (events) => {
        expectSameAsFullParse(line(events));
      }),
      { seed: 20261123, numRuns: 300 },
    );
  });

  it('leaves anything unusual to the full parse, which reports what is wrong', () => {
    const ev = {
      time: '2026-05-05T17:39:13.0',
      user: '0x1',
      hash: null,
      builder: null,
      status: 'badAloPxRejected',
      order: nodeOrder({ side: 'A', limitPx: '1.0', sz: '1', oid: 5, timestamp: 1, tif: 'Alo' }),
    };
    const good = line([ev, { ...ev, status: 'open' }]);
    expect(scanStatusesLine(good)).toBeDefined();
    // Keys in another order, whitespace, a truncated line, a status without an order, an escaped coin.
    const { time, ...rest } = ev;
    expect(scanStatusesLine(line([{ ...rest, time }]))).toBeUndefined();
    expect(scanStatusesLine(JSON.stringify(JSON.parse(good), null, 1))).toBeUndefined();
    expect(scanStatusesLine(good.slice(0, -10))).toBeUndefined();
    expect(() => parseLine('statuses', good.slice(0, -10))).toThrow(/not JSON/);
    const noOrder = { ...ev, order: undefined };
    expect(scanStatusesLine(line([ev, noOrder]))).toBeUndefined();
    expect(() => parseLine('statuses', line([ev, noOrder]))).toThrow(/events\[1\]: no order/);
    const quoted = line([{ ...ev, order: { ...ev.order, coin: 'A"B' } }]);
    expect(scanStatusesLine(quoted)).toBeUndefined();
    expect(statusCoin(parseLine('statuses', quoted).events[0]!)).toBe('A"B');
    // An open status whose parsed fields disagree with the scan (here: an oid that is not a safe integer).
    expect(scanStatusesLine(line([{ ...ev, status: 'open', order: { ...ev.order, oid: 2 ** 60 } }]))).toBeUndefined();
    // The same in pieces.
    for (const bad of [line([{ ...rest, time }]), good.slice(0, -10), line([ev, noOrder]), quoted]) {
      expect(scanStatusesBytes(Buffer.from(bad), 50)).toBeUndefined();
    }
    expect(scanStatusesBytes(Buffer.from(good), 50)).toBeDefined();
    // A bad block number is still reported by the full path.
    expect(() => parseLine('statuses', line([ev], -1))).toThrow(/block_number -1/);
  });

  it('refuses a half-written line that the next line ran into, cut anywhere, in pieces or whole', () => {
    const lines = fixtureLines('statuses');
    const [a, b] = [lines[0]!, lines[1]!];
    for (const at of [0.1, 0.37, 0.5, 0.83].map((f) => Math.floor(a.length * f))) {
      const joined = a.slice(0, at) + b;
      expect(() => parseLine('statuses', joined), `cut at ${at}`).toThrow(/not JSON/);
      for (const pieceBytes of [STATUS_PIECE_BYTES, 1000, 50])
        expect(scanStatusesBytes(Buffer.from(joined, 'utf8'), pieceBytes), `cut at ${at}, pieces of ${pieceBytes}`).toBeUndefined();
    }
  });

  it('keeps an empty block empty', () => {
    expect(scanStatusesLine(line([]))!.events).toEqual([]);
    expect(scanStatusesBytes(Buffer.from(line([])), 10)!.events).toEqual([]);
  });
});
