/**
 * `npm run bench -- book`: the engine on real mainnet data (test/fixtures/mainnet-btc-985148181:
 * the BTC snapshot of 51,351 orders and the 25 blocks after it).
 *
 * - book.ingest: parse + apply of the 25 blocks, events/s; `ratio` = that time / a parse-only
 *   pass over the same lines in the same process (goal on the ratio).
 * - book.block_total: per block, parse + apply + all 7 L2 parameter sets of BTC, ms.
 * - book.snapshot_load: JSON.parse of the snapshot file + building the books, ms; and
 *   book.snapshot_heap: heap the built books hold, MB.
 * - book.l2_views: the 7 L2 parameter sets of BTC computed from scratch (from the levels'
 *   aggregates, bypassing the view cache), µs.
 *
 * Each figure is the median of interleaved repetitions (the machine is shared and noisy).
 * A full GC runs before each timed pass (when the flag can be set at run time), so that one
 * pass does not pay for the garbage of building the previous books: a server builds its
 * books once and then applies blocks for hours.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { aggregateSide, Books, l2Spec, type L2Params, type L4SnapshotFile } from '../src/book/index.js';
import { parseBlock } from './lines.js';
import type { Report } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(here, '..', '..', 'test', 'fixtures', 'mainnet-btc-985148181');
const HOUR = join('hourly', '20260505', '17.gz');

/** The 7 L2 parameter sets a server refreshes for a coin. */
export const L2_SETS: L2Params[] = [
  {},
  { nSigFigs: 5 },
  { nSigFigs: 5, mantissa: 2 },
  { nSigFigs: 5, mantissa: 5 },
  { nSigFigs: 4 },
  { nSigFigs: 3 },
  { nSigFigs: 2 },
];

