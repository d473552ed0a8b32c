/**
 * `npm run bench -- scaleout`: what an edge costs per block against a core, same run, on the
 * real mainnet BTC blocks (test/fixtures).
 *
 * - `scaleout.edge_ingest_ratio`: CPU per block of an edge (decode the log message as NATS
 *   delivers it, apply) over a core's (parse the node's three lines from the bytes the tailer
 *   reads, as FileBlockSource does, apply). Goal ≤ 0.3. Beside it: the ratio to a core parsing
 *   from strings (the lines already decoded: what this bench measured first), and decode and
 *   parse alone. How CPU is measured: `ingestCpu`.
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
import { blockTimeMs, parseLineBytes } from '../src/node/parse.js';
import type { Report } from './run.js';
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { EventEmitter } from 'node:events';
import { createServer, createConnection } from 'node:net';
import type { Block, BlockChange } from '../src/book/index.js';
import type { BookFeed, FeedEventMap, FeedStatus } from '../src/state/feed.js';
import { BlockLogPublisher } from '../src/nats/publisher.js';
import { createEdgeFeed } from '../src/nats/edge.js';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

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

/**
 * What the NATS client costs an edge per block: CPU of this process while an ordered consumer
 * (the edge's) reads `count` messages of the log's real sizes already in a stream, doing
 * nothing with them (nats-server is another process: not counted). No acks: an ordered
 * consumer has none.
 */
async function natsClientMs(url: string, messages: Uint8Array[], count: number): Promise<number> {
  const nc = await connect({ servers: url.replace('nats://', '') });
  try {
    await (await jetstreamManager(nc)).streams.add({ name: 'BENCH_CLIENT', subjects: ['bench.client'] });
    const js = jetstream(nc);
    for (let i = 0; i < count; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, count - i) }, (_, k) => js.publish('bench.client', messages[(i + k) % messages.length]!, { msgID: String(i + k) })),
      );
    }
    const consumer = await js.consumers.get('BENCH_CLIENT', { deliver_policy: DeliverPolicy.All });
    const c0 = process.cpuUsage();
    const it = await consumer.consume({ max_messages: 512 });
    let seen = 0;
    let ids = 0;
    for await (const m of it) {
      // The edge reads each message's id (its height) and bytes; nothing more here.
      if (m.headers?.get('Nats-Msg-Id') !== undefined && m.data.length > 0) ids++;
      if (++seen === count) break;
    }
    if (ids !== count) throw new Error(`bench: ${count - ids} messages without an id`);
    const c = process.cpuUsage(c0);
    await it.close();
    return (c.user + c.system) / 1000 / count;
  } finally {
    await nc.close();
  }
}

