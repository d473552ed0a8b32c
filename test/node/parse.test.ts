import { describe, expect, it } from 'vitest';
import { ErrorCodes, HlobError } from '../../src/errors.js';
import { blockTimeMs, parseLine } from '../../src/node/parse.js';
import { fixtureLines } from './files.js';

function badLine(fn: () => unknown): HlobError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HlobError);
    expect((err as HlobError).code).toBe(ErrorCodes.BAD_LINE);
    return err as HlobError;
  }
  throw new Error('expected a BAD_LINE error');
}

describe('parseLine', () => {
  it('reads the real lines of all three streams into envelopes with their events', () => {
    const s = parseLine('statuses', fixtureLines('statuses')[0]!);
    const d = parseLine('diffs', fixtureLines('diffs')[0]!);
    const f = parseLine('fills', fixtureLines('fills')[0]!);
    for (const env of [s, d, f]) {
      expect(env.block_number).toBe(985148182);
      expect(env.block_time).toBe('2026-05-05T17:39:13.024084407');
    }
    expect(s.events.length).toBeGreaterThan(100);
    expect(s.events[0]!.order.oid).toBe(412036451268);
    expect(d.events[0]).toMatchObject({ coin: 'BTC', oid: 412036231803, raw_book_diff: { update: { origSz: '0.1804', newSz: '0.18007' } } });
    expect(f.events).toHaveLength(2);
    expect(f.events[0]![1].tid).toBe(316059956208702);
  });

  it('accepts a block with no events', () => {
    const env = parseLine('fills', '{"local_time":"2026-05-05T17:39:13.4","block_time":"2026-05-05T17:39:13.0","block_number":7,"events":[]}');
    expect(env.events).toEqual([]);
  });

  it('names the stream and the reason for a line cut short by a crash', () => {
    const line = fixtureLines('diffs')[0]!;
    const err = badLine(() => parseLine('diffs', line.slice(0, 300)));
    expect(err.message).toMatch(/node_raw_book_diffs_by_block line: not JSON/);
  });

  it('rejects envelopes without a usable block number, block time or events list', () => {
    expect(badLine(() => parseLine('fills', '[1,2]')).message).toMatch(/not a JSON object/);
    expect(badLine(() => parseLine('fills', '{"block_time":"2026-05-05T17:39:13.0","block_number":"7","events":[]}')).message).toMatch(/block_number "7"/);
    expect(badLine(() => parseLine('fills', '{"block_time":"yesterday","block_number":7,"events":[]}')).message).toMatch(
      /block 7: block_time "yesterday" is not a time/,
    );
    expect(badLine(() => parseLine('fills', '{"block_time":"2026-05-05T17:39:13.0","block_number":7,"events":{}}')).message).toMatch(/events is not an array/);
  });

  it('rejects an event that is not of its stream, naming its index', () => {
    const diff = { user: '0x1', oid: 5, coin: 'BTC', side: 'B', px: '1.0', raw_book_diff: 'remove' };
    const line = (events: unknown[]): string => JSON.stringify({ local_time: 'x', block_time: '2026-05-05T17:39:13.0', block_number: 9, events });
    expect(parseLine('diffs', line([diff])).events).toHaveLength(1);
    expect(badLine(() => parseLine('diffs', line([diff, { ...diff, side: 'X' }]))).message).toMatch(/block 9: events\[1\]: side "X"/);
    expect(badLine(() => parseLine('statuses', line([diff]))).message).toMatch(/events\[0\]: no status/);
    expect(badLine(() => parseLine('fills', line([diff]))).message).toMatch(/events\[0\]: not a \[user, fill\] pair/);
  });
});

describe('blockTimeMs', () => {
  it('reads the node time as UTC and truncates to the millisecond', () => {
    expect(blockTimeMs('2026-05-05T17:39:13.024084407')).toBe(Date.UTC(2026, 4, 5, 17, 39, 13, 24));
    expect(blockTimeMs('2026-05-05T17:39:13.9')).toBe(Date.UTC(2026, 4, 5, 17, 39, 13, 900));
    expect(blockTimeMs('2026-05-05T17:39:13')).toBe(Date.UTC(2026, 4, 5, 17, 39, 13, 0));
    expect(blockTimeMs('2026-05-05T17:39:13.5Z')).toBe(Date.UTC(2026, 4, 5, 17, 39, 13, 500));
  });

  it('is NaN for anything else', () => {
    for (const s of ['', '2026-05-05', '2026-05-05 17:39:13', '2026-13-05T17:39:13', '2026-05-05T17:39:13.', '2026-05-05T17:39:13.x']) {
      expect(blockTimeMs(s), s).toBeNaN();
    }
  });
});
