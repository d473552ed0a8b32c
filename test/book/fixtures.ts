/**
 * Real mainnet fixtures (test/fixtures), read into the engine's input shapes. The join of
 * the three by-block streams is done here in the plainest way (ingest owns the real one).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { nodeTimeMs, type Block, type L4SnapshotFile } from '../../src/book/index.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

function gunzipText(path: string): string {
  return gunzipSync(readFileSync(path)).toString('utf8');
}

export interface Envelope {
  block_time: string;
  block_number: number;
  events: unknown[];
}

export function streamLines(fixture: string, stream: string): Envelope[] {
  const base = join(FIXTURES, fixture, 'hl', 'data', stream, 'hourly');
  const out: Envelope[] = [];
  for (const day of readdirSync(base).sort()) {
    const hours = readdirSync(join(base, day)).sort((a, b) => parseInt(a) - parseInt(b));
    for (const h of hours) {
      for (const line of gunzipText(join(base, day, h)).split('\n')) {
        if (line.trim() !== '') out.push(JSON.parse(line) as Envelope);
      }
    }
  }
  return out;
}

/** Every by-block block of a fixture, the three streams joined on block_number. */
export function loadBlocks(fixture: string): Block[] {
  const statuses = streamLines(fixture, 'node_order_statuses_by_block');
  const diffs = new Map(streamLines(fixture, 'node_raw_book_diffs_by_block').map((e) => [e.block_number, e]));
  const fills = new Map(streamLines(fixture, 'node_fills_by_block').map((e) => [e.block_number, e]));
  return statuses.map((s) => ({
    height: s.block_number,
    time: nodeTimeMs(s.block_time),
    statuses: s.events as Block['statuses'],
    diffs: (diffs.get(s.block_number)?.events ?? []) as Block['diffs'],
    fills: (fills.get(s.block_number)?.events ?? []) as Block['fills'],
  }));
}

export function loadSnapshot(fixture: string): L4SnapshotFile {
  const dir = join(FIXTURES, fixture);
  const name = readdirSync(dir).find((f) => f.startsWith('snapshot-'));
  if (name === undefined) throw new Error(`no snapshot in ${dir}`);
  return JSON.parse(gunzipText(join(dir, name))) as L4SnapshotFile;
}

export const MAIN = 'mainnet-btc-985148181';
export const EARLY = 'mainnet-btc-978995377';
