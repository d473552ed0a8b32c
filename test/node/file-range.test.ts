/**
 * `blocksFromFiles` and `blocksFromStreamingFiles`: heights read back from the node's hourly
 * files (the previous hour's and this hour's) of either layout, found by bisection, joined
 * across the three streams, on the real fixture's lines.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { blocksFromFiles, blocksFromStreamingFiles, recentHourlyFiles } from '../../src/node/file-range.js';
import { STREAMING_DIRS } from '../../src/node/format.js';
import { blockTimeMs, parseLine, parseLineBytes } from '../../src/node/parse.js';
import { STREAMS } from '../../src/node/types.js';
import { appendNode, fixtureLines, NAMES, tempDir, withHeight } from '../node/files.js';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Block } from '../../src/book/events.js';

const LINES = { statuses: fixtureLines('statuses'), diffs: fixtureLines('diffs'), fills: fixtureLines('fills') };
const FIRST = parseLine('diffs', LINES.diffs[0]!).block_number;
const N = LINES.diffs.length;

/** The fixture's blocks [from, to) written into `hour`'s files, except `skip` (per stream). */
function write(dataDir: string, hour: number, from: number, to: number, skip: Partial<Record<(typeof NAMES)[number], number[]>> = {}): void {
  for (const s of NAMES) {
    const text = LINES[s]
      .slice(from, to)
      .filter((_l, k) => !(skip[s] ?? []).includes(from + k))
      .map((l) => l + '\n')
      .join('');
    appendNode(dataDir, s, '20260505', hour, text);
  }
}

async function collect(dataDir: string, from: number, to: number, readBytes?: number): Promise<number[]> {
  const heights: number[] = [];
  for await (const b of blocksFromFiles(dataDir, from, to, { readBytes })) {
    const s = parseLineBytes('statuses', Buffer.from(LINES.statuses[b.height - FIRST]!));
    expect(b.time).toBe(blockTimeMs(s.block_time));
    expect(b.statuses).toEqual(s.events);
    expect(b.diffs).toEqual(parseLine('diffs', LINES.diffs[b.height - FIRST]!).events);
    expect(b.fills).toEqual(parseLine('fills', LINES.fills[b.height - FIRST]!).events);
    heights.push(b.height);
  }
  return heights;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_v, i) => a + i);

describe('blocksFromFiles', () => {
  it('reads any range of heights across the previous and the current hour, exactly as written', async () => {
    const dataDir = tempDir();
    write(dataDir, 16, 0, 10);
    write(dataDir, 17, 10, N);
    // An older hour is not searched.
    appendNode(dataDir, 'diffs', '20260505', 15, 'not even json\n');
    expect(await recentHourlyFiles(join(dataDir, STREAMS.diffs.dir), 2)).toEqual(
      [16, 17].map((h) => join(dataDir, STREAMS.diffs.dir, 'hourly', '20260505', String(h))),
    );
    expect(await collect(dataDir, FIRST, FIRST + N - 1)).toEqual(range(FIRST, FIRST + N - 1));
    expect(await collect(dataDir, FIRST + 7, FIRST + 13)).toEqual(range(FIRST + 7, FIRST + 13));
    expect(await collect(dataDir, FIRST + 12, FIRST + 12)).toEqual([FIRST + 12]);
    // Lines longer than the read size (statuses lines are 0.3-1 MB): the buffer grows.
    expect(await collect(dataDir, FIRST + 3, FIRST + 5, 4096)).toEqual(range(FIRST + 3, FIRST + 5));
  });

  it('names the first height and stream the files do not hold', async () => {
    const dataDir = tempDir();
    write(dataDir, 17, 0, N, { fills: [6] });
    const heights: number[] = [];
    const err = await (async () => {
      for await (const b of blocksFromFiles(dataDir, FIRST + 2, FIRST + 9)) heights.push(b.height);
    })().catch((e: unknown) => e);
    expect(heights).toEqual(range(FIRST + 2, FIRST + 5));
    expect(err).toMatchObject({
      code: ErrorCodes.HEIGHT_GAP,
      message: `block ${FIRST + 6} is not in the node_fills_by_block files (next there: ${FIRST + 7})`,
    });
    // Below the oldest line, or past the newest: the same error.
    await expect(collect(dataDir, FIRST - 3, FIRST)).rejects.toMatchObject({ code: ErrorCodes.HEIGHT_GAP });
    await expect(collect(dataDir, FIRST + N - 1, FIRST + N)).rejects.toThrow(
      `block ${FIRST + N} is not in the node_order_statuses_by_block files (they end before it)`,
    );
  });

  it('ignores an unfinished last line (the node is writing it) and fails on a corrupt line in the range', async () => {
    const dataDir = tempDir();
    write(dataDir, 17, 0, 5);
    appendNode(dataDir, 'statuses', '20260505', 17, LINES.statuses[5]! + '\n');
    appendNode(dataDir, 'diffs', '20260505', 17, LINES.diffs[5]!.slice(0, 40));
    appendNode(dataDir, 'fills', '20260505', 17, LINES.fills[5]! + '\n');
    await expect(collect(dataDir, FIRST + 4, FIRST + 5)).rejects.toThrow(
      `block ${FIRST + 5} is not in the node_raw_book_diffs_by_block files (they end before it)`,
    );
    const bad = tempDir();
    write(bad, 17, 0, 3);
    for (const s of NAMES)
      appendNode(
        bad,
        s,
        '20260505',
        17,
        s === 'fills' ? `{"local_time":"x","block_time":"2026-05-05T17:00:00","block_number":${FIRST + 3},"events":{}}\n` : LINES[s][3]! + '\n',
      );
    await expect(collect(bad, FIRST + 1, FIRST + 3)).rejects.toMatchObject({ code: ErrorCodes.BAD_LINE });
  });
});

