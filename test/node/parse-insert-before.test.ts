/** A raw book diffs line of today's node format keeps `insertBefore` through parsing, as text or as bytes. */
import { describe, expect, it } from 'vitest';
import { parseLine, parseLineBytes } from '../../src/node/parse.js';

const LINE =
  '{"local_time":"2026-07-20T10:00:00.100","block_time":"2026-07-20T10:00:00.000","block_number":1100000000,"events":[' +
  '{"user":"0xa","oid":405401002900,"coin":"BTC","side":"B","px":"81307.0","raw_book_diff":{"new":{"sz":"1.5","insertBefore":405401002864}}},' +
  '{"user":"0xb","oid":405401002901,"coin":"BTC","side":"A","px":"81308.0","raw_book_diff":{"new":{"sz":"0.1","insertBefore":null}}},' +
  '{"user":"0xc","oid":405401002902,"coin":"BTC","side":"A","px":"81309.0","raw_book_diff":{"new":{"sz":"0.2"}}}]}';

describe('parsing insertBefore', () => {
  it('keeps the field (an oid or null) and its absence, from a string and from bytes', () => {
    for (const env of [parseLine('diffs', LINE), parseLineBytes('diffs', Buffer.from(LINE))]) {
      expect(env.events.map((e) => e.raw_book_diff)).toEqual([
        { new: { sz: '1.5', insertBefore: 405401002864 } },
        { new: { sz: '0.1', insertBefore: null } },
        { new: { sz: '0.2' } },
      ]);
      // Serialized again (as l4Book Updates do), byte for byte as the node wrote the events.
      expect(JSON.stringify(env.events)).toBe(LINE.slice(LINE.indexOf('[{'), -1));
    }
  });
});
