/**
 * `npm start` under a process manager (Docker, systemd): SIGTERM goes to the `npm` process.
 * The start script `exec`s the server, so the server is npm's own child (no shell between to
 * die and orphan it), gets the signal npm forwards, closes its sockets with 1001 and exits;
 * nothing is left running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../server/helpers/client.js';

const dirs: string[] = [];
const pids: number[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const p of pids.splice(0)) if (alive(p)) process.kill(p, 'SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes whose parent is `pid`, with their command lines. */
function childrenOf(pid: number): { pid: number; args: string }[] {
  const out = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), args: m[2]! }));
}

/** Whether `pid` is gone within `withinMs`: a process that is not our child cannot be waited on, so signal 0 is polled (bounded). */
async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

describe('npm start', () => {
  it('SIGTERM to the npm process reaches the server: sockets closed with 1001, the server exits, no orphan', { timeout: 120_000 }, async () => {
    const home = await mkdtemp(join(tmpdir(), 'hlob-home-'));
    dirs.push(home);
    // --ignore-scripts skips only the prestart build (the test run has built already), not `start`.
    const npm = spawn('npm', ['start', '--ignore-scripts', '--silent', '--', '--port', '0'], {
      env: { ...process.env, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(npm);
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: npm.stdout! }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        const m = JSON.parse(line) as { msg: string; url?: string };
        if (m.msg === 'listening') resolve(m.url!);
      });
      npm.once('exit', (code) => reject(new Error(`npm start exited ${code}`)));
    });
    // The server is npm's direct child: the script's shell exec'd it.
    const kids = childrenOf(npm.pid!);
    // Whatever happens, nothing this test started outlives it.
    for (const k of kids) pids.push(k.pid, ...childrenOf(k.pid).map((g) => g.pid));
    expect(kids).toHaveLength(1);
    expect(kids[0]!.args).toMatch(/^node dist\/src\/cli\/main\.js serve --port 0$/);
    const server = kids[0]!.pid;
    const c = await TestClient.open(url);
    const npmExited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    npm.kill('SIGTERM');
    expect((await c.waitClosed()).code).toBe(1001);
    await npmExited;
    expect(await gone(server, 15_000)).toBe(true);
  });
});
