/**
 * What the `serve --workers` tests share: a simulated node in a temp dir with this test's own
 * feed of its files (the truth every frame is compared with), and the built CLI serving it
 * with its JSON log lines collected. `closeAll()` (in `afterEach`) stops what was started,
 * newest first: the CLI, the feed, the simulator, then the temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startSimulator, type RunningSim, type SimulatorOptions } from '../../../src/sim/index.js';
import { createNodeFeed, type NodeFeed } from '../../../src/state/index.js';

const MAIN = 'dist/src/cli/main.js';
const closers: (() => Promise<unknown> | void)[] = [];

/** Stop everything started since the last call, newest first. */
export async function closeAll(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}

export interface SimulatedNode {
  dir: string;
  dataDir: string;
  sim: RunningSim;
  /** This test's own books from the same files (not started: the test adds its listeners first). */
  feed: NodeFeed;
}

/** A mainnet-profile simulated node at 20 blocks/s in a fresh temp dir, and a feed of its files. */
export async function simulatedNode(prefix: string, opts: Pick<SimulatorOptions, 'seed' | 'restingOrders' | 'startHeight'>): Promise<SimulatedNode> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'hl', 'data');
  const sim = await startSimulator({ dataDir, infoPort: 0, profile: 'mainnet', blocksPerSecond: 20, ...opts });
  closers.push(() => sim.stop());
  const feed = createNodeFeed({ dataDir, infoUrl: sim.infoUrl, snapshotDir: join(dir, 'test-snapshots'), source: 'simulated' }) as NodeFeed;
  closers.push(() => feed.stop());
  sim.on('block', () => feed.wake());
  return { dir, dataDir, sim, feed };
}

/** One JSON log line of the CLI. */
export interface Log {
  level?: number;
  msg: string;
  url?: string;
  state?: string;
  worker?: number;
}

export interface ServedCluster {
  child: ChildProcess;
  /** Every log line so far. */
  logs: Log[];
  /** The first log line matching `pred`, past or future. */
  logged(pred: (l: Log) => boolean): Promise<Log>;
  /** The exit code, once it exited. */
  exited: Promise<number | null>;
}

/** `hl-orderbook serve --workers 2 <args>` from the build, stdout read as JSON log lines (stderr shown). */
export function serveWorkers(args: string[], env: NodeJS.ProcessEnv = process.env): ServedCluster {
  const child = spawn(process.execPath, [MAIN, 'serve', '--workers', '2', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  closers.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs: Log[] = [];
  const onLine: ((l: Log) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const l = JSON.parse(line) as Log;
    logs.push(l);
    for (const f of onLine) f(l);
  });
  const logged = (pred: (l: Log) => boolean): Promise<Log> => {
    const seen = logs.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => onLine.push((l) => pred(l) && resolve(l)));
  };
  return { child, logs, logged, exited };
}

/** The CLI's `listening` URL (rejects if it exits first) and the same address over HTTP. */
export async function listening(c: ServedCluster): Promise<{ url: string; httpUrl: string }> {
  const url = (await Promise.race([c.logged((l) => l.msg === 'listening'), c.exited.then((code) => Promise.reject(new Error(`exited ${code}`)))])).url!;
  return { url, httpUrl: url.replace(/^ws/, 'http').replace(/\/ws$/, '') };
}
