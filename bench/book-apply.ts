/**
 * `node --expose-gc dist/bench/book-apply.js [root] [passes]`: `Books.applyBlock` alone over
 * the 25 blocks of test/fixtures/mainnet-btc-985148181, the part of `book.block_total` that
 * the engine owns. Each pass builds the books from the snapshot, runs a full GC, then times
 * the 25 blocks; prints the median and the fastest pass, ms.
 *
 * `root` (default: this checkout) is a built checkout whose `dist/` is loaded, so that two
 * versions can be run alternately from one place: `node --expose-gc dist/bench/book-apply.js
 * ../other-worktree`. Not part of `npm run bench`: a tool for comparing commits.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Block, Books, L4SnapshotFile } from '../src/book/index.js';

interface Engine {
  Books: { fromSnapshot(s: L4SnapshotFile): Books };
}
interface Lines {
  parseBlock(statusLine: string, diffLine: string, fillLine: string): Block;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(process.argv[2] ?? join(here, '..', '..'));
const passes = Number(process.argv[3] ?? 60);
const fixture = join(root, 'test', 'fixtures', 'mainnet-btc-985148181');
const hour = join('hourly', '20260505', '17.gz');

const { Books: BooksOf } = (await import(pathToFileURL(join(root, 'dist', 'src', 'book', 'books.js')).href)) as Engine;
const { parseBlock } = (await import(pathToFileURL(join(root, 'dist', 'bench', 'lines.js')).href)) as Lines;
const lines = (stream: string): string[] =>
  gunzipSync(readFileSync(join(fixture, 'hl', 'data', stream, hour)))
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
const statuses = lines('node_order_statuses_by_block');
const diffs = lines('node_raw_book_diffs_by_block');
const fills = lines('node_fills_by_block');
const snapshot = JSON.parse(gunzipSync(readFileSync(join(fixture, 'snapshot-985148181.json.gz'))).toString('utf8')) as L4SnapshotFile;
const blocks = statuses.map((s, i) => parseBlock(s, diffs[i]!, fills[i]!));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const times: number[] = [];
for (let r = 0; r < passes; r++) {
  const books = BooksOf.fromSnapshot(snapshot);
  gc();
  const t0 = performance.now();
  for (const b of blocks) books.applyBlock(b);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`${root}: apply of ${blocks.length} blocks, ${passes} passes: median ${times[times.length >> 1]!.toFixed(3)} ms, min ${times[0]!.toFixed(3)} ms`);
