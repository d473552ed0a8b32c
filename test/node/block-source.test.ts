import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, HlobError } from '../../src/errors.js';
import { metrics } from '../../src/metrics.js';
import { FileBlockSource, type FileBlockSourceOptions } from '../../src/node/file-source.js';
import { checkDataDir } from '../../src/node/data-dir.js';
import type { Gap, JoinedBlock } from '../../src/node/joiner.js';
import type { LinePosition } from '../../src/node/tailer.js';
import { STREAMING_DIRS } from '../../src/node/stream-joiner.js';
import { STREAMS, type StreamName } from '../../src/node/types.js';
import { FakeClock } from './fake-clock.js';
import { appendNode, BTC, fixtureLines, NAMES, tempDir } from './files.js';

const LINES = { statuses: fixtureLines('statuses'), diffs: fixtureLines('diffs'), fills: fixtureLines('fills') };
const FIRST = 985148182;

const running: FileBlockSource[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function source(opts: FileBlockSourceOptions): {
  src: FileBlockSource;
  blocks: JoinedBlock[];
  gaps: Gap[];
  skipped: LinePosition[];
  until: (n: number) => Promise<void>;
} {
  const src = new FileBlockSource({ layout: 'by-block', ...opts, tailer: { pollMs: 20, ...opts.tailer } });
  running.push(src);
  const blocks: JoinedBlock[] = [];
  const gaps: Gap[] = [];
  const skipped: LinePosition[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  src.on('block', (b) => {
    blocks.push(b);
    waiters = waiters.filter((w) => (blocks.length >= w.n ? (w.resolve(), false) : true));
  });
  src.on('gap', (g) => gaps.push(g));
  src.on('skipped', (_e, at) => skipped.push(at));
  const until = (n: number): Promise<void> => (blocks.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })));
  return { src, blocks, gaps, skipped, until };
}

function streamDirs(dataDir: string): void {
  for (const s of NAMES) mkdirSync(join(dataDir, STREAMS[s].dir), { recursive: true });
}

/** Write fixture blocks [from, to) of every stream, one stream after the other. */
function write(dataDir: string, from: number, to: number, hour = 17): void {
  for (const s of NAMES)
    appendNode(
      dataDir,
      s,
      '20260505',
      hour,
      LINES[s]
        .slice(from, to)
        .map((l) => l + '\n')
        .join(''),
    );
}

