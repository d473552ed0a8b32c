/**
 * `npm run bench -- scaleout`: what an edge costs per block against a core, same run, on the
 * real mainnet BTC blocks (test/fixtures).
 *
 * - `scaleout.edge_ingest_ratio`: CPU per block of an edge (decode the compact log message,
 *   apply) over a core's (parse the node's three lines, apply). Goal ≤ 0.3.
 * - `scaleout.log_bytes_ratio`: bytes of the compact message over the node's three lines.
 * - `scaleout.edge_ready_ratio`: loading the books from the snapshot as an edge does (the
 *   streaming reader over the file) over a plain `JSON.parse` of the same text.
 * - `scaleout.edge_lag_p99_ms`: a block applied on a core → the same block applied on an edge,
 *   through a real nats-server on this machine (skipped when nats-server is not installed);
 *   its ratio is to the core's own time per block (parse + apply) in the same run.
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
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { EventEmitter } from 'node:events';
import { createServer, createConnection } from 'node:net';
import type { Block, BlockChange } from '../src/book/index.js';
import type { BookFeed, FeedEventMap, FeedStatus } from '../src/state/feed.js';
import { BlockLogPublisher } from '../src/nats/publisher.js';
import { createEdgeFeed } from '../src/nats/edge.js';

/** A core's feed reduced to what the publisher reads: books, a status, `block` events. */
class BenchFeed extends EventEmitter<FeedEventMap> implements BookFeed {
  constructor(readonly books: Books) {
    super();
  }
  status(): FeedStatus {
    return { state: 'ready', height: this.books.height, time: 0, lagMs: 0, eventsPerSecond: 0, source: 'node', repairing: [] };
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  apply(block: Block): BlockChange {
    const c = this.books.applyBlock(block);
    this.emit('block', c);
    return c;
  }
}

function natsBinary(): string | undefined {
  for (const c of [process.env.HL_ORDERBOOK_NATS_SERVER, '/usr/sbin/nats-server', '/usr/bin/nats-server']) {
    if (c === undefined) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function edgeLag(report: Report, blocks: Block[], snapText: string, coreMsPerBlock: number): Promise<void> {
  const bin = natsBinary();
  if (bin === undefined) {
    process.stderr.write('scaleout.edge_lag_p99_ms: nats-server not installed, skipped\n');
    return;
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hlob-bench-nats-'));
  const nats = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
  try {
    for (;;) {
      const up = await new Promise<boolean>((r) => {
        const c = createConnection({ host: '127.0.0.1', port });
        c.once('connect', () => (c.destroy(), r(true)));
        c.once('error', () => r(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = `nats://127.0.0.1:${port}`;
    const feed = new BenchFeed(Books.fromSnapshot(JSON.parse(snapText) as L4SnapshotFile));
    const pub = new BlockLogPublisher({ connection: { servers: [url] }, snapshotEvery: 1_000 });
    pub.attach(feed);
    const stored = new Promise((r) => pub.once('snapshot', r));
    feed.apply(blocks[0]!);
    await stored;
    const edge = createEdgeFeed({ connection: { servers: [url] } });
    await edge.start();
    await new Promise<void>((r) => edge.once('reset', () => r()));
    const applied = new Map<number, number>();
    const lags: number[] = [];
    edge.on('block', (c) => lags.push(performance.now() - applied.get(c.height)!));
    for (const b of blocks.slice(1)) {
      const seen = new Promise<void>((r) => edge.once('block', () => r()));
      applied.set(b.height, performance.now());
      feed.apply(b);
      await seen;
    }
    await edge.stop();
    await pub.close();
    lags.sort((a, b) => a - b);
    const p99 = lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))]!;
    const p50 = lags[Math.floor(lags.length / 2)]!;
    report({
      bench: 'scaleout.edge_lag_p99_ms',
      value: p99,
      unit: 'ms',
      ratio: p99 / coreMsPerBlock,
      p50_ms: p50,
      samples: lags.length,
      core_ms_per_block: coreMsPerBlock,
    });
  } finally {
    nats.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

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
  report({
    bench: 'scaleout.edge_ingest_ratio',
    value: ratio,
    unit: 'ratio',
    ratio,
    goal: '<= 0.3',
    core_ms_per_block: core,
    edge_ms_per_block: edge,
    blocks: n,
  });
  report({
    bench: 'scaleout.log_bytes_ratio',
    value: msgBytes / lineBytes,
    unit: 'ratio',
    ratio: msgBytes / lineBytes,
    log_bytes_per_block: msgBytes / n,
    node_bytes_per_block: lineBytes / n,
  });

  await edgeLag(
    report,
    Array.from({ length: n }, (_, i) => parseBlock(s[i]!, d[i]!, f[i]!)),
    snapText,
    core,
  );

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
    report({
      bench: 'scaleout.edge_ready_ratio',
      value: loadMs / parseMs,
      unit: 'ratio',
      ratio: loadMs / parseMs,
      load_ms: loadMs,
      json_parse_ms: parseMs,
      bytes: snapText.length,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