function lines(stream: string): string[] {
  return gunzipSync(readFileSync(join(FIXTURE, 'hl', 'data', stream, HOUR)))
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function round(x: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}

function gcFunction(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

export function run(report: Report): void {
  const gc = gcFunction() ?? (() => undefined);
  const statusLines = lines('node_order_statuses_by_block');
  const diffLines = lines('node_raw_book_diffs_by_block');
  const fillLines = lines('node_fills_by_block');
  const nBlocks = statusLines.length;
  const snapshotText = gunzipSync(readFileSync(join(FIXTURE, 'snapshot-985148181.json.gz'))).toString('utf8');
  const snapshot = JSON.parse(snapshotText) as L4SnapshotFile;
  let events = 0;
  for (let i = 0; i < nBlocks; i++) {
    const b = parseBlock(statusLines[i]!, diffLines[i]!, fillLines[i]!);
    events += b.statuses.length + b.diffs.length + b.fills.length;
  }

  const parseOnly = (): number => {
    gc();
    const t0 = performance.now();
    let sink = 0;
    for (let i = 0; i < nBlocks; i++) sink += parseBlock(statusLines[i]!, diffLines[i]!, fillLines[i]!).height;
    const t = performance.now() - t0;
    if (sink === 0) throw new Error('unreachable');
    return t;
  };
  // Parts of the last timed pass of `ingest` (time stamps around each step: ~0.1 µs each).
  const parts = { parse: 0, apply: 0, views: 0 };
  const ingest = (books: Books, views: boolean): number => {
    // A server keeps its views (and their bucket indexes) from block to block: start from
    // that steady state, not from the one-time cost of a coin's first view.
    if (views) for (const p of L2_SETS) books.book('BTC')!.l2(p);
    gc();
    parts.parse = parts.apply = parts.views = 0;
    const t0 = performance.now();
    for (let i = 0; i < nBlocks; i++) {
      const a = performance.now();
      const block = parseBlock(statusLines[i]!, diffLines[i]!, fillLines[i]!);
      const b = performance.now();
      const ch = books.applyBlock(block);
      if (ch.desyncs.length > 0) throw ch.desyncs[0]!;
      const c = performance.now();
      parts.parse += b - a;
      parts.apply += c - b;
      if (views) {
        const btc = books.book('BTC')!;
        for (const p of L2_SETS) btc.l2(p);
        parts.views += performance.now() - c;
      }
    }
    return performance.now() - t0;
  };

  // Warm up every path, then interleave the runs so that noise hits them alike.
  for (let i = 0; i < 3; i++) {
    parseOnly();
    ingest(Books.fromSnapshot(snapshot), true);
  }
  const parseTimes: number[] = [];
  const ingestTimes: number[] = [];
  const totals: { ms: number; parse: number; apply: number; views: number }[] = [];
  for (let i = 0; i < 21; i++) {
    parseTimes.push(parseOnly());
    ingestTimes.push(ingest(Books.fromSnapshot(snapshot), false));
    totals.push({ ms: ingest(Books.fromSnapshot(snapshot), true), ...parts });
  }
  const parseMs = median(parseTimes);
  const ingestMs = median(ingestTimes);
  const ratio = ingestMs / parseMs;
  report({
    bench: 'book.ingest',
    value: Math.round(events / (ingestMs / 1000)),
    unit: 'events/s',
    ratio: round(ratio, 3),
    goal: '<= 1.5',
    met: ratio <= 1.5,
    blocks: nBlocks,
    events,
    ingestMs: round(ingestMs, 3),
    parseMs: round(parseMs, 3),
  });
  totals.sort((x, y) => x.ms - y.ms);
  const mid = totals[totals.length >> 1]!;
  // Judged on the parse-only pass of the same lines (the floor any reader pays), same run:
  // the absolute goal (3 ms, half the Rust server's 6.3) over its 1.89 ms on a quiet machine.
  const totalRatio = mid.ms / parseMs;
  report({
    bench: 'book.block_total',
    value: round(mid.ms / nBlocks, 3),
    unit: 'ms',
    ratio: round(totalRatio, 3),
    goal: '<= 1.6',
    met: totalRatio <= 1.6,
    baseline: 'parse-only pass of the same blocks',
    parseOnlyMsPerBlock: round(parseMs / nBlocks, 3),
    parseMsPerBlock: round(mid.parse / nBlocks, 3),
    applyMsPerBlock: round(mid.apply / nBlocks, 3),
    viewsMsPerBlock: round(mid.views / nBlocks, 3),
    l2Sets: L2_SETS.length,
    rustMsPerBlock: 6.3,
  });

  // Snapshot load: parse + build, then the heap the books keep.
  const parseSnap: number[] = [];
  const buildSnap: number[] = [];
  const loadSnap: number[] = [];
  for (let i = 0; i < 7; i++) {
    gc();
    const t0 = performance.now();
    const parsed = JSON.parse(snapshotText) as L4SnapshotFile;
    const t1 = performance.now();
    const books = Books.fromSnapshot(parsed);
    const t2 = performance.now();
    if (books.book('BTC')!.size !== 51_351) throw new Error('snapshot did not load');
    parseSnap.push(t1 - t0);
    buildSnap.push(t2 - t1);
    loadSnap.push(t2 - t0);
  }
  // Judged on the plain JSON.parse of the same text, same passes: the absolute goal (250 ms)
  // over its 116 ms on a quiet machine.
  const loadRatio = median(loadSnap) / median(parseSnap);
  report({
    bench: 'book.snapshot_load',
    value: round(median(loadSnap), 1),
    unit: 'ms',
    ratio: round(loadRatio, 3),
    goal: '<= 2.1',
    met: loadRatio <= 2.1,
    baseline: 'JSON.parse of the snapshot',
    parseMs: round(median(parseSnap), 1),
    buildMs: round(median(buildSnap), 1),
    orders: 51_351,
  });
  if (gcFunction() !== null) {
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept = Books.fromSnapshot(JSON.parse(snapshotText) as L4SnapshotFile);
    gc();
    gc();
    const after = process.memoryUsage().heapUsed;
    if (kept.book('BTC')!.size !== 51_351) throw new Error('snapshot did not load');
    report({ bench: 'book.snapshot_heap', value: round((after - before) / 2 ** 20, 1), unit: 'MB', orders: 51_351, note: 'parsed order objects included' });
  }

  // L2 views after the last block.
  const books = Books.fromSnapshot(snapshot);
  ingest(books, false);
  const btc = books.book('BTC')!;
  // From scratch: the aggregation a cache miss runs, bypassing the per-book view cache.
  const specs = L2_SETS.map((p) => l2Spec(p));
  const rounds = 200;
  const viewTimes: number[] = [];
  for (let r = 0; r < 15; r++) {
    gc();
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      for (const spec of specs) {
        aggregateSide(btc.levels('B'), true, spec);
        aggregateSide(btc.levels('A'), false, spec);
      }
    }
    viewTimes.push(((performance.now() - t0) * 1000) / rounds);
  }
  report({
    bench: 'book.l2_views',
    value: round(median(viewTimes), 1),
    unit: 'µs',
    l2Sets: L2_SETS.length,
    nLevels: 20,
    levels: btc.levels('B').length + btc.levels('A').length,
  });
}
