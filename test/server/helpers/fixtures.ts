/**
 * Real mainnet data (test/fixtures, BTC) read into the engine's input shapes, joined on
 * block_number in the plainest way (ingest owns the real join).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { nodeTimeMs, type Block, type L4SnapshotFile } from '../../../src/book/index.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
export const MAINNET = 'mainnet-btc-985148181';

interface Envelope {
  block_time: string;
  block_number: number;
  events: unknown[];
}

function lines(fixture: string, stream: string): Envelope[] {
  const base = join(FIXTURES, fixture, 'hl', 'data', stream, 'hourly');
  const out: Envelope[] = [];
  for (const day of readdirSync(base).sort()) {
    for (const h of readdirSync(join(base, day)).sort((a, b) => Number(a) - Number(b))) {
      for (const line of gunzipSync(readFileSync(join(base, day, h)))
        .toString('utf8')
        .split('\n')) {
        if (line.trim() !== '') out.push(JSON.parse(line) as Envelope);
      }
    }
  }
  return out;
}

export function loadBlocks(fixture = MAINNET): Block[] {
  const diffs = new Map(lines(fixture, 'node_raw_book_diffs_by_block').map((e) => [e.block_number, e]));
  const fills = new Map(lines(fixture, 'node_fills_by_block').map((e) => [e.block_number, e]));
  return lines(fixture, 'node_order_statuses_by_block').map((s) => ({
    height: s.block_number,
    time: nodeTimeMs(s.block_time),
    statuses: s.events as Block['statuses'],
    diffs: (diffs.get(s.block_number)?.events ?? []) as Block['diffs'],
    fills: (fills.get(s.block_number)?.events ?? []) as Block['fills'],
  }));
}

let cachedSnapshot: string | null = null;

/** A fresh parse each call (callers may keep the object). */
export function loadSnapshot(fixture = MAINNET): L4SnapshotFile {
  const dir = join(FIXTURES, fixture);
  if (cachedSnapshot === null || fixture !== MAINNET) {
    const name = readdirSync(dir).find((f) => f.startsWith('snapshot-'))!;
    const text = gunzipSync(readFileSync(join(dir, name))).toString('utf8');
    if (fixture !== MAINNET) return JSON.parse(text) as L4SnapshotFile;
    cachedSnapshot = text;
  }
  return JSON.parse(cachedSnapshot) as L4SnapshotFile;
}