async function edgeLag(
  report: Report,
  blocks: Block[],
  snapText: string,
  coreMsPerBlock: number,
  messages: Uint8Array[],
  edgeMsPerBlock: number,
): Promise<void> {
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
    const clientMs = await natsClientMs(url, messages, 2_000);
    report({
      bench: 'scaleout.edge_nats_client_ms_per_block',
      value: clientMs,
      unit: 'ms',
      ratio: clientMs / coreMsPerBlock,
      messages: 2_000,
      bytes_per_message: messages.reduce((a, m) => a + m.length, 0) / messages.length,
      // The edge's whole ingest per block (client + decode + apply) over the core's parse + apply.
      edge_with_client_ratio: (clientMs + edgeMsPerBlock) / coreMsPerBlock,
      core_ms_per_block: coreMsPerBlock,
    });
  } finally {
    nats.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * CPU ms per block of each side (`process.cpuUsage`, the whole process: the JIT's and the
 * GC's threads included), each pass applying the real blocks to fresh books from the
 * snapshot. The fresh books are built in batches before any pass of the batch is timed, and
 * the sides alternate: building one (~11 MB of objects for BTC) makes the garbage whose
 * collection, when a pass is timed right after its own setup, fell inside that pass and
 * outweighed the work measured (the first version of this bench: 0.56-0.84, GC from the
 * setup). A forced `gc()` between passes is no fix: it also throws away the optimised code.
 * The first batch warms up and is not counted.
 */
function ingestCpu(
  sides: Record<string, (books: Books, i: number) => void>,
  snap: L4SnapshotFile,
  n: number,
  batches = 5,
  perBatch = 6,
): Record<string, number> {
  const names = Object.keys(sides);
  const cpu: Record<string, number> = Object.fromEntries(names.map((k) => [k, 0]));
  let passes = 0;
  for (let bt = 0; bt <= batches; bt++) {
    const books = new Map(names.map((k) => [k, Array.from({ length: perBatch }, () => Books.fromSnapshot(snap)) as (Books | undefined)[]]));
    for (let r = 0; r < perBatch; r++) {
      for (const name of r % 2 === 0 ? names : [...names].reverse()) {
        const fn = sides[name]!;
        const list = books.get(name)!;
        const b = list[r]!;
        list[r] = undefined;
        const c0 = process.cpuUsage();
        for (let i = 0; i < n; i++) fn(b, i);
        const c = process.cpuUsage(c0);
        if (bt > 0) cpu[name]! += (c.user + c.system) / 1000;
      }
    }
    if (bt > 0) passes += perBatch;
  }
  for (const k of names) cpu[k]! /= passes * n;
  return cpu;
}

/** One block's three lines as the node's files give them (bytes) → a `Block`, as `FileBlockSource` parses them. */
function blockFromBytes(statuses: Buffer, diffs: Buffer, fills: Buffer): Block {
  const st = parseLineBytes('statuses', statuses);
  return {
    height: st.block_number,
    time: blockTimeMs(st.block_time),
    statuses: st.events,
    diffs: parseLineBytes('diffs', diffs).events,
    fills: parseLineBytes('fills', fills).events,
  };
}

/** CPU ms per item of a pure function over `n` items, warmed up (the figure beside the ratio). */
function pureMs(fn: () => void, n: number, rounds = 200): number {
  for (let r = 0; r < rounds; r++) fn();
  const c0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / (rounds * n);
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
  const blocks = Array.from({ length: n }, (_, i) => parseBlock(s[i]!, d[i]!, f[i]!));
  const messages = blocks.map((b) => encodeBlock(b));
  const lineBytes = s.reduce((a, l, i) => a + l.length + d[i]!.length + f[i]!.length, 0);
  const msgBytes = messages.reduce((a, m) => a + m.length, 0);
  const snap = JSON.parse(snapText) as L4SnapshotFile;
  // Each side from the bytes its source hands over: the node's lines as the tailer reads them
  // (Buffers, parsed as FileBlockSource parses them), the log messages as NATS delivers them.
  const sb = s.map((l) => Buffer.from(l, 'utf8'));
  const db = d.map((l) => Buffer.from(l, 'utf8'));
  const fb = f.map((l) => Buffer.from(l, 'utf8'));
  const cpu = ingestCpu(
    {
      core: (b, i) => b.applyBlock(blockFromBytes(sb[i]!, db[i]!, fb[i]!)),
      edge: (b, i) => b.applyBlock(decodeBlock(messages[i]!).block),
      coreFromStrings: (b, i) => b.applyBlock(parseBlock(s[i]!, d[i]!, f[i]!)),
    },
    snap,
    n,
  );
  const core = cpu.core!;
  const edge = cpu.edge!;
  const ratio = edge / core;
  report({
    bench: 'scaleout.edge_ingest_ratio',
    value: ratio,
    unit: 'ratio',
    ratio,
    goal: '<= 0.3',
    core_ms_per_block: core,
    edge_ms_per_block: edge,
    ratio_to_core_from_strings: edge / cpu.coreFromStrings!,
    // What publishing adds to the core per block (not in the core's figure).
    core_encode_ms_per_block: pureMs(
      () => {
        for (let i = 0; i < n; i++) encodeBlock(blocks[i]!);
      },
      n,
      50,
    ),
    decode_ms_per_block: pureMs(() => {
      for (let i = 0; i < n; i++) decodeBlock(messages[i]!);
    }, n),
    parse_ms_per_block: pureMs(() => {
      for (let i = 0; i < n; i++) blockFromBytes(sb[i]!, db[i]!, fb[i]!);
    }, n),
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
    messages,
    edge,
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
