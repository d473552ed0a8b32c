/**
 * `--book-updates intra-block` on the real capture (test/fixtures/mainnet-btc-985148181):
 *
 * - the streaming lines, pushed in the order the node wrote them (`local_time`) through the
 *   `StreamJoiner`, give each block's diffs once, in order, as `partial` before the block;
 * - replayed to a server with intra-block on, every block's full (non-partial) frames are the
 *   by-block replay's frames (plus, where a partial went out, the full state re-sent: the
 *   boundary), and every partial frame arrives before its block's full frame, at its block's
 *   time, with the levels of the books after that prefix of the block's diffs;
 * - the real `FileBlockSource` reading the streaming files emits `partial` too (coarser: a
 *   replay reads whole files), each block's diffs once.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Books, type Block, type BookDiffEvent, type L2Levels, type L2Level } from '../../src/book/index.js';
import type { PartialBlock } from '../../src/node/block-source.js';
import { FileBlockSource } from '../../src/node/file-source.js';
import { parseLineBytes } from '../../src/node/parse.js';
import { StreamJoiner } from '../../src/node/stream-joiner.js';
import type { StreamName } from '../../src/node/types.js';
import type { Frame, TestClient } from './helpers/client.js';
import { loadBlocks, loadSnapshot } from './helpers/fixtures.js';
import { harness } from './helpers/harness.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'mainnet-btc-985148181', 'hl', 'data');
const DIRS: Record<StreamName, string> = { statuses: 'node_order_statuses_streaming', diffs: 'node_raw_book_diffs_streaming', fills: 'node_fills_streaming' };

type Event = { kind: 'partial'; p: PartialBlock } | { kind: 'block'; block: Block };

function streamingLines(): { stream: StreamName; localTime: string; bytes: Buffer }[] {
  const out: { stream: StreamName; localTime: string; bytes: Buffer }[] = [];
  for (const stream of Object.keys(DIRS) as StreamName[]) {
    const text = gunzipSync(readFileSync(join(FIXTURE, DIRS[stream], 'hourly', '20260505', '17.gz'))).toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      out.push({ stream, localTime: (JSON.parse(line) as { local_time: string }).local_time, bytes: Buffer.from(line) });
    }
  }
  // As the node wrote them (statuses, then diffs, then fills of one event on a tie).
  return out.sort((a, b) => (a.localTime < b.localTime ? -1 : a.localTime > b.localTime ? 1 : 0));
}

/** The joiner's output for the lines in write order: blocks and partials, interleaved as they came. */
function joinInWriteOrder(): Event[] {
  const events: Event[] = [];
  const j = new StreamJoiner(
    { block: (jb) => events.push({ kind: 'block', block: jb.block }), gap: (g) => expect.fail(g.error.message) },
    { blockCloseMs: 0, blockIdleMs: 0, partial: (p) => events.push({ kind: 'partial', p }) },
  );
  for (const s of Object.keys(DIRS) as StreamName[]) j.markWhole(s);
  for (const l of streamingLines()) j.push(l.stream, parseLineBytes(l.stream, l.bytes), l.bytes.length);
  j.close();
  return events;
}

const SUBS = [
  { type: 'l2Book', coin: 'BTC' },
  { type: 'l2Book', coin: 'BTC', nSigFigs: 5, mantissa: 2 },
  { type: 'l2Book', coin: 'BTC', nSigFigs: 3 },
  { type: 'l2Book', coin: 'BTC', nSigFigs: 5, nLevels: 3 },
  { type: 'bbo', coin: 'BTC' },
] as const;

type Data = { coin: string; time: number; levels?: L2Levels; bbo?: [L2Level | null, L2Level | null]; partial?: true };

/** What one subscription shows of the books: its levels, or its best bid and ask. */
function expected(books: Books, sub: (typeof SUBS)[number]): unknown {
  const b = books.book('BTC')!;
  if (sub.type === 'bbo') return b.bbo();
  return b.l2({
    nSigFigs: 'nSigFigs' in sub ? sub.nSigFigs : null,
    mantissa: 'mantissa' in sub ? sub.mantissa : null,
    nLevels: 'nLevels' in sub ? sub.nLevels : 20,
  });
}
const shown = (d: Data): unknown => d.levels ?? d.bbo;

async function untilPong(c: TestClient): Promise<Frame[]> {
  return c.untilPong();
}

