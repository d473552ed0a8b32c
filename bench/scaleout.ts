/**
 * `npm run bench -- scaleout`: what an edge costs per block against a core, same run, on the
 * real mainnet BTC blocks (test/fixtures).
 *
 * - `scaleout.edge_ingest_ratio`: CPU per block of an edge (decode the compact log message,
 *   apply) over a core's (parse the node's three lines, apply). Goal ≤ 0.3.
 * - `scaleout.log_bytes_ratio`: bytes of the compact message over the node's three lines.
 * - `scaleout.edge_ready_ratio`: loading the books from the snapshot as an edge does (the
 *   streaming reader over the file) over a plain `JSON.parse` of the same text.
 * The edge's lag through a live nats-server (`scaleout.edge_lag_p99_ms`) is not measured yet.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { Books } from '../src/book/books.js';
import type { L4SnapshotFile } from '../src/book/events.js';
import { decodeBlock, encodeBlock } from '../src/nats/codec.js';
import { loadBooks } from '../src/state/load-books.js';
import { parseBlock } from './lines.js';
import type { Report } from './run.js';

const FIX = join(process.cwd(), 'test', 'fixtures', 'mainnet-btc-985148181');
const DIRS = { statuses: 'node_order_statuses_by_block', diffs: 'node_raw_book_diffs_by_block', fills: 'node_fills_by_block' };

function lines(dir: string): string[] {
  return gunzipSync(readFileSync(join(FIX, 'hl', 'data', dir, 'hourly', '20260505', '17.gz')))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

export async function run(report: Report): Promise<void> {
  const s = lines(DIRS.statuses);
  const d = lines(DIRS.diffs);
  const f = lines(DIRS.fills);
  const snapText = gunzipSync(readFileSync(join(FIX, 'snapshot-985148181.json.gz'))).toString('utf8');
  const n = s.length;
  const messages = Array.from({ length: n }, (_, i) => encodeBlock(parseBlock(s[i]!, d[i]!, f[i]!)));
  const lineBytes = s.reduce((a, l, i) => a + l.length + d[i]!.length + f[i]!.length, 0);
  const msgBytes = messages.reduce((a, m) => a + m.length, 0);
  const rounds = 20;
  const time = (fn: (books: Books, i: number) => void): number => {
    let total = 0;
    for (let r = 0; r < rounds; r++) {
      const books = Books.fromSnapshot(JSON.parse(snapText) as L4SnapshotFile);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn(books, i);
      total += performance.now() - t0;
    }
    return total / (rounds * n);
  };
  time((b, i) => b.applyBlock(parseBlock(s[i]!, d[i]!, f[i]!))); // warm up
  const core = time((b, i) => b.applyBlock(parseBlock(s[i]!, d[i]!, f[i]!)));
  const edge = time((b, i) => b.applyBlock(decodeBlock(messages[i]!).block));
  const ratio = edge / core;
  report({ bench: 'scaleout.edge_ingest_ratio', value: ratio, unit: 'ratio', ratio, goal: '<= 0.3', core_ms_per_block: core, edge_ms_per_block: edge, blocks: n });
  report({ bench: 'scaleout.log_bytes_ratio', value: msgBytes / lineBytes, unit: 'ratio', ratio: msgBytes / lineBytes, log_bytes_per_block: msgBytes / n, node_bytes_per_block: lineBytes / n });

  const dir = mkdtempSync(join(tmpdir(), 'hlob-bench-scaleout-'));
  try {
    const path = join(dir, 'snap.json');
    writeFileSync(path, snapText);
    let parseMs = Infinity;
    let loadMs = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      JSON.parse(readFileSync(path, 'utf8'));
      parseMs = Math.min(parseMs, performance.now() - t0);
      const t1 = performance.now();
      await loadBooks(path, { sliceMs: 4 });
      loadMs = Math.min(loadMs, performance.now() - t1);
    }
    report({ bench: 'scaleout.edge_ready_ratio', value: loadMs / parseMs, unit: 'ratio', ratio: loadMs / parseMs, load_ms: loadMs, json_parse_ms: parseMs, bytes: snapText.length });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
