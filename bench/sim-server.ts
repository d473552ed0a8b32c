/**
 * A simulated node (in this process, or in its own) and the server in a process of its own
 * (`hl-orderbook serve`) reading its files: what the scale and soak benches measure against.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { L4Order, L4SnapshotFile, NodeOrder } from '../src/book/index.js';
import { startSimulator, type RunningSim, type SimulatorOptions } from '../src/sim/index.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * A compiled module by its path under dist/ (`src/cli/main.js`): next to this one
 * when it runs compiled, else from dist/ (tests run this file from source; npm test builds first).
 */
function compiled(path: string): string {
  const root = basename(dirname(here)) === 'dist' ? dirname(here) : join(dirname(here), 'dist');
  const file = join(root, path);
  if (!existsSync(file)) throw new Error(`${file} not found: run \`npm run build\``);
  return file;
}

export interface SimServer {
  /** The simulator, when it runs in this process; null when in its own. */
  sim: RunningSim | null;
  /** The simulator's process id (this process when in-process). */
  simPid: number;
  root: string;
  /** The simulated node's info server (`POST` `fileSnapshot` and the public info requests). */
  infoUrl: string;
  /** The server process. */
  pid: number;
  port: number;
  wsUrl: string;
  httpUrl: string;
  /** `performance.now()` when the server process was spawned. */
  spawnedAt: number;
  /** `Date.now()` then (log lines carry wall-clock times). */
  spawnedAtWall: number;
  /** The server's JSON log lines (info and above; the first 1,000). */
  logObjects(): Array<{ level?: number; time?: number; msg?: string; [k: string]: unknown }>;
  /** The last lines the server wrote (for error reports). */
  stderrTail(): string;
  /** The server's warning and error log lines so far, and anything on its stderr. */
  logLines(): Array<{ level: string; msg: string }>;
  /** Resolves with the exit code when the server process ends. */
  exited: Promise<number | null>;
  /** Stops the server (SIGTERM), then the simulator, and removes the files. */
  stop(): Promise<void>;
}

/** Flags of `hl-orderbook simulate` for these options (the ones the benches use). */
function simulateArgs(dataDir: string, o: Partial<SimulatorOptions>): string[] {
  const args = ['simulate', '--data-dir', dataDir, '--info-port', '0'];
  const flag: Array<[keyof SimulatorOptions, string]> = [
    ['seed', '--seed'],
    ['profile', '--profile'],
    ['blocksPerSecond', '--blocks-per-second'],
    ['eventsPerBlock', '--events-per-block'],
    ['coins', '--coins'],
    ['restingOrders', '--resting-orders'],
    ['keepMinutes', '--keep-minutes'],
  ];
  for (const [k, f] of flag) if (o[k] !== undefined) args.push(f, String(o[k]));
  return args;
}

/** `hl-orderbook simulate` in a process of its own; resolves with its info URL once it writes. */
async function spawnSimulator(dataDir: string, o: Partial<SimulatorOptions>): Promise<{ child: ChildProcess; infoUrl: string; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, [compiled('src/cli/main.js'), ...simulateArgs(dataDir, o)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const infoUrl = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /info server (http:\/\/\S+)/.exec(text);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`simulator exited before starting: ${text}`)));
  });
  return { child, infoUrl, exited };
}

/**
 * The simulated node alone, in a process of its own: the same load on the machine as under
 * `startSimServer({ simProcess: true })`, for a baseline run beside it (no server reads it).
 */