describe('intra-block frames on the real capture', () => {
  let events: Event[];
  let blocks: Block[];
  beforeAll(() => {
    events = joinInWriteOrder();
    blocks = events.flatMap((e) => (e.kind === 'block' ? [e.block] : []));
  });

  it('the streaming joiner announces each block diffs once, in order, before the block, with the block time', () => {
    const byBlock = new Map(loadBlocks().map((b) => [b.height, b]));
    expect(blocks.length).toBeGreaterThan(20);
    const seen = new Map<number, BookDiffEvent[]>();
    let partials = 0;
    let lastClosed: number | undefined;
    for (const e of events) {
      if (e.kind === 'partial') {
        partials++;
        const got = seen.get(e.p.height) ?? [];
        expect(e.p.from).toBe(got.length);
        got.push(...e.p.diffs);
        seen.set(e.p.height, got);
        expect(e.p.time).toBe(byBlock.get(e.p.height)!.time);
        // Only the next block: the one after the last closed.
        if (lastClosed !== undefined) expect(e.p.height).toBe(lastClosed + 1);
      } else {
        lastClosed = e.block.height;
        expect(e.block.diffs).toEqual(byBlock.get(e.block.height)!.diffs);
        expect(seen.get(e.block.height) ?? []).toEqual(e.block.diffs);
      }
    }
    // Far more partial events than blocks: the lines came one by one.
    expect(partials).toBeGreaterThan(blocks.length * 5);
  });

  it('full frames as by-block, partial frames before them with the levels after each prefix', { timeout: 300_000 }, async () => {
    const byBlockFrames = async (): Promise<Data[][][]> => {
      const h = await harness({ l2HeartbeatMs: 3_600_000 });
      try {
        h.feed.load(loadSnapshot(), blocks[0]!.time - 70);
        const clients = await Promise.all(SUBS.map(() => h.client()));
        for (let i = 0; i < SUBS.length; i++) clients[i]!.send({ method: 'subscribe', subscription: SUBS[i] });
        for (const c of clients) await untilPong(c);
        const per: Data[][][] = [];
        for (const b of blocks) {
          h.feed.apply(b);
          per.push(await Promise.all(clients.map(async (c) => (await untilPong(c)).map((f) => f.data as Data))));
        }
        return per;
      } finally {
        await h.close();
      }
    };
    const a = await byBlockFrames();

    const h = await harness({ l2HeartbeatMs: 3_600_000, intraBlock: true });
    try {
      h.feed.load(loadSnapshot(), blocks[0]!.time - 70);
      // The books as the partial frames should show them: every diff announced so far applied.
      const shadow = Books.fromSnapshot(loadSnapshot());
      const clients = await Promise.all(SUBS.map(() => h.client()));
      for (let i = 0; i < SUBS.length; i++) clients[i]!.send({ method: 'subscribe', subscription: SUBS[i] });
      const last: unknown[] = [];
      for (let i = 0; i < SUBS.length; i++) {
        const first = await untilPong(clients[i]!);
        last[i] = shown(first.find((f) => f.channel !== 'subscriptionResponse')!.data as Data);
      }
      let partialFrames = 0;
      let boundaries = 0;
      let bi = 0;
      const partialIn = new Set<number>();
      for (const e of events) {
        if (e.kind === 'partial') {
          h.feed.partial(e.p);
          shadow.applyBlock({ height: e.p.height, time: e.p.time, statuses: [], fills: [], diffs: [...e.p.diffs] }, { only: new Set(['BTC']) });
          for (let i = 0; i < SUBS.length; i++) {
            const got = (await untilPong(clients[i]!)).map((f) => f.data as Data);
            expect(got.length).toBeLessThanOrEqual(1);
            for (const d of got) {
              expect(d.partial).toBe(true);
              expect(d.time).toBe(e.p.time);
              last[i] = shown(d);
              partialFrames++;
              partialIn.add(i);
            }
            // Sent or not, what the client holds is the books after this prefix.
            expect(last[i]).toEqual(expected(shadow, SUBS[i]!));
          }
          continue;
        }
        h.feed.apply(e.block);
        for (let i = 0; i < SUBS.length; i++) {
          const got = (await untilPong(clients[i]!)).map((f) => f.data as Data);
          const want = a[bi]![i]!;
          for (const d of got) expect(d.partial).toBeUndefined();
          if (partialIn.has(i)) {
            // A partial went out in this block: its full frame always follows (the boundary), the by-block one or the state re-sent.
            expect(got.length).toBe(1);
            boundaries++;
            if (want.length > 0) expect(got).toEqual(want);
            else expect(shown(got[0]!)).toEqual(last[i]);
          } else {
            expect(got).toEqual(want);
          }
          if (got.length > 0) last[i] = shown(got[got.length - 1]!);
          expect(last[i]).toEqual(expected(h.feed.books, SUBS[i]!));
          expect(last[i]).toEqual(expected(shadow, SUBS[i]!));
        }
        partialIn.clear();
        bi++;
      }
      expect(bi).toBe(blocks.length);
      expect(partialFrames).toBeGreaterThan(blocks.length);
      expect(boundaries).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });

  describe('FileBlockSource (streaming files read whole)', () => {
    let root: string;
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'hlob-intra-'));
      for (const dir of Object.values(DIRS)) {
        const dst = join(root, dir, 'hourly', '20260505');
        mkdirSync(dst, { recursive: true });
        const src = join(FIXTURE, dir, 'hourly', '20260505');
        for (const f of readdirSync(src)) writeFileSync(join(dst, f.replace(/\.gz$/, '')), gunzipSync(readFileSync(join(src, f))));
      }
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('emits partial diffs of the next block, each once, and the blocks as before', { timeout: 60_000 }, async () => {
      const src = new FileBlockSource({ dataDir: root, layout: 'streaming', tailer: { backfillBytes: 1 << 30, watch: false, pollMs: 20 } });
      const got = new Map<number, BookDiffEvent[]>();
      const closed: Block[] = [];
      src.on('partial', (p) => {
        // Never a block already closed.
        expect(p.height).toBeGreaterThan(closed[closed.length - 1]?.height ?? 0);
        const l = got.get(p.height) ?? [];
        expect(p.from).toBe(l.length);
        got.set(p.height, [...l, ...p.diffs]);
      });
      const done = new Promise<void>((resolve, reject) => {
        src.on('block', (jb) => {
          closed.push(jb.block);
          if (jb.block.height >= blocks[blocks.length - 1]!.height) resolve();
        });
        src.on('gap', (g) => reject(g.error));
      });
      await src.start();
      await done;
      await src.stop();
      for (const b of closed) if (got.has(b.height)) expect(got.get(b.height)).toEqual(b.diffs);
      expect(got.size).toBeGreaterThan(0);
    });
  });
});
