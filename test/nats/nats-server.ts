/**
 * A real `nats-server` with JetStream for the scale-out tests: a free port on 127.0.0.1 and a
 * temp store dir, ready once it accepts connections; `stop()` and `restart()` (same port and
 * dir: "NATS goes away and returns"). Debian's package puts it in /usr/sbin; CI installs it
 * (`.ci/run`) and sets HL_ORDERBOOK_REQUIRE_NATS=1, so there the tests cannot skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

function findBinary(): string | undefined {
  const candidates = [
    process.env.HL_ORDERBOOK_NATS_SERVER,
    '/usr/sbin/nats-server',
    '/usr/bin/nats-server',
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'nats-server')),
  ];
  for (const c of candidates) {
    if (c === undefined || c === '') continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

export const NATS_BINARY = findBinary();
export const NATS_REQUIRED = process.env.HL_ORDERBOOK_REQUIRE_NATS === '1';
if (NATS_BINARY === undefined) {
  if (NATS_REQUIRED) throw new Error('HL_ORDERBOOK_REQUIRE_NATS=1 but no nats-server found (apt-get install nats-server, or set HL_ORDERBOOK_NATS_SERVER)');
  process.stderr.write(
    '\n*** WARNING: nats-server not found: the NATS scale-out tests (test/nats) are SKIPPED. Install it (apt-get install nats-server) to run them. ***\n\n',
  );
}
/** `describe.skipIf(!HAVE_NATS)`. */
export const HAVE_NATS = NATS_BINARY !== undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export interface TestNats {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  /** Start again on the same port and store dir. */
  start(): Promise<void>;
  /** Stop for good and remove the store. */
  close(): Promise<void>;
}

export async function startNats(): Promise<TestNats> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hlob-nats-'));
  let child: ChildProcess | undefined;
  let stderr = '';
  const n: TestNats = {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    async start() {
      stderr = '';
      child = spawn(NATS_BINARY!, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`nats-server exited ${code}: ${stderr.slice(-500)}`))));
      exited.catch(() => undefined);
      const deadline = Date.now() + 20_000;
      // The server gives no event to wait on: poll its port until it accepts.
      while (!(await Promise.race([accepts(port), exited]))) {
        if (Date.now() > deadline) throw new Error(`nats-server on ${port} never accepted: ${stderr.slice(-500)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null) return;
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGKILL');
      await gone;
    },
    async close() {
      await n.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await n.start();
  return n;
}