export async function startSimProcess(o: Partial<SimulatorOptions>): Promise<{ stop(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'hlob-bench-sim-'));
  const { child, exited } = await spawnSimulator(join(root, 'data'), o);
  return {
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Options of the server process: `hl-orderbook serve` flags beyond data dir, info URL and port. */
export interface ServeOptions {
  /** `--stale-after` in seconds. Default serve's. */
  staleAfterS?: number;
  /** `--workers`: server processes sharing the port. Default serve's (1). */
  workers?: number;
}

export async function startSimServer(opts: {
  sim: Partial<SimulatorOptions>;
  /** Run the simulator in a process of its own (so that its work never stalls this one's measurements). Default false. */
  simProcess?: boolean;
  server?: ServeOptions;
  /** Extra node flags for the server process. Default none. */
  execArgv?: string[];
}): Promise<SimServer> {
  const root = await mkdtemp(join(tmpdir(), 'hlob-bench-'));
  const dataDir = join(root, 'data');
  const simChild = opts.simProcess ? await spawnSimulator(dataDir, opts.sim) : null;
  const sim = simChild ? null : await startSimulator({ dataDir, infoPort: 0, ...opts.sim });
  const infoUrl = simChild?.infoUrl ?? sim?.infoUrl ?? '';
  // The server exactly as users run it: `hl-orderbook serve`, JSON log lines on stdout.
  const args = ['serve', '--data-dir', dataDir, '--info-url', infoUrl, '--port', '0', '--wait', '--log-level', 'info'];
  if (opts.server?.staleAfterS !== undefined) args.push('--stale-after', String(opts.server.staleAfterS));
  if (opts.server?.workers !== undefined) args.push('--workers', String(opts.server.workers));
  const spawnedAt = performance.now();
  const spawnedAtWall = Date.now();
  const child: ChildProcess = spawn(process.execPath, [...(opts.execArgv ?? []), compiled('src/cli/main.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const logged: Array<{ level: string; msg: string }> = [];
  const objects: Array<{ level?: number; time?: number; msg?: string; [k: string]: unknown }> = [];
  const keep = (text: string): void => {
    tail.push(text);
    if (tail.length > 20) tail.shift();
  };
  child.stderr?.on('data', (d: Buffer) => {
    keep(d.toString());
    logged.push({ level: 'stderr', msg: d.toString() });
  });
  let listening: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => (listening = resolve));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    keep(l);
    let j: { level?: number; time?: number; msg?: string; url?: string };
    try {
      j = JSON.parse(l) as typeof j;
    } catch {
      logged.push({ level: 'stdout', msg: l });
      return;
    }
    if (objects.length < 1000) objects.push(j);
    // pino levels: 40 warn, 50 error, 60 fatal.
    if ((j.level ?? 0) >= 40) logged.push({ level: (j.level ?? 0) >= 50 ? 'error' : 'warn', msg: j.msg ?? '' });
    if (j.msg === 'listening' && j.url) listening(Number(new URL(j.url).port));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const boundPort = await Promise.race([
    port,
    exited.then((code) => Promise.reject(new Error(`server process exited with ${code} before listening: ${tail.join('\n')}`))),
  ]);
  return {
    sim,
    simPid: simChild?.child.pid ?? process.pid,
    root,
    infoUrl,
    pid: child.pid ?? 0,
    port: boundPort,
    wsUrl: `ws://127.0.0.1:${boundPort}/ws`,
    httpUrl: `http://127.0.0.1:${boundPort}`,
    spawnedAt,
    spawnedAtWall,
    logObjects: () => [...objects],
    stderrTail: () => tail.join('\n'),
    logLines: () => [...logged],
    exited,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(kill);
      }
      await sim?.stop();
      if (simChild && simChild.child.exitCode === null) {
        simChild.child.kill('SIGTERM');
        await simChild.exited;
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface HealthJson {
  state: string;
  height: number | null;
  clients: number;
}

export async function health(httpUrl: string): Promise<HealthJson> {
  return (await (await fetch(`${httpUrl}/health`)).json()) as HealthJson;
}

/** Polls /health until the server has applied `height` (the simulator stopped there). */
export async function waitForHeight(httpUrl: string, height: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await health(httpUrl);
    if (h.state === 'ready' && h.height !== null && h.height >= height) return;
    if (Date.now() > deadline) throw new Error(`server at ${JSON.stringify(h)} never reached height ${height}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Every coin's L4 book as the server holds it (`POST /info` `l4Book`), as one snapshot
 * file; null when the coins are not all at the same height.
 */
export async function serverSnapshot(httpUrl: string, coins: readonly string[]): Promise<L4SnapshotFile | null> {
  let height: number | null = null;
  const entries: L4SnapshotFile[1] = [];
  const entry = (o: L4Order): [string, NodeOrder] => {
    const { user, ...order } = o;
    return [user, order];
  };
  for (const coin of coins) {
    const res = await fetch(`${httpUrl}/info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'l4Book', coin }),
    });
    const book = (await res.json()) as { height: number; levels: [L4Order[], L4Order[]] } | null;
    if (book === null) continue;
    if (height !== null && book.height !== height) return null;
    height = book.height;
    entries.push([coin, [book.levels[0].map(entry), book.levels[1].map(entry)]]);
  }
  return [height ?? 0, entries];
}
