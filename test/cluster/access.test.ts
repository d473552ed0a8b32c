/**
 * Access control with `serve --workers 2` (the built CLI, its own simulated node): the token
 * is required by every worker, and `--max-connections-per-ip` bounds the connections over
 * both workers together (the primary keeps the count), not per worker; a worker that dies
 * gives its connections' slots back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Health } from '../../src/server/health.js';
import { TestClient } from '../server/helpers/client.js';

const MAIN = 'dist/src/cli/main.js';
const TOKEN = 'cluster-token-0123456789abcdef';
let home: string | undefined;
let child: ChildProcess | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', () => undefined);
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };

async function health(httpUrl: string): Promise<Health> {
  return (await (await fetch(`${httpUrl}/health`)).json()) as Health;
}

describe('serve --workers 2 with --auth-token and --max-connections-per-ip', () => {
  it('every worker requires the token; the per-IP bound holds over both workers and frees with a dead worker', async () => {
    home = await mkdtemp(join(tmpdir(), 'hlob-home-'));
    child = spawn(process.execPath, [MAIN, 'serve', '--workers', '2', '--port', '0', '--auth-token', TOKEN, '--max-connections-per-ip', '3'], {
      env: { ...process.env, HOME: home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const lines: { msg: string; url?: string }[] = [];
    const onLine: (() => void)[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(JSON.parse(line) as { msg: string; url?: string });
      for (const f of onLine.splice(0)) f();
    });
    /** The first log line matching `pred`, past or future. */
    const logged = async (pred: (l: { msg: string; url?: string }) => boolean): Promise<{ msg: string; url?: string }> => {
      for (;;) {
        const l = lines.find(pred);
        if (l !== undefined) return l;
        await Promise.race([new Promise<void>((r) => onLine.push(r)), exited.then((c) => Promise.reject(new Error(`exited ${c}`)))]);
      }
    };
    const url = (await logged((l) => l.msg === 'listening')).url!;
    const httpUrl = url.replace(/^ws/, 'http').replace(/\/ws$/, '');

    // Both workers (connections go to each in turn) refuse without the token.
    for (let i = 0; i < 4; i++) expect(await upgradeStatus(url)).toBe(401);
    expect((await fetch(`${httpUrl}/info`, { method: 'POST', body: '{"type":"meta"}' })).status).toBe(401);
    expect((await fetch(`${httpUrl}/info`, { method: 'POST', body: '{"type":"meta"}', headers: auth })).status).toBe(200);
    expect((await fetch(`${httpUrl}/metrics`)).status).toBe(401);

    // Three connections over two workers, then the bound: per worker it would have let a fourth in.
    for (let i = 0; i < 3; i++) clients.push(await TestClient.open(url, { headers: auth }));
    expect((await health(httpUrl)).workers!.map((w) => w.clients).sort()).toEqual([1, 2]);
    for (let i = 0; i < 2; i++) expect(await upgradeStatus(url, auth)).toBe(429);
    const metrics = await (await fetch(`${httpUrl}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/^hlob_refused_total\{reason="auth",endpoint="\/ws"\} 4$/m);
    expect(metrics).toMatch(/^hlob_refused_total\{reason="per_ip",endpoint="\/ws"\} 2$/m);
    expect(metrics).toMatch(/^hlob_refused_total\{reason="auth",endpoint="\/info"\} 1$/m);

    // A worker dies with its connections: their slots come back.
    const h = await health(httpUrl);
    const victim = h.workers!.find((w) => w.clients === 2)!;
    process.kill(victim.pid!, 'SIGKILL');
    // The primary logs the death after giving the dead worker's slots back.
    await logged((l) => /^worker \d died/.test(l.msg));
    const open = async (): Promise<TestClient | undefined> => TestClient.open(url, { headers: auth }).catch(() => undefined);
    let fresh = 0;
    while (fresh < 2) {
      const c = await open();
      if (c === undefined) continue; // the restarted worker is not listening yet, or a 429 while the survivor's worker counts
      clients.push(c);
      fresh++;
    }
    expect(await upgradeStatus(url, auth)).toBe(429);
    // Stop once the restarted worker is up (a stop in the middle of its start-up is another matter).
    while (!(await health(httpUrl)).workers!.every((w) => w.state === 'ready')) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 180_000);
});
