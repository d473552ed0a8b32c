/**
 * The whole pipeline for fault tests: a simulated node writing files in a temp dir, the
 * ingest feed tailing them, and the server on 127.0.0.1:0, with a log recorder and waits
 * on events (never sleeps).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import { startSimulator, type RunningSim, type SimulatorOptions } from '../../src/sim/index.js';
import { createNodeFeed, type FeedStatus, type Logger, type NodeFeed, type NodeFeedOptions } from '../../src/state/index.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  obj: object;
}

/** A `Logger` that keeps every line and lets a test wait for one. */
export class LogRecorder implements Logger {
  readonly lines: LogLine[] = [];
  private waiters: Array<() => void> = [];
  debug(obj: object, msg = ''): void {
    this.push('debug', obj, msg);
  }
  info(obj: object, msg = ''): void {
    this.push('info', obj, msg);
  }
  warn(obj: object, msg = ''): void {
    this.push('warn', obj, msg);
  }
  error(obj: object, msg = ''): void {
    this.push('error', obj, msg);
  }
  private push(level: LogLine['level'], obj: object, msg: string): void {
    this.lines.push({ level, obj, msg });
    for (const w of this.waiters.splice(0)) w();
  }
  /** Lines at warn or error whose message matches. */
  matching(re: RegExp): LogLine[] {
    return this.lines.filter((l) => re.test(l.msg));
  }
  /** Resolves once `count` lines match `re`. */
  until(re: RegExp, count = 1, timeoutMs = 20_000): Promise<LogLine[]> {
    return this.untilLines((l) => re.test(l.msg), count, timeoutMs, String(re));
  }
  /** Resolves with the first line that satisfies `pred`. */
  async untilLine(pred: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const [line] = await this.untilLines(pred, 1, timeoutMs, 'the awaited line');
    return line as LogLine;
  }
  private async untilLines(pred: (l: LogLine) => boolean, count: number, timeoutMs: number, what: string): Promise<LogLine[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.filter(pred);
      if (found.length >= count) return found;
      if (Date.now() > deadline)
        throw new Error(
          `no ${count} log line(s) matching ${what} within ${timeoutMs} ms; last: ${this.lines
            .slice(-5)
            .map((l) => l.msg)
            .join(' | ')}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Resolves with the first feed status (now or later) that satisfies `pred`. */
export function feedState(feed: NodeFeed, pred: (s: FeedStatus) => boolean, timeoutMs = 20_000): Promise<FeedStatus> {
  return new Promise((resolve, reject) => {
    const now = feed.status();
    if (pred(now)) return resolve(now);
    const t = setTimeout(() => {
      feed.off('state', on);
      reject(new Error(`feed never reached the awaited state; now ${JSON.stringify(feed.status())}`));
    }, timeoutMs);
    const on = (s: FeedStatus): void => {
      if (!pred(s)) return;
      clearTimeout(t);
      feed.off('state', on);
      resolve(s);
    };
    feed.on('state', on);
  });
}

/** Resolves when the feed's books reach `height`. */
export function feedHeight(feed: NodeFeed, height: number, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (feed.books.height >= height && feed.status().state === 'ready') return resolve();
    const t = setTimeout(() => {
      feed.off('block', on);
      feed.off('state', on);
      reject(new Error(`feed at ${feed.books.height} (${feed.status().state}), never reached ${height}`));
    }, timeoutMs);
    const on = (): void => {
      if (feed.books.height < height || feed.status().state !== 'ready') return;
      clearTimeout(t);
      feed.off('block', on);
      feed.off('state', on);
      resolve();
    };
    feed.on('block', on);
    feed.on('state', on);
  });
}

export interface Stack {
  root: string;
  dataDir: string;
  sim: RunningSim;
  feed: NodeFeed;
  server: RunningServer;
  log: LogRecorder;
  /** Every state the feed announced, in order. */
  states: string[];
  close(): Promise<void>;
}

/** A small, fast simulated market by default: 3 coins, 20 blocks/s, few events a block. */
export const SMALL_SIM: Partial<SimulatorOptions> = { seed: 5, profile: 'quiet', coins: 3, blocksPerSecond: 20, eventsPerBlock: 30, restingOrders: 600 };

export async function startStack(
  opts: {
    sim?: Partial<SimulatorOptions>;
    feed?: Partial<NodeFeedOptions>;
    server?: Partial<ServerOptions>;
    /** The info URL the feed asks (a proxy in front of the simulator's). Default the simulator's. */
    infoUrl?: (sim: RunningSim) => string;
  } = {},
): Promise<Stack> {
  const root = await mkdtemp(join(tmpdir(), 'hlob-faults-'));
  const dataDir = join(root, 'data');
  const sim = await startSimulator({ dataDir, infoPort: 0, ...SMALL_SIM, ...opts.sim });
  const log = new LogRecorder();
  const feed = createNodeFeed({
    dataDir,
    infoUrl: opts.infoUrl?.(sim) ?? sim.infoUrl,
    source: 'simulated',
    logger: log,
    staleAfterMs: 400,
    backoff: { initialMs: 20, maxMs: 200 },
    ...opts.feed,
    tailer: { pollMs: 20, ...opts.feed?.tailer },
  }) as NodeFeed;
  const states: string[] = [];
  feed.on('state', (s) => states.push(s.state));
  await feed.start();
  const server = await startServer({ feed, host: '127.0.0.1', port: 0, infoUrl: sim.infoUrl, ...opts.server });
  const stack: Stack = {
    root,
    dataDir,
    sim,
    feed,
    server,
    log,
    states,
    async close() {
      await server.close();
      await feed.stop();
      await stack.sim.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
  return stack;
}
