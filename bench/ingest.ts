/**
 * `npm run bench -- ingest`: the input side.
 *
 * - ingest.snapshot_load: a 500,000-order snapshot (the real BTC book under ten coin names,
 *   ~190 MB) read into books by the incremental loader, ms (goal < 5,000); and
 *   ingest.snapshot_stall: the longest event-loop stall meanwhile (monitorEventLoopDelay),
 *   ms (goal < 100). `ratio`: load time / a plain JSON.parse + Books.fromSnapshot of it.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { Books, type L4SnapshotFile } from '../src/book/index.js';
import { loadBooks } from '../src/state/load-books.js';
import type { Report } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(here, '..', '..', 'test', 'fixtures', 'mainnet-btc-985148181');

function round(x: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** A full GC between passes, so that one pass does not pay for the garbage of the one before. */
function gcFunction(): () => void {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
}
const gc = gcFunction();

/** The BTC snapshot repeated under `copies` coin names: real order JSON, any size. */
function bigSnapshot(copies: number): string {
  const text = gunzipSync(readFileSync(join(FIXTURE, 'snapshot-985148181.json.gz'))).toString('utf8');
  const m = /^\[(\d+),\[\["BTC",(.*)\]\]\]\s*$/s.exec(text);
  if (m === null) throw new Error('unexpected fixture snapshot shape');
  const sides = m[2]!;
  const coins: string[] = [];
  for (let k = 0; k < copies; k++) {
    const coin = `BTC${k}`;
    coins.push(`["${coin}",${sides.replaceAll('"coin":"BTC"', `"coin":"${coin}"`)}]`);
  }
  return `[${m[1]},[${coins.join(',')}]]`;
}

async function snapshotLoad(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hlob-bench-ingest-'));
  try {
    const path = join(dir, 'big.json');
    const text = bigSnapshot(10);
    writeFileSync(path, text);
    const loads: number[] = [];
    const stalls: number[] = [];
    let orders = 0;
    for (let i = 0; i < 3; i++) {
      gc();
      const h = monitorEventLoopDelay({ resolution: 2 });
      h.enable();
      const t0 = performance.now();
      const loaded = await loadBooks(path);
      loads.push(performance.now() - t0);
      h.disable();
      stalls.push(h.max / 1e6);
      orders = loaded.orders;
    }
    gc();
    const t0 = performance.now();
    const books = Books.fromSnapshot(JSON.parse(text) as L4SnapshotFile);
    const plain = performance.now() - t0;
    if (books.size !== 10) throw new Error('plain load failed');
    const ms = median(loads);
    report({ bench: 'ingest.snapshot_load', value: round(ms, 0), unit: 'ms', goal: '< 5000', ratio: round(ms / plain, 2), orders, bytes: text.length, plainMs: round(plain, 0), runsMs: loads.map((x) => round(x, 0)) });
    report({ bench: 'ingest.snapshot_stall', value: round(Math.max(...stalls), 1), unit: 'ms', goal: '< 100', plainStallMs: round(plain, 0), runsMs: stalls.map((x) => round(x, 1)) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(report: Report): Promise<void> {
  await snapshotLoad(report);
}
