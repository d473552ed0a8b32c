import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { type TinyServer, startTinyServer } from '../load/tiny-server.js';

let server: TinyServer | null = null;
let ticker: NodeJS.Timeout | null = null;

afterEach(async () => {
  if (ticker) clearInterval(ticker);
  ticker = null;
  await server?.close();
  server = null;
});

/** Runs the built CLI (npm test builds first); resolves with its exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['dist/src/cli/main.js', 'loadtest', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('hl-orderbook loadtest', () => {
  it('runs clients in worker processes and prints a summary and a JSON report', async () => {
    server = await startTinyServer();
    const s = server;
    ticker = setInterval(() => {
      const time = Date.now();
      s.push((sub) => ({ coin: sub.coin, time, levels: [[], []] }));
    }, 10);
    const r = await cli(['--url', s.url, '--clients', '20', '--workers', '2', '--subscribe', 'l2Book:*,trades:*', '--coins', 'A,B,C,D', '--duration', '700ms']);
    expect(r.stderr).toMatch(/loadtest: opening 20 clients \(2 subscriptions each\) from 2 worker\(s\)/);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^loadtest ws:\/\/127\.0\.0\.1:\d+\/ws: 20 clients × 2 subscriptions/);
    expect(r.stdout).toMatch(/received +\d+ frames/);
    const report = JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
    expect(report).toMatchObject({ clients: 20, workers: 2, subscribed: 20, acks: 40, connectFailures: 0, disconnects: 0, coins: ['A', 'B', 'C', 'D'] });
    expect(report.frames).toBeGreaterThan(0);
    expect((report.latencyMs as { samples: number }).samples).toBeGreaterThan(0);
    expect(report.server).toMatchObject({ source: 'metrics' });
    // Round robin across both workers: five clients per coin, each with l2Book and trades.
    const perCoin: Record<string, number> = {};
    for (const sub of server.history) perCoin[String(sub.coin)] = (perCoin[String(sub.coin)] ?? 0) + 1;
    expect(perCoin).toEqual({ A: 10, B: 10, C: 10, D: 10 });
  });

  it('refuses a non-loopback host with exit 2 and the reason', async () => {
    const r = await cli(['--url', 'ws://api.hyperliquid.xyz/ws', '--clients', '1', '--duration', '1s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing host api\.hyperliquid\.xyz: the load tool only targets this machine .*\[HLOB_ERR_CONFIG\]/);
  });

  it('refuses a bad duration and client count with exit 2', async () => {
    const a = await cli(['--clients', 'many']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--clients: "many" is not a whole number/);
    const b = await cli(['--duration', 'soon']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--duration: "soon" is not a duration/);
  });

  it('fails at once with exit 1 and the socket error when no client can connect', async () => {
    server = await startTinyServer();
    const url = server.url;
    await server.close();
    server = null;
    const started = Date.now();
    const r = await cli(['--url', url, '--clients', '3', '--duration', '60s', '--workers', '0']);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stderr).toMatch(/no client is connected: skipping the measuring window/);
    expect(r.stdout).toMatch(/error +client 0: connect ECONNREFUSED/);
  });
});
