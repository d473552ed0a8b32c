/**
 * Parity of the two layouts on the real capture (test/fixtures/mainnet-btc-985148181, the
 * same 25 blocks written by-block and streaming): the blocks read from each, the books after
 * every block, and the frames on every channel are the same.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Books, type Block } from '../../src/book/index.js';
import type { JoinedBlock } from '../../src/node/joiner.js';
import { FileBlockSource } from '../../src/node/file-source.js';
import type { NodeLayout } from '../../src/node/layout.js';
import type { Frame, TestClient } from '../server/helpers/client.js';
import { harness } from '../server/helpers/harness.js';
import { loadSnapshot } from '../server/helpers/fixtures.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'mainnet-btc-985148181', 'hl', 'data');
// The capture's last block: in the streaming layout nothing comes after it, it closes on the quiet (blockIdleMs).
const LAST = 985148206;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hlob-parity-'));
  // Two data dirs, one per layout, with the capture's files unzipped.
  for (const layout of ['by_block', 'streaming']) {
    for (const stream of ['node_order_statuses', 'node_raw_book_diffs', 'node_fills']) {
      const src = join(FIXTURE, `${stream}_${layout}`, 'hourly', '20260505');
      const dst = join(root, layout, `${stream}_${layout}`, 'hourly', '20260505');
      mkdirSync(dst, { recursive: true });
      for (const f of readdirSync(src)) writeFileSync(join(dst, f.replace(/\.gz$/, '')), gunzipSync(readFileSync(join(src, f))));
    }
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every block the layout's source emits up to `last`. */
async function read(layout: NodeLayout, last: number): Promise<Block[]> {
  const src = new FileBlockSource({
    dataDir: join(root, layout === 'by-block' ? 'by_block' : 'streaming'),
    tailer: { backfillBytes: 1 << 30, watch: false, pollMs: 20 },
  });
  const blocks: Block[] = [];
  const done = new Promise<void>((resolve, reject) => {
    src.on('block', (jb: JoinedBlock) => {
      blocks.push(jb.block);
      if (jb.block.height >= last) resolve();
    });
    src.on('gap', (g) => reject(g.error));
  });
  await src.start();
  expect(src.layout).toBe(layout);
  await done;
  await src.stop();
  return blocks;
}

/** Every frame before the pong of a ping sent now (generous: two 18 MB l4Book Snapshots may be on the way on a loaded machine). */
async function untilPong(c: TestClient): Promise<Frame[]> {
  const start = c.frames.length;
  c.send({ method: 'ping' });
  const pong = await c.next((f) => f.channel === 'pong', 120_000);
  return c.frames.slice(start, c.frames.indexOf(pong, start));
}

const json = (b: Block): string => JSON.stringify({ ...b, time: 0 });

describe('streaming layout parity with by-block, on the real capture', () => {
  let byBlock: Block[];
  let streaming: Block[];
  beforeAll(async () => {
    byBlock = await read('by-block', LAST);
    streaming = await read('streaming', LAST);
  });

  it('reads the same blocks: heights, times, every event in node order (fill halves on separate lines joined)', () => {
    expect(streaming.map((b) => b.height)).toEqual(byBlock.map((b) => b.height));
    expect(streaming[0]!.height).toBe(985148182);
    for (let i = 0; i < byBlock.length; i++) {
      const a = byBlock[i]!;
      const b = streaming[i]!;
      expect(json(b)).toBe(json(a));
      // Block 985148193 has no line at all in the streaming files: an empty block at the previous block's time.
      if (a.statuses.length + a.diffs.length + a.fills.length > 0) expect(b.time).toBe(a.time);
    }
  });

  it('gives the same book after every block', { timeout: 180_000 }, () => {
    const x = Books.fromSnapshot(loadSnapshot());
    const y = Books.fromSnapshot(loadSnapshot());
    for (let i = 0; i < byBlock.length; i++) {
      const cx = x.applyBlock(byBlock[i]!);
      const cy = y.applyBlock(streaming[i]!);
      expect(cx.desyncs).toEqual([]);
      expect(cy.desyncs).toEqual([]);
      expect([...cy.trades]).toEqual([...cx.trades]);
      expect(y.book('BTC')!.compareBook(x.book('BTC')!)).toBeNull();
    }
    expect(x.book('BTC')!.l2({ nSigFigs: null, mantissa: null, nLevels: 5 })).toEqual(y.book('BTC')!.l2({ nSigFigs: null, mantissa: null, nLevels: 5 }));
  });

  it('sends the same frames on every channel', { timeout: 300_000 }, async () => {
    const subs = [
      { type: 'l2Book', coin: 'BTC' },
      { type: 'l2Book', coin: 'BTC', nSigFigs: 5 },
      { type: 'l2Book', coin: 'BTC', nSigFigs: 5, mantissa: 2 },
      { type: 'l2Book', coin: 'BTC', nSigFigs: 3 },
      { type: 'bbo', coin: 'BTC' },
      { type: 'trades', coin: 'BTC' },
      { type: 'allMids' },
      { type: 'l4Book', coin: 'BTC' },
      { type: 'l4Book', coin: 'BTC', bookOnly: true },
      { type: 'candle', coin: 'BTC', interval: '1m' },
      { type: 'candle', coin: 'BTC', interval: '1h' },
    ];
    const run = async (blocks: Block[]): Promise<string[][]> => {
      // No l2Book heartbeat (a wall-clock re-send) inside the comparison: on a loaded machine
      // the runs take longer than its 5 s and it would add frames to whichever block is open.
      const h = await harness({ l2HeartbeatMs: 3_600_000 });
      try {
        h.feed.load(loadSnapshot(), blocks[0]!.time - 70);
        const c = await h.client();
        for (const s of subs) c.send({ method: 'subscribe', subscription: s });
        await untilPong(c);
        const perBlock: string[][] = [];
        for (const b of blocks) {
          // The empty block's time is the one thing the streaming files do not tell: compare what it changes.
          h.feed.apply(b);
          perBlock.push((await untilPong(c)).map((f) => JSON.stringify(f)));
        }
        return perBlock;
      } finally {
        await h.close();
      }
    };
    const a = await run(byBlock);
    const b = await run(streaming);
    expect(a.flat().length).toBeGreaterThan(byBlock.length);
    const channels = new Set(a.flat().map((f) => (JSON.parse(f) as { channel: string }).channel));
    for (const ch of ['l2Book', 'bbo', 'trades', 'l4Book', 'candle']) expect(channels).toContain(ch);
    expect(b).toEqual(a);
  });
});