describe('FileBlockSource, by-block layout', { timeout: 15_000 }, () => {
  it('fails to start on missing directories, naming each with the node flags that create it', async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, STREAMS.diffs.dir));
    expect((await checkDataDir(dataDir)).map((m) => [m.stream, m.path, m.flags.join(' ')])).toEqual([
      ['statuses', join(dataDir, 'node_order_statuses_by_block'), '--write-order-statuses --batch-by-block'],
      ['fills', join(dataDir, 'node_fills_by_block'), '--write-fills --batch-by-block'],
    ]);
    const { src } = source({ dataDir });
    const err = await src.start().then(
      () => undefined,
      (e: unknown) => e as HlobError,
    );
    expect(err).toBeInstanceOf(HlobError);
    expect(err!.code).toBe(ErrorCodes.MISSING_DIR);
    expect(err!.message).toBe(
      `missing directory ${join(dataDir, 'node_order_statuses_by_block')}: run the node with --write-order-statuses --batch-by-block; ` +
        `missing directory ${join(dataDir, 'node_fills_by_block')}: run the node with --write-fills --batch-by-block`,
    );
  });

  it('with wait, waits for the directories and then joins every real block in order', async () => {
    const dataDir = tempDir();
    const { src, blocks, gaps, until } = source({ dataDir, wait: true });
    let waiting = 0;
    src.on('waiting', (m) => (waiting = m.length));
    await src.start();
    expect(waiting).toBe(3);
    await src.settle();
    write(dataDir, 0, 25);
    await until(25);
    expect(blocks.map((b) => b.block.height)).toEqual(Array.from({ length: 25 }, (_, i) => FIRST + i));
    expect(gaps).toEqual([]);
    const b0 = blocks[0]!.block;
    expect(b0.time).toBe(Date.UTC(2026, 4, 5, 17, 39, 13, 24));
    expect(b0.statuses.length).toBe((JSON.parse(LINES.statuses[0]!) as { events: unknown[] }).events.length);
    expect(b0.diffs.length).toBe((JSON.parse(LINES.diffs[0]!) as { events: unknown[] }).events.length);
    expect(b0.fills).toHaveLength(2);
    expect(blocks[0]!.bytes).toBe(LINES.statuses[0]!.length + LINES.diffs[0]!.length + LINES.fills[0]!.length);
  });

  it('joins streams written out of step and in pieces', async () => {
    const dataDir = tempDir();
    streamDirs(dataDir);
    const { src, blocks, until } = source({ dataDir });
    await src.start();
    await src.settle();
    const s = LINES.statuses[0]! + '\n' + LINES.statuses[1]! + '\n';
    appendNode(dataDir, 'statuses', '20260505', 17, s.slice(0, 1000));
    appendNode(dataDir, 'fills', '20260505', 17, LINES.fills[0]! + '\n' + LINES.fills[1]! + '\n');
    await src.settle();
    appendNode(dataDir, 'diffs', '20260505', 17, LINES.diffs[0]! + '\n' + LINES.diffs[1]!.slice(0, 10));
    await src.settle();
    expect(blocks).toEqual([]);
    appendNode(dataDir, 'statuses', '20260505', 17, s.slice(1000));
    await until(1);
    appendNode(dataDir, 'diffs', '20260505', 17, LINES.diffs[1]!.slice(10) + '\n');
    await until(2);
    expect(blocks.map((b) => b.block.height)).toEqual([FIRST, FIRST + 1]);
  });

  it('logs a corrupt line with its file and offset, counts and skips it; a block it replaced is a gap', async () => {
    const dataDir = tempDir();
    streamDirs(dataDir);
    const logged: { obj: Record<string, unknown>; msg: string | undefined }[] = [];
    const log = (obj: object, msg?: string): void => void logged.push({ obj: obj as Record<string, unknown>, msg });
    const { src, blocks, gaps, skipped, until } = source({
      dataDir,
      logger: { debug: () => undefined, info: () => undefined, warn: log, error: log },
      joiner: { reorderWindow: 4 },
    });
    const before = (await metrics.skippedLines.get()).values.find((v) => v.labels.stream === 'diffs')?.value ?? 0;
    await src.start();
    await src.settle();
    write(dataDir, 0, 3);
    // Garbage between two blocks, then block 3's diffs cut by a crash (the node then writes the next line after it).
    const f = appendNode(dataDir, 'diffs', '20260505', 17, 'garbage\n');
    const offsetOfGarbage = LINES.diffs.slice(0, 3).reduce((n, l) => n + l.length + 1, 0);
    appendNode(dataDir, 'diffs', '20260505', 17, LINES.diffs[3]!.slice(0, 500) + '\n');
    appendNode(
      dataDir,
      'statuses',
      '20260505',
      17,
      LINES.statuses
        .slice(3, 10)
        .map((l) => l + '\n')
        .join(''),
    );
    appendNode(
      dataDir,
      'fills',
      '20260505',
      17,
      LINES.fills
        .slice(3, 10)
        .map((l) => l + '\n')
        .join(''),
    );
    appendNode(
      dataDir,
      'diffs',
      '20260505',
      17,
      LINES.diffs
        .slice(4, 10)
        .map((l) => l + '\n')
        .join(''),
    );
    await until(9);
    expect(skipped).toEqual([
      { file: f, offset: offsetOfGarbage },
      { file: f, offset: offsetOfGarbage + 8 },
    ]);
    expect(logged.filter((l) => l.obj.file === f).map((l) => l.obj.offset)).toEqual([offsetOfGarbage, offsetOfGarbage + 8]);
    expect(logged[0]!.msg).toMatch(/node_raw_book_diffs_by_block line: not JSON/);
    const after = (await metrics.skippedLines.get()).values.find((v) => v.labels.stream === 'diffs')?.value ?? 0;
    expect(after - before).toBe(2);
    expect(gaps.map((g) => [g.height, g.reason, g.streams])).toEqual([[FIRST + 3, 'missing', ['diffs']]]);
    expect(blocks.map((b) => b.block.height - FIRST)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
  });

  it('follows the streams into the next hour, and the next day, without a gap', async () => {
    const dataDir = tempDir();
    streamDirs(dataDir);
    const { src, blocks, gaps, until } = source({ dataDir });
    await src.start();
    await src.settle();
    for (const s of NAMES)
      appendNode(
        dataDir,
        s,
        '20260505',
        23,
        LINES[s]
          .slice(0, 5)
          .map((l) => l + '\n')
          .join(''),
      );
    await until(5);
    // The next day's files appear; one stream's last line of the old hour lands after that.
    for (const s of NAMES)
      appendNode(
        dataDir,
        s,
        '20260506',
        0,
        LINES[s]
          .slice(s === 'fills' ? 6 : 5, 12)
          .map((l) => l + '\n')
          .join(''),
      );
    await src.settle();
    expect(blocks).toHaveLength(5);
    appendNode(dataDir, 'fills', '20260505', 23, LINES.fills[5]! + '\n');
    await until(12);
    expect(blocks.map((b) => b.block.height - FIRST)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(gaps).toEqual([]);
  });
});

