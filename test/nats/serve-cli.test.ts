/**
 * `hl-orderbook serve --publish` and `--source` as users run them (the built CLI): a core on
 * the simulated node publishes to a real nats-server, an edge with no node serves the same
 * books from the log (its `/health` shows `source: "nats"` and the block log's side; the
 * core's shows the publisher's); bad scale-out flags exit 2 naming them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { Health } from '../../src/server/health.js';
import { HAVE_NATS, startNats } from './nats-server.js';

const MAIN = 'dist/src/cli/main.js';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function serve(args: string[], home: string): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', ...args], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const l = JSON.parse(line) as { msg: string; url?: string };
      if (l.msg === 'listening' && l.url !== undefined) resolve(l.url.replace(/^ws/, 'http').replace(/\/ws$/, ''));
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { child, url };
}

async function healthUntil(url: string, pred: (h: Health) => boolean, timeoutMs = 120_000): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = (await (await fetch(`${url}/health`)).json()) as Health;
    if (pred(h)) return h;
    if (Date.now() > deadline) throw new Error(`health never matched: ${JSON.stringify(h)}`);
    // /health has no event to wait on from outside the process.
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('serve scale-out flags', () => {
  it('refuses --publish with --source, and a URL that is not nats://, with exit 2', () => {
    const home = mkdtempSync(join(tmpdir(), 'hlob-home-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const both = spawnSync(process.execPath, [MAIN, 'serve', '--publish', 'nats://a:4222', '--source', 'nats://a:4222'], {
      env: { ...process.env, HOME: home },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--publish and --source together/);
    const bad = spawnSync(process.execPath, [MAIN, 'serve', '--source', 'http://a:4222'], {
      env: { ...process.env, HOME: home },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--source: "http:\/\/a:4222" is not nats:\/\/host:port/);
  });

  it.skipIf(!HAVE_NATS)(
    'a core publishes the simulated node, an edge serves the same books from NATS',
    async () => {
      const nats = await startNats();
      cleanups.push(() => nats.close());
      const home = mkdtempSync(join(tmpdir(), 'hlob-home-'));
      cleanups.push(() => rmSync(home, { recursive: true, force: true }));
      const core = serve(['--publish', nats.url, '--snapshot-every', '50'], home);
      const coreUrl = await core.url;
      const ch = await healthUntil(coreUrl, (h) => h.state === 'ready' && (h.nats as { snapshot?: number | null } | undefined)?.snapshot != null);
      expect(ch.nats).toMatchObject({ role: 'publish', connected: true, dropped: 0, conflicts: 0 });
      const edge = serve(['--source', nats.url], home);
      const edgeUrl = await edge.url;
      const eh = await healthUntil(edgeUrl, (h) => h.state === 'ready' && h.height !== null);
      expect(eh).toMatchObject({ source: 'nats', nats: { role: 'edge', connected: true, stream: 'HL_BLOCKS', bucket: 'hl-snapshots' } });
      // The edge keeps following the core's live blocks (exact frames: edge-frames.test.ts).
      const at = (await healthUntil(coreUrl, (h) => h.height! > eh.height! + 3)).height!;
      await healthUntil(edgeUrl, (h) => h.height! >= at);
      const metrics = await (await fetch(`${coreUrl}/metrics`)).text();
      expect(metrics).toMatch(/^hlob_nats_published_total\{result="new"\} [1-9]/m);
      expect(metrics).toMatch(/^hlob_nats_publish_buffered_blocks \d+$/m);
      const edgeMetrics = await (await fetch(`${edgeUrl}/metrics`)).text();
      expect(edgeMetrics).toMatch(/^hlob_nats_edge_blocks_total [1-9]/m);
    },
    300_000,
  );
});
