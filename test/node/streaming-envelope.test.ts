/**
 * Streaming statuses lines repeat their block's envelope: the scan reuses the last parsed
 * block time and number when the head after `local_time` is the same text. It must read
 * exactly what a full `JSON.parse` reads, line after line, across block changes, and leave
 * an odd head to the full parse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseLine, scanStatusesBytes } from '../../src/node/parse.js';
import { FIXTURES } from './files.js';

const file = join(FIXTURES, 'mainnet-btc-985148181', 'hl', 'data', 'node_order_statuses_streaming', 'hourly', '20260505', '17.gz');
const head = (l: { local_time: string; block_time: string; block_number: number }) => [l.local_time, l.block_time, l.block_number];

describe('streaming statuses envelopes', () => {
  it('agree with JSON.parse on every line of the real capture, in file order (block after block)', () => {
    const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(20_000);
    let heights = 0;
    let last = -1;
    for (const l of lines) {
      const full = JSON.parse(l) as { local_time: string; block_time: string; block_number: number; events: unknown[] };
      const fast = scanStatusesBytes(Buffer.from(l))!;
      expect(head(fast)).toEqual(head(full));
      expect(fast.events).toHaveLength(full.events.length);
      if (full.block_number !== last) heights++;
      last = full.block_number;
    }
    expect(heights).toBeGreaterThan(20);
  });

  it('reads a changed block time or number, and leaves a local_time with a quote to the full parse', () => {
    const ev =
      '{"time":"2026-05-05T17:39:13.1","user":"0x1","hash":null,"builder":null,"status":"canceled","order":{"coin":"BTC","side":"B","limitPx":"1.0","sz":"1.0","oid":5,"timestamp":1,"origSz":"1.0","cloid":null}}';
    const line = (lt: string, bt: string, h: number) => `{"local_time":"${lt}","block_time":"${bt}","block_number":${h},"events":[${ev}]}`;
    const a = parseLine('statuses', line('2026-05-05T17:39:14.1', '2026-05-05T17:39:13.0', 7));
    expect(head(a)).toEqual(['2026-05-05T17:39:14.1', '2026-05-05T17:39:13.0', 7]);
    // Same length, another number: parsed again.
    expect(head(parseLine('statuses', line('2026-05-05T17:39:14.2', '2026-05-05T17:39:13.0', 8)))).toEqual([
      '2026-05-05T17:39:14.2',
      '2026-05-05T17:39:13.0',
      8,
    ]);
    expect(head(parseLine('statuses', line('2026-05-05T17:39:14.3', '2026-05-05T17:39:13.5', 8)))).toEqual([
      '2026-05-05T17:39:14.3',
      '2026-05-05T17:39:13.5',
      8,
    ]);
    expect(head(parseLine('statuses', line('2026-05-05T17:39:14.4', '2026-05-05T17:39:13.5', 8)))).toEqual([
      '2026-05-05T17:39:14.4',
      '2026-05-05T17:39:13.5',
      8,
    ]);
    // An escaped quote in local_time: the full parse decodes it.
    expect(parseLine('statuses', line('x\\"y', '2026-05-05T17:39:13.5', 8)).local_time).toBe('x"y');
    // A bad block time after a good line: still refused.
    expect(() => parseLine('statuses', line('2026-05-05T17:39:14.5', 'not a time', 8))).toThrow(/block_time/);
  });
});
