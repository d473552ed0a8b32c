/**
 * Shared helpers of the simulator tests: temporary directories, reading a data directory's
 * blocks into the engine's input shape, and real fixture lines.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll } from 'vitest';
import { nodeTimeMs, type Block } from '../../src/book/index.js';
import { STREAM_PREFIXES as STREAMS, type StreamPrefix as StreamName } from '../../src/node/format.js';
import { streamLines } from '../../src/sim/node-files.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
export const MAIN_FIXTURE = join(FIXTURES, 'mainnet-btc-985148181');
export const MAIN_SNAPSHOT = join(MAIN_FIXTURE, 'snapshot-985148181.json.gz');
export const EARLY_FIXTURE = join(FIXTURES, 'mainnet-btc-978995377');

const made: string[] = [];

/** A fresh temporary directory, removed when the test file is done. */
export function tempDir(prefix = 'hlob-sim-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export interface Envelope {
  local_time: string;
  block_time: string;
  block_number: number;
  events: unknown[];
}

/** Parsed lines of one stream of a data directory (plain or gzip files). */
export async function envelopes(dataDir: string, stream: StreamName, layout: 'by_block' | 'streaming' = 'by_block'): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for await (const fl of streamLines(dataDir, stream, layout)) out.push(JSON.parse(fl.text) as Envelope);
  return out;
}

/** Every block of a data directory, the three by-block streams joined line by line. */
export async function readBlocks(dataDir: string): Promise<Block[]> {
  const [s, d, f] = (await Promise.all(STREAMS.map((stream) => envelopes(dataDir, stream)))) as [Envelope[], Envelope[], Envelope[]];
  return s.map((e, i) => {
    if (d[i]?.block_number !== e.block_number || f[i]?.block_number !== e.block_number) throw new Error(`streams disagree at line ${i + 1}`);
    return {
      height: e.block_number,
      time: nodeTimeMs(e.block_time),
      statuses: e.events as Block['statuses'],
      diffs: d[i]!.events as Block['diffs'],
      fills: f[i]!.events as Block['fills'],
    };
  });
}

/** All files under `dir` (relative path → bytes). */
export function filesUnder(dir: string, base = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(join(dir, base), { withFileTypes: true })) {
    const rel = join(base, e.name);
    if (e.isDirectory()) for (const [k, v] of filesUnder(dir, rel)) out.set(k, v);
    else out.set(rel, readFileSync(join(dir, rel)));
  }
  return out;
}

/** Lines of a gzip fixture file. */
export function gzLines(path: string): string[] {
  return gunzipSync(readFileSync(path))
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/** POST a JSON body to the info server. */
export async function postInfo(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

export function l4Request(outPath: string, includeHeightInOutput = true): unknown {
  return { type: 'fileSnapshot', request: { type: 'l4Snapshots', includeUsers: true, includeTriggerOrders: false }, outPath, includeHeightInOutput };
}
