/**
 * `--book-updates` (env `HL_ORDERBOOK_BOOK_UPDATES`): parsed like the other serve options,
 * refused with a clear message when misspelt; also taken as `--publish intra-block` (the
 * issue's spelling; `--publish` also takes the NATS block log's URLs, in the same list), and
 * a warning when it cannot change anything (the by-block layout, an edge).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resolveServeConfig } from '../../src/config.js';
import { publishSettings, simulatedLayout, splitPublish, warnIntraBlock } from '../../src/cli/serve.js';
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

  it('takes --publish intra-block as --book-updates, beside NATS URLs in the same list, and refuses a contradiction', () => {
    expect(splitPublish('intra-block')).toEqual({ bookUpdates: 'intra-block', urls: undefined });
    expect(splitPublish('nats://127.0.0.1:4222')).toEqual({ bookUpdates: undefined, urls: 'nats://127.0.0.1:4222' });
    expect(splitPublish('intra-block, nats://a:4222,nats://b:4222')).toEqual({ bookUpdates: 'intra-block', urls: 'nats://a:4222,nats://b:4222' });
    expect(splitPublish(undefined)).toEqual({ bookUpdates: undefined, urls: undefined });
    expect(() => splitPublish('block,intra-block')).toThrow(/block and intra-block together/);

    const base = resolveServeConfig({}, {});
    const only = publishSettings(base, { publish: 'intra-block' }, {});
    expect(only.config.bookUpdates).toBe('intra-block');
    expect(only.nats).toBeNull();
    const both = publishSettings(base, {}, { HL_ORDERBOOK_PUBLISH: 'intra-block,nats://127.0.0.1:4222' });
    expect(both.config.bookUpdates).toBe('intra-block');
    expect(both.nats?.publish?.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(publishSettings(base, { publish: 'nats://127.0.0.1:4222' }, {}).config.bookUpdates).toBe('block');
    const intra = resolveServeConfig({ bookUpdates: 'intra-block' }, {});
    expect(() => publishSettings(intra, { publish: 'block' }, {})).toThrow(/--publish block and --book-updates intra-block disagree/);
    expect(() => publishSettings(base, { publish: 'intra-blok' }, {})).toThrow(/"intra-blok" is not nats:\/\/host:port/);
  });

  it('has the embedded simulated node write the layout asked for, and the streaming one for intra-block with --layout auto', () => {
    expect(simulatedLayout({ layout: 'auto', bookUpdates: 'block' })).toBe('by-block');
    expect(simulatedLayout({ layout: 'auto', bookUpdates: 'intra-block' })).toBe('streaming');
    expect(simulatedLayout({ layout: 'streaming', bookUpdates: 'block' })).toBe('streaming');
    expect(simulatedLayout({ layout: 'by-block', bookUpdates: 'intra-block' })).toBe('by-block');
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
