import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  STREAMS,
  STREAM_NAMES,
  STREAM_PREFIXES,
  STREAMING_DIRS,
  addNs,
  byBlockDir,
  formatNodeTime,
  hourOf,
  hourStartMs,
  hourlyPath,
  nodeInstant,
  nodeTimeMs,
  nsBetween,
  parseNodeTime,
  streamingDir,
} from '../../src/node/format.js';
import { BTC, FIXTURES, fixtureLines } from './files.js';
import { join } from 'node:path';

/** What `Date.parse` made of a node time before the exact parser (the behaviour to keep on real data). */
const viaDateParse = (t: string): number => Date.parse(`${t.slice(0, 23)}Z`);

/** Every `block_time` and status `time` of both real fixtures, all layouts. */
function fixtureTimes(): string[] {
  const times = new Set<string>();
  const sources: [string, string][] = [
    [BTC, '20260505/17'],
    [join(FIXTURES, 'mainnet-btc-978995377'), '20260430/20'],
  ];
  for (const [fixture, hour] of sources) {
    for (const stream of STREAM_NAMES) {
      for (const line of fixtureLines(stream, fixture, hour)) {
        const env = JSON.parse(line) as { block_time: string; local_time: string; events: unknown[] };
        times.add(env.block_time);
        times.add(env.local_time);
        if (stream === 'statuses') for (const e of env.events as { time: string }[]) times.add(e.time);
      }
    }
  }
  return [...times];
}

describe('node time', () => {
  it('reads every time of the real fixtures as Date.parse did, and to the nanosecond', () => {
    const times = fixtureTimes();
    expect(times.length).toBeGreaterThan(200);
    for (const t of times) {
      expect(nodeTimeMs(t), t).toBe(viaDateParse(t));
      const i = parseNodeTime(t);
      expect(i.ms, t).toBe(viaDateParse(t));
      // The node trims nothing: its 9 digits come back as written.
      if (/\.\d{9}$/.test(t)) expect(formatNodeTime(i)).toBe(t);
    }
  });

  it('keeps fewer fractional digits exact', () => {
    expect(parseNodeTime('2026-05-05T17:39:13.9')).toEqual({ ms: Date.UTC(2026, 4, 5, 17, 39, 13, 900), ns: 0 });
    expect(parseNodeTime('2026-05-05T17:39:13.02408')).toEqual({ ms: Date.UTC(2026, 4, 5, 17, 39, 13, 24), ns: 80_000 });
    expect(parseNodeTime('2026-05-05T17:39:13')).toEqual({ ms: Date.UTC(2026, 4, 5, 17, 39, 13), ns: 0 });
    expect(nodeInstant('2026-05-05T17:39:13.0240844071')).toEqual({ ms: Date.UTC(2026, 4, 5, 17, 39, 13, 24), ns: 84_407 });
  });

  it('refuses what is not a node time, where Date.parse would guess or roll over', () => {
    for (const t of [
      '2026-02-31T00:00:00.0',
      '2027-02-29T12:00:00',
      '2026-05-05T17:39:60',
      '2026-05-05T24:00:00',
      '2026-05-05 17:39:13',
      '2026-05-05T17:39:13.',
      '2026-05-05T17:39:13.1x',
      '+02026-05-05T17:39:13',
    ]) {
      expect(nodeTimeMs(t), t).toBeNaN();
      expect(() => parseNodeTime(t), t).toThrow(/not a node time/);
    }
    expect(nodeTimeMs('2028-02-29T12:00:00')).toBe(Date.UTC(2028, 1, 29, 12));
  });

  it('formats and parses back any instant; spans and sums are exact', () => {
    const instant = fc.record({ ms: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }), ns: fc.integer({ min: 0, max: 999_999 }) });
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 10 ** 15 }), (a, ns) => {
        expect(parseNodeTime(formatNodeTime(a))).toEqual(a);
        const b = addNs(a, ns);
        expect(nsBetween(a, b)).toBe(ns);
        expect(b.ns).toBeGreaterThanOrEqual(0);
        expect(b.ns).toBeLessThan(1_000_000);
      }),
    );
  });
});

describe('streams and hourly layout', () => {
  it('names each stream one way in both layouts', () => {
    expect(STREAM_NAMES.map((s) => STREAMS[s].prefix)).toEqual([...STREAM_PREFIXES]);
    for (const s of STREAM_NAMES) {
      expect(STREAMS[s].dir).toBe(`${STREAMS[s].prefix}_by_block`);
      expect(STREAMING_DIRS[s]).toBe(`${STREAMS[s].prefix}_streaming`);
      expect(byBlockDir('/d', STREAMS[s].prefix)).toBe(`/d/${STREAMS[s].dir}/hourly`);
      expect(streamingDir('/d', STREAMS[s].prefix)).toBe(`/d/${STREAMING_DIRS[s]}/hourly`);
    }
  });

  it('files a time under its UTC date and unpadded hour, and knows where that hour starts', () => {
    expect(hourOf(Date.UTC(2026, 0, 1, 0, 0))).toEqual({ date: '20260101', hour: '0' });
    expect(hourlyPath('/d/s', Date.UTC(2026, 11, 31, 23, 59, 59, 999))).toBe('/d/s/hourly/20261231/23');
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }), (ms) => {
        const { date, hour } = hourOf(ms);
        const start = hourStartMs(date, Number(hour));
        expect(ms - start).toBeGreaterThanOrEqual(0);
        expect(ms - start).toBeLessThan(3_600_000);
      }),
    );
  });
});