/** The fixture's streaming lines (the same blocks as LINES, one event a line), without newlines. */
const STREAMING = Object.fromEntries(NAMES.map((s) => [s, fixtureLines(s, undefined, undefined, 'streaming')])) as Record<(typeof NAMES)[number], string[]>;
const heightOf = (line: string): number => Number(/"block_number":(\d+)/.exec(line)![1]);

/** The streaming lines of heights [from, to) written into `hour`'s files, except those `drop` says. */
function writeStreaming(dataDir: string, hour: number, from: number, to: number, drop: (s: (typeof NAMES)[number], h: number) => boolean = () => false): void {
  for (const s of NAMES) {
    const path = join(dataDir, STREAMING_DIRS[s], 'hourly', '20260505', String(hour));
    mkdirSync(dirname(path), { recursive: true });
    const lines = STREAMING[s].filter((l) => heightOf(l) >= from && heightOf(l) < to && !drop(s, heightOf(l)));
    appendFileSync(path, lines.map((l) => l + '\n').join(''));
  }
}

async function all(blocks: AsyncIterable<Block>): Promise<Block[]> {
  const out: Block[] = [];
  for await (const b of blocks) out.push(b);
  return out;
}

/** Block 985148193 has no line in any streaming file: an empty block, at the previous block's time (as the live joiner has it). */
const EMPTY = FIRST + 11;

describe('blocksFromStreamingFiles', () => {
  it('reads any range across the previous and the current hour, the same blocks as the by-block files hold', async () => {
    const byBlock = tempDir();
    write(byBlock, 17, 0, N);
    const dataDir = tempDir();
    writeStreaming(dataDir, 16, FIRST, FIRST + 8);
    writeStreaming(dataDir, 17, FIRST + 8, FIRST + N);
    for (const [from, to] of [
      [FIRST, FIRST + N - 2],
      [FIRST + 7, FIRST + 13],
      [FIRST + 9, EMPTY],
      [FIRST + 12, FIRST + 12],
    ] as const) {
      const streaming = await all(blocksFromStreamingFiles(dataDir, from, to, { readBytes: 4096 }));
      const expected = await all(blocksFromFiles(byBlock, from, to));
      expect(streaming.map((b) => b.height)).toEqual(range(from, to));
      // Every event in node order (fill halves on separate lines joined); statuses compared as the node wrote them.
      const text = (b: Block): string => JSON.stringify({ ...b, time: b.height === EMPTY ? 0 : b.time });
      expect(streaming.map(text)).toEqual(expected.map(text));
      const empty = streaming.findIndex((b) => b.height === EMPTY);
      if (empty > 0) expect(streaming[empty]!.time).toBe(streaming[empty - 1]!.time);
    }
  });

  it('says which height the files do not show whole: none before the first, none after the last, a lost line', async () => {
    const dataDir = tempDir();
    writeStreaming(dataDir, 17, FIRST, FIRST + N);
    // The last block: nothing after it shows that its lines are all written.
    await expect(all(blocksFromStreamingFiles(dataDir, FIRST + N - 2, FIRST + N - 1))).rejects.toMatchObject({
      code: ErrorCodes.HEIGHT_GAP,
      message: `block ${FIRST + N - 1} is not whole in the streaming files (they end before a later block shows it complete)`,
    });
    // Below the oldest line: the files may begin after it.
    await expect(all(blocksFromStreamingFiles(dataDir, FIRST - 3, FIRST))).rejects.toThrow(
      `block ${FIRST - 3} is not in the streaming files (first line there: block ${FIRST})`,
    );
    // A run of heights with no line longer than the joiner allows is a gap, not empty blocks.
    const holed = tempDir();
    writeStreaming(holed, 17, FIRST, FIRST + 3);
    const later = withHeight(
      STREAMING.statuses.find((l) => heightOf(l) === FIRST + 3)!,
      FIRST + 500,
    );
    appendFileSync(join(holed, STREAMING_DIRS.statuses, 'hourly', '20260505', '17'), later + '\n');
    const got: number[] = [];
    const err = await (async () => {
      for await (const b of blocksFromStreamingFiles(holed, FIRST, FIRST + 10)) got.push(b.height);
    })().catch((e: unknown) => e);
    expect(got).toEqual(range(FIRST, FIRST + 2));
    expect(err).toMatchObject({ code: ErrorCodes.HEIGHT_GAP });
  });
});
