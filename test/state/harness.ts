/**
 * A node in a temp dir for feed tests: the real BTC fixture's lines (optionally altered),
 * written block by block into the node's layout, and an info server on port 0 that answers
 * with the true books at the height written so far, as a node would.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Books } from '../../src/book/books.js';
import type { Block, BookDiffEvent, L4SnapshotFile } from '../../src/book/events.js';
import { blockTimeMs, parseLine } from '../../src/node/parse.js';
import { STREAMS, type StreamName } from '../../src/node/types.js';
import type { FeedEventMap, FeedStatus } from '../../src/state/feed.js';
import type { NodeFeed } from '../../src/state/node-feed.js';
import { appendNode, fixtureLines, fixtureSnapshotText, NAMES, tempDir } from '../node/files.js';
import { startInfoServer, type InfoServer } from '../node/info-server.js';

export const FIRST = 985148182;
const SNAPSHOT_TEXT = fixtureSnapshotText();
const BASE_LINES = { statuses: fixtureLines('statuses'), diffs: fixtureLines('diffs'), fills: fixtureLines('fills') };

export type Lines = Record<StreamName, string[]>;

/** The fixture's 25 blocks' lines, each stream a fresh copy to alter. */
export function fixture(): Lines {
  return { statuses: [...BASE_LINES.statuses], diffs: [...BASE_LINES.diffs], fills: [...BASE_LINES.fills] };
}

/** Add diff events to block `i` of `lines` (a copy of the line with them appended). */
export function addDiffs(lines: Lines, i: number, diffs: BookDiffEvent[]): void {
  const env = JSON.parse(lines.diffs[i]!) as { events: BookDiffEvent[] };
  env.events.push(...diffs);
  lines.diffs[i] = JSON.stringify(env);
}

export function blockOf(lines: Lines, i: number): Block {
  const s = parseLine('statuses', lines.statuses[i]!);
  return {
    height: s.block_number,
    time: blockTimeMs(s.block_time),
    statuses: s.events,
    diffs: parseLine('diffs', lines.diffs[i]!).events,
    fills: parseLine('fills', lines.fills[i]!).events,
  };
}

/** The true books: the fixture snapshot with blocks applied, advanced on demand. */
export class Truth {
  private books = Books.fromSnapshot(JSON.parse(SNAPSHOT_TEXT) as L4SnapshotFile);
  constructor(private readonly lines: Lines) {}
  at(height: number): Books {
    if (height < this.books.height) this.books = Books.fromSnapshot(JSON.parse(SNAPSHOT_TEXT) as L4SnapshotFile);
    while (this.books.height < height) this.books.applyBlock(blockOf(this.lines, this.books.height + 1 - FIRST));
    return this.books;
  }
  snapshot(height: number): L4SnapshotFile {
    return this.at(height).toSnapshot();
  }
}

export interface TestNode {
  dataDir: string;
  snapshotDir: string;
  info: InfoServer;
  /** Highest height written to the files so far (FIRST - 1 before any). */
  written: number;
  /** Write blocks [from, to) (fixture indexes) of every stream; `skip` leaves some out (a gap). */
  write(from: number, to: number, opts?: { skip?: number[] }): void;
  /** Answer snapshot requests at this height instead of `written` (a node ahead of its files, or behind). */
  snapshotHeight?: () => number;
  /** Answer with this status (and write no file) while it returns one. */
  fail?: () => number | undefined;
  /** Requests wait for this before being answered. */
  hold?: Promise<void>;
  close(): Promise<void>;
}

export async function startTestNode(lines: Lines, truth = new Truth(lines)): Promise<TestNode> {
  const dataDir = join(tempDir(), 'data');
  for (const s of NAMES) mkdirSync(join(dataDir, STREAMS[s].dir), { recursive: true });
  const node: TestNode = {
    dataDir,
    snapshotDir: join(dataDir, '..', 'snapshots'),
    info: undefined as unknown as InfoServer,
    written: FIRST - 1,
    write(from, to, opts = {}) {
      for (const s of NAMES) {
        const text = lines[s]
          .slice(from, to)
          .filter((_l, k) => !(opts.skip ?? []).includes(from + k))
          .map((l) => l + '\n')
          .join('');
        appendNode(node.dataDir, s, '20260505', 17, text);
      }
      node.written = Math.max(node.written, FIRST + to - 1);
    },
    close: () => node.info.close(),
  };
  node.info = await startInfoServer(async (body, res) => {
    await node.hold;
    const status = node.fail?.();
    if (status !== undefined) {
      res.statusCode = status;
      res.end('failing on purpose');
      return;
    }
    const h = node.snapshotHeight?.() ?? node.written;
    writeFileSync(body.outPath, JSON.stringify(truth.snapshot(h)));
    res.end('{}');
  });
  return node;
}

/** Resolves with the first emission of `event` whose arguments satisfy `pred`. */
export function when<K extends keyof FeedEventMap>(
  feed: NodeFeed,
  event: K,
  pred: (...args: FeedEventMap[K]) => boolean = () => true,
): Promise<FeedEventMap[K]> {
  return new Promise((resolve) => {
    const on = (...args: FeedEventMap[K]): void => {
      if (!pred(...args)) return;
      feed.off(event, on as never);
      resolve(args);
    };
    feed.on(event, on as never);
  });
}

/** Resolves once the feed's status satisfies `pred` (now or on a later state event). */
export function whenStatus(feed: NodeFeed, pred: (s: FeedStatus) => boolean): Promise<FeedStatus> {
  const s = feed.status();
  if (pred(s)) return Promise.resolve(s);
  return when(feed, 'state', pred).then(([st]) => st);
}

/** Resolves once the books reached `height` (applied). */
export function whenHeight(feed: NodeFeed, height: number): Promise<void> {
  if (feed.status().height !== null && feed.books.height >= height) return Promise.resolve();
  return new Promise((resolve) => {
    const check = (): void => {
      if (feed.status().height === null || feed.books.height < height) return;
      feed.off('block', check);
      feed.off('reset', check);
      resolve();
    };
    feed.on('block', check);
    feed.on('reset', check);
  });
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps what it is told, and lets a test wait for a message. */
export class LogRecorder {
  readonly lines: LogLine[] = [];
  private waiters: { re: RegExp; resolve: (l: LogLine) => void }[] = [];
  debug = (obj: object, msg?: string): void => this.add('debug', obj, msg);
  info = (obj: object, msg?: string): void => this.add('info', obj, msg);
  warn = (obj: object, msg?: string): void => this.add('warn', obj, msg);
  error = (obj: object, msg?: string): void => this.add('error', obj, msg);

  /** Resolves with the first line (past or future) whose message matches. */
  until(re: RegExp): Promise<LogLine> {
    const seen = this.lines.find((l) => re.test(l.msg));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ re, resolve }));
  }

  private add(level: LogLine['level'], obj: object, msg = ''): void {
    const line = { level, obj: obj as Record<string, unknown>, msg };
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => (w.re.test(msg) ? (w.resolve(line), false) : true));
  }
}

/** A promise and its resolver (a gate the test opens). */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
