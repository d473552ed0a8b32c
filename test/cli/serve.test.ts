/**
 * `hl-orderbook serve` as a user runs it: the real CLI (built), a HOME with no node (the
 * simulated node starts and books are served), a node dir with missing directories (an
 * error naming them and the node flags), bad flags, and a clean exit on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseSource } from '../../src/cli/serve.js';
import { HlobError } from '../../src/errors.js';
import { TestClient } from '../server/helpers/client.js';

const MAIN = 'dist/src/cli/main.js';
const dirs: string[] = [];
const children: ChildProcess[] = [];

async function emptyHome(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hlob-home-'));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('chooseSource', () => {
  it('takes the simulated node only when ~/hl/data does not exist and no data dir was given', async () => {
    const home = await emptyHome();
    expect(await chooseSource({ dataDir: null, wait: false }, home)).toEqual({ kind: 'simulated' });
    await mkdir(join(home, 'hl', 'data'), { recursive: true });
    await expect(chooseSource({ dataDir: null, wait: false }, home)).rejects.toThrow(HlobError);
    await expect(chooseSource({ dataDir: null, wait: false }, home)).rejects.toThrow(
      `missing directory ${join(home, 'hl', 'data', 'node_order_statuses_by_block')}: run the node with --write-order-statuses --batch-by-block`,
    );
    expect(await chooseSource({ dataDir: null, wait: true }, home)).toEqual({ kind: 'node', dataDir: join(home, 'hl', 'data') });
    for (const d of ['node_order_statuses_by_block', 'node_raw_book_diffs_by_block', 'node_fills_by_block']) await mkdir(join(home, 'hl', 'data', d));
    expect(await chooseSource({ dataDir: null, wait: false }, home)).toEqual({ kind: 'node', dataDir: join(home, 'hl', 'data') });
  });

  it('never falls back to the simulated node for a data dir that was given', async () => {
    const home = await emptyHome();
    const given = join(home, 'elsewhere');
    await expect(chooseSource({ dataDir: given, wait: false }, home)).rejects.toThrow(`data dir ${given} does not exist`);
  });
});

describe('the serve command', () => {
  it('on a machine without a node serves live simulated books, then exits 0 on SIGTERM closing sockets with 1001', async () => {
    const home = await emptyHome();
    const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0'], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const logs: { msg: string; url?: string; state?: string }[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = JSON.parse(line) as { msg: string; url?: string };
        logs.push(m);
        if (m.msg === 'listening') resolve(m.url!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    expect(logs[0]!.msg).toMatch(/^no node data at .*: serving a simulated node/);
    const c = await TestClient.open(url);
    c.send({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } });
    expect(await c.channel('subscriptionResponse')).toEqual({
      channel: 'subscriptionResponse',
      data: { method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } },
    });
    const first = (await c.channel('l2Book')).data as { coin: string; levels: unknown[][] };
    expect(first.coin).toBe('BTC');
    expect(first.levels[0]!.length).toBeGreaterThan(0);
    // Live: another block's view follows.
    await c.channel('l2Book');
    const health = (await (await fetch(url.replace(/^ws/, 'http').replace(/\/ws$/, '/health'))).json()) as { source: string; state: string };
    expect(health).toMatchObject({ source: 'simulated', state: 'ready' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect((await c.waitClosed()).code).toBe(1001);
    expect(await exited).toBe(0);
  });

  it('with --workers 2 on a machine without a node: the simulated node runs once (in the primary), both workers serve it, SIGTERM stops all with 1001 and exit 0', async () => {
    const home = await emptyHome();
    const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--workers', '2'], {
      env: { ...process.env, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const logs: { msg: string; url?: string }[] = [];
    const ready = new Promise<string>((resolve, reject) => {
      let url = '';
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = JSON.parse(line) as { msg: string; url?: string };
        logs.push(m);
        if (m.msg === 'listening') url = m.url!;
        if (m.msg === 'books ready') resolve(url);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const url = await ready;
    expect(logs.filter((l) => /serving a simulated node/.test(l.msg))).toHaveLength(1);
    const cs = [await TestClient.open(url), await TestClient.open(url)];
    for (const c of cs) {
      c.send({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } });
      expect(((await c.channel('l2Book')).data as { coin: string }).coin).toBe('BTC');
      await c.channel('l2Book');
    }
    const httpUrl = url.replace(/^ws/, 'http').replace(/\/ws$/, '');
    const health = (await (await fetch(`${httpUrl}/health`)).json()) as { source: string; state: string; clients: number; workers: { clients: number }[] };
    expect(health).toMatchObject({ source: 'simulated', state: 'ready', clients: 2 });
    expect(health.workers.map((w) => w.clients)).toEqual([1, 1]);
    expect(await (await fetch(`${httpUrl}/metrics`)).text()).toMatch(/^hlob_snapshot_requests_total\{result="ok"\} 1$/m);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    for (const c of cs) expect((await c.waitClosed()).code).toBe(1001);
    expect(await exited).toBe(0);
  });

  it('refuses a node data dir with missing directories, naming them and the node flags; exit 1', async () => {
    const home = await emptyHome();
    await mkdir(join(home, 'hl', 'data'), { recursive: true });
    const r = spawnSync(process.execPath, [MAIN, 'serve', '--port', '0'], { env: { ...process.env, HOME: home }, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('node_raw_book_diffs_by_block: run the node with --write-raw-book-diffs --batch-by-block');
    expect(r.stdout).toContain('node_fills_by_block: run the node with --write-fills --batch-by-block');
    expect(r.stdout).not.toContain('simulated');
  });

  it('refuses bad flags and environment variables with exit 2, naming them', async () => {
    const r = spawnSync(process.execPath, [MAIN, 'serve', '--compression-level', '12'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--compression-level: expected an integer from 0 to 9, got "12"');
    const e = spawnSync(process.execPath, [MAIN, 'serve'], { encoding: 'utf8', env: { ...process.env, HL_ORDERBOOK_PORT: 'http' } });
    expect(e.status).toBe(2);
    expect(e.stderr).toContain('HL_ORDERBOOK_PORT: expected an integer');
  });

  it('lists every flag with its default and environment variable in --help, with the Rust aliases', () => {
    const r = spawnSync(process.execPath, [MAIN, 'serve', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const s of [
      '--workers <n>',
      'HL_ORDERBOOK_WORKERS',
      '--port <port>',
      'default: 8000',
      'HL_ORDERBOOK_PORT',
      '--address <host>',
      '--websocket-compression-level',
      'default: 127.0.0.1',
      'HL_ORDERBOOK_L2_HEARTBEAT_MS',
    ])
      expect(help).toContain(s);
  });
});
