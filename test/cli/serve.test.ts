import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const CLI = 'dist/src/cli/main.js';
const children: ChildProcess[] = [];
const dirs: string[] = [];

function emptyHome(): string {
  const d = mkdtempSync(join(tmpdir(), 'hlob-home-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The serve process's JSON log lines, read once; `waitFor` resolves at the first line `pick` accepts (seen or to come). */
function logOf(child: ChildProcess) {
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const w of waiters.splice(0)) w();
  });
  return {
    waitFor<T>(pick: (line: Record<string, unknown>) => T | undefined): Promise<T> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          for (const l of lines) {
            const v = pick(l);
            if (v !== undefined) return resolve(v);
          }
          waiters.push(check);
        };
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
        check();
      });
    },
  };
}

describe('hl-orderbook serve', () => {
  it('with no ~/hl/data, serves a simulated node: says so, reports it in /health, and streams live l2Book frames', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { env: { ...process.env, HOME: emptyHome() }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const log = logOf(child);
    const url = await log.waitFor((l) => (l.msg === 'listening' && typeof l.health === 'string' ? (l.url as string) : undefined));
    expect(await log.waitFor((l) => (typeof l.msg === 'string' && l.msg.includes('SIMULATED') ? l.msg : undefined))).toMatch(/no node data at .*hl\/data/);

    const ws = new WebSocket(url);
    const frames: { channel: string; data: { coin?: string; levels?: unknown[][] } }[] = [];
    const twoBooks = new Promise<void>((resolve) => {
      ws.on('message', (m) => {
        frames.push(JSON.parse(String(m)) as (typeof frames)[number]);
        if (frames.filter((f) => f.channel === 'l2Book').length >= 2) resolve();
      });
    });
    ws.on('open', () => ws.send(JSON.stringify({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } })));
    await twoBooks;
    ws.close();
    expect(frames[0]!.channel).toBe('subscriptionResponse');
    const book = frames.find((f) => f.channel === 'l2Book')!;
    expect(book.data.coin).toBe('BTC');
    expect(book.data.levels![0]!.length).toBeGreaterThan(0);

    const health = (await (await fetch(url.replace('ws://', 'http://').replace(/\/ws$/, '/health'))).json()) as { source: string; state: string };
    expect(health.source).toBe('simulated');
    expect(health.state).toBe('ready');

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a ~/hl/data without the by-block directories, naming each and its node flags', () => {
    const home = emptyHome();
    mkdirSync(join(home, 'hl', 'data'), { recursive: true });
    const r = spawnSync(process.execPath, [CLI, 'serve', '--port', '0'], { env: { ...process.env, HOME: home }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('node_raw_book_diffs_by_block: run the node with --write-raw-book-diffs --batch-by-block');
    expect(r.stderr).toContain('node_fills_by_block: run the node with --write-fills');
    expect(r.stdout).not.toMatch(/SIMULATED/);
  });

  it('refuses a --data-dir that does not exist instead of falling back to fake books', () => {
    const r = spawnSync(process.execPath, [CLI, 'serve', '--data-dir', join(emptyHome(), 'nope')], { env: { ...process.env, HOME: emptyHome() }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing data directory .*nope/);
  });

  it('names the environment variable of a bad setting', () => {
    const r = spawnSync(process.execPath, [CLI, 'serve'], { env: { ...process.env, HL_ORDERBOOK_PORT: 'abc' }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('HL_ORDERBOOK_PORT');
  });
});
