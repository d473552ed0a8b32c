/** Shared by the benchmarks: node lines → the engine's input, exactly as ingest parses them. */
import type { Block } from '../src/book/index.js';
import { blockTimeMs, parseLine } from '../src/node/parse.js';

/** One block's three lines → a `Block`, through `parseLine` (the fast statuses path included). */
export function parseBlock(statusLine: string, diffLine: string, fillLine: string): Block {
  const s = parseLine('statuses', statusLine);
  const d = parseLine('diffs', diffLine);
  const f = parseLine('fills', fillLine);
  return { height: s.block_number, time: blockTimeMs(s.block_time), statuses: s.events, diffs: d.events, fills: f.events };
}
