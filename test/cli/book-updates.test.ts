/**
 * `--book-updates` (env `HL_ORDERBOOK_BOOK_UPDATES`): parsed like the other serve options,
 * refused with a clear message when misspelt or given as `--publish intra-block` (the NATS
 * flag), and a warning when it cannot change anything (the by-block layout, an edge).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resolveServeConfig } from '../../src/config.js';
import { refuseBookUpdatesAsPublish, warnIntraBlock } from '../../src/cli/serve.js';
import { createLogger } from '../../src/log.js';

function captured(): { logger: ReturnType<typeof createLogger>; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { logger: createLogger({ stream, pretty: false }), lines: () => text.split('\n').filter(Boolean) };
}

describe('--book-updates', () => {
  it('defaults to block; takes intra-block from the flag or the variable; refuses anything else naming it', () => {
    expect(resolveServeConfig({}, {}).bookUpdates).toBe('block');
    expect(resolveServeConfig({ bookUpdates: 'intra-block' }, {}).bookUpdates).toBe('intra-block');
    expect(resolveServeConfig({}, { HL_ORDERBOOK_BOOK_UPDATES: 'intra-block' }).bookUpdates).toBe('intra-block');
    expect(() => resolveServeConfig({ bookUpdates: 'partial' }, {})).toThrow('--book-updates: expected block or intra-block, got "partial"');
  });

  it('refuses --publish intra-block (the NATS flag) naming --book-updates, and leaves NATS URLs alone', () => {
    expect(() => refuseBookUpdatesAsPublish('intra-block')).toThrow(/--book-updates intra-block/);
    expect(() => refuseBookUpdatesAsPublish('nats://127.0.0.1:4222')).not.toThrow();
    expect(() => refuseBookUpdatesAsPublish(undefined)).not.toThrow();
  });

  it('warns that intra-block changes nothing without the streaming layout, and says nothing with it', () => {
    const c = captured();
    warnIntraBlock({ bookUpdates: 'intra-block' }, 'streaming', c.logger);
    warnIntraBlock({ bookUpdates: 'block' }, 'by-block', c.logger);
    expect(c.lines()).toEqual([]);
    warnIntraBlock({ bookUpdates: 'intra-block' }, 'by-block', c.logger);
    const [line] = c.lines();
    expect(JSON.parse(line!)).toMatchObject({ level: 40, layout: 'by-block', msg: expect.stringMatching(/changes nothing.*streaming layout.*reads by-block/) });
  });
});
