/** Test helpers: the real fixtures' lines, and writing node files the way the node lays them out. */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll } from 'vitest';
import { STREAMS, type StreamName } from '../../src/node/types.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const BTC = join(FIXTURES, 'mainnet-btc-985148181');
export const NAMES = Object.keys(STREAMS) as StreamName[];

/** The lines of a fixture stream file (by-block unless told), without newlines. */
export function fixtureLines(stream: StreamName, fixture = BTC, hourPath = '20260505/17', layout: 'by-block' | 'streaming' = 'by-block'): string[] {
  const dir = layout === 'by-block' ? STREAMS[stream].dir : STREAMS[stream].streamingDir;
  const gz = readFileSync(join(fixture, 'hl', 'data', dir, 'hourly', `${hourPath}.gz`));
  return gunzipSync(gz)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

/** The fixture snapshot file's text. */
export function fixtureSnapshotText(fixture = BTC): string {
  return gunzipSync(readFileSync(join(fixture, 'snapshot-985148181.json.gz'))).toString('utf8');
}

const made: string[] = [];
// Each test file imports this module afresh: its temp dirs go when that file's tests are done.
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'hlob-ingest-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Append to `<dataDir>/<stream dir>/hourly/<date>/<hour>`, creating folders as the node does. */
export function appendNode(dataDir: string, stream: StreamName, date: string, hour: number, text: string): string {
  const path = join(dataDir, STREAMS[stream].dir, 'hourly', date, String(hour));
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, text);
  return path;
}

/** The same line with another block number (for synthetic heights). */
export function withHeight(line: string, height: number): string {
  return line.replace(/"block_number":\d+/, `"block_number":${height}`);
}