describe('FileBlockSource, streaming layout', { timeout: 15_000 }, () => {
  /** The capture's streaming lines of one stream (one event per line). */
  function streamingLines(stream: StreamName): string[] {
    const gz = readFileSync(join(BTC, 'hl', 'data', STREAMING_DIRS[stream], 'hourly', '20260505', '17.gz'));
    return gunzipSync(gz)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
  }
  const height = (line: string): number => Number(/"block_number":(\d+)/.exec(line)![1]);
  const append = (dataDir: string, stream: StreamName, text: string): void => {
    const path = join(dataDir, STREAMING_DIRS[stream], 'hourly', '20260505', '17');
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, text);
  };

  it('starts at a block every stream holds whole: a small file read whole does not fix the start before a big one read from near its end', async () => {
    const dataDir = tempDir();
    for (const s of NAMES) mkdirSync(join(dataDir, STREAMING_DIRS[s]), { recursive: true });
    const lines = { statuses: streamingLines('statuses'), diffs: streamingLines('diffs'), fills: streamingLines('fills') };
    for (const s of NAMES) append(dataDir, s, lines[s].map((l) => l + '\n').join(''));
    const last = Math.max(...NAMES.map((s) => height(lines[s].at(-1)!)));
    // 2 MiB from the end: statuses (15 MB) is read from the middle of a block, diffs and fills whole.
    const { src, blocks, gaps, until } = source({ dataDir, layout: 'streaming', tailer: { backfillBytes: 2 << 20 } });
    await src.start();
    while ((blocks.at(-1)?.block.height ?? 0) < last) await until(blocks.length + 1);
    expect(blocks[0]!.block.height).toBeGreaterThan(FIRST);
    for (const { block } of blocks) {
      const want = (s: StreamName): number => lines[s].filter((l) => height(l) === block.height).length;
      expect([block.height, block.statuses.length, block.diffs.length, block.fills.length]).toEqual([
        block.height,
        want('statuses'),
        want('diffs'),
        want('fills'),
      ]);
    }
    expect(gaps).toEqual([]);
  });

  // The flake of test/cli/replay-serve.test.ts: a replay's (or a pausing node's) last block has
  // no later line in any stream, and was never closed: the books stayed one block short.
  it('closes the last block, written in pieces and out of step across streams, once quiet, whole', async () => {
    const dataDir = tempDir();
    for (const s of NAMES) mkdirSync(join(dataDir, STREAMING_DIRS[s]), { recursive: true });
    const lines = { statuses: streamingLines('statuses'), diffs: streamingLines('diffs'), fills: streamingLines('fills') };
    const last = Math.max(...NAMES.map((s) => height(lines[s].at(-1)!)));
    const before = (s: StreamName): string =>
      lines[s]
        .filter((l) => height(l) < last)
        .map((l) => l + '\n')
        .join('');
    const lastOf = (s: StreamName): string =>
      lines[s]
        .filter((l) => height(l) === last)
        .map((l) => l + '\n')
        .join('');
    for (const s of NAMES) append(dataDir, s, before(s));
    const clock = new FakeClock();
    const { src, blocks, gaps, until } = source({
      dataDir,
      layout: 'streaming',
      tailer: { backfillBytes: 1 << 30 },
      streamJoiner: { clock, blockIdleMs: 500 },
    });
    const untilHeight = async (h: number): Promise<void> => {
      while ((blocks.at(-1)?.block.height ?? 0) < h) await until(blocks.length + 1);
    };
    await src.start();
    await untilHeight(last - 2); // last - 1 closes only when a stream moves past it
    await src.settle();
    expect(blocks.at(-1)!.block.height).toBe(last - 2);
    expect(blocks[0]!.block.height).toBe(FIRST); // every stream read whole: from the capture's first block
    // The last block's lines land in pieces, one stream after the other, the readers reading between.
    const statuses = lastOf('statuses');
    const diffs = lastOf('diffs');
    const fills = lastOf('fills');
    append(dataDir, 'statuses', statuses.slice(0, 1000));
    await untilHeight(last - 1); // statuses moved past it
    append(dataDir, 'diffs', diffs.slice(0, 500));
    await src.settle();
    append(dataDir, 'statuses', statuses.slice(1000));
    append(dataDir, 'fills', fills);
    await src.settle();
    clock.advance(500); // a quiet window that saw lines: not quiet
    await src.settle();
    append(dataDir, 'diffs', diffs.slice(500));
    await src.settle();
    expect(blocks.at(-1)!.block.height).toBe(last - 1);
    // Quiet now: the next whole window without a line closes it (after the readers read once more).
    clock.advance(500);
    clock.advance(500);
    await untilHeight(last);
    const b = blocks.at(-1)!.block;
    expect(b.height).toBe(last);
    expect([b.statuses.length, b.diffs.length, b.fills.length]).toEqual([statuses, diffs, fills].map((t) => t.split('\n').length - 1));
    expect(gaps).toEqual([]);
  });
});
