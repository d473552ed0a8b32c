/**
 * Acceptance, end to end through the command line: the shared real blocks rewritten with
 * `insertBefore` (today's node format) are written by `hl-orderbook replay` into a data dir
 * that `hl-orderbook serve` follows. `l4Book` over WebSocket (its Snapshot, then Updates
 * applied by an independent model) and `POST /info` `l4Book` equal the naive model replaying
 * the same data, order by order, and the server never resyncs.
 *
 * The data is replayed in three runs into the same files: the server loads the snapshot and
 * catches up from the files, follows a few blocks live, then the client subscribes and the
 * last blocks come as live Updates carrying `insertBefore`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { BookDiffEvent, L4Order } from '../../src/book/index.js';
import type { Envelope } from '../book/fixtures.js';
import { applyBlockToModel, modelOfSnapshot, rewriteWithInsertBefore } from '../book/insert-before-data.js';
import { l4Keys, NaiveBook } from '../book/naive-model.js';
import { TestClient } from '../server/helpers/client.js';
import type { SnapshotData, UpdatesData } from '../server/helpers/l4-replica.js';

const MAIN = 'dist/src/cli/main.js';
const SNAPSHOT = join(import.meta.dirname, '..', 'fixtures', 'mainnet-btc-985148181', 'snapshot-985148181.json.gz');
const STREAMS = ['node_order_statuses_by_block', 'node_raw_book_diffs_by_block', 'node_fills_by_block'] as const;

const children: ChildProcess[] = [];
const clients: TestClient[] = [];
const dirs: string[] = [];

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') process.stderr.write(`children's output:\n${output.join('\n').slice(-20_000)}\n`);
  output.length = 0;
  for (const c of clients.splice(0)) c.close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hlob-ib-'));
  dirs.push(d);
  return d;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** `block_time` moved `addMs` later (the hour stays 17: the data spans seconds). */
function later(time: string, addMs: number): string {
  const ms = Date.parse(`${time.slice(0, 23)}Z`) + addMs;
  return new Date(ms).toISOString().slice(0, 23) + time.slice(23);
}

/** Recorded data (plain files) of some blocks, as `replay --from` takes it. */
function recorded(lines: Record<(typeof STREAMS)[number], Envelope[]>, heights: Set<number>): string {
  const dir = tempDir();
  for (const stream of STREAMS) {
    const hourly = join(dir, 'hl', 'data', stream, 'hourly', '20260505');
    mkdirSync(hourly, { recursive: true });
    writeFileSync(
      join(hourly, '17'),
      lines[stream]
        .filter((e) => heights.has(e.block_number))
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
    );
  }
  return dir;
}

/** Everything the children wrote, for the failure message (and read, so that no pipe fills up). */
const output: string[] = [];

function spawnCli(args: string[], home: string): ChildProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stderr!.on('data', (d: Buffer) => output.push(`[${args[0]} stderr] ${d.toString()}`));
  if (args[0] !== 'serve') child.stdout!.on('data', (d: Buffer) => output.push(`[${args[0]}] ${d.toString()}`));
  return child;
}

async function postInfo(httpUrl: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${httpUrl}/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return res.json();
}

function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

describe('real data with insertBefore through replay and serve', () => {
  it('l4Book over WebSocket and /info l4Book equal an independent model order by order; no resync', async () => {
    const data = rewriteWithInsertBefore(985148181);
    // Block times stretched (x5: the 25 blocks span 8 s instead of 1.6 s) past the 2 s the
    // server reuses an l4 snapshot for, so that `/info` at the end serializes the last height
    // rather than reusing the one made for the subscription.
    const first = Date.parse(`${data.lines.statuses[0]!.block_time.slice(0, 23)}Z`);
    const stretch = (envs: Envelope[]): Envelope[] =>
      envs.map((e) => ({ ...e, block_time: later(e.block_time, Math.round((Date.parse(`${e.block_time.slice(0, 23)}Z`) - first) * 4)) }));
    const lines = {
      node_order_statuses_by_block: stretch(data.lines.statuses),
      node_raw_book_diffs_by_block: stretch(data.lines.diffs),
      node_fills_by_block: stretch(data.lines.fills),
    };
    const heights = data.blocks.map((b) => b.height);
    const loaded = 985148189;
    const split = 985148197;
    const parts = [
      recorded(lines, new Set(heights.filter((h) => h <= loaded))),
      recorded(lines, new Set(heights.filter((h) => h > loaded && h <= split))),
      recorded(lines, new Set(heights.filter((h) => h > split))),
    ];

    const home = tempDir();
    const dataDir = join(tempDir(), 'hl', 'data');
    for (const s of STREAMS) mkdirSync(join(dataDir, s), { recursive: true });
    const infoPort = await freePort();

    // The server first, on an empty data dir: whatever the replay writes is new to it.
    const serve = spawnCli(['serve', '--port', '0', '--data-dir', dataDir, '--info-url', `http://127.0.0.1:${infoPort}/info`], home);
    const logs: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: serve.stdout! }).on('line', (line) => {
        logs.push(line);
        output.push(line);
        const m = JSON.parse(line) as { msg: string; url?: string };
        if (m.msg === 'listening') resolve(m.url!);
      });
      serve.once('exit', (code) => reject(new Error(`serve exited ${code}: ${logs.join('\n')}`)));
      setTimeout(() => reject(new Error('serve did not log "listening" within 60 s')), 60_000).unref();
    });
    const httpUrl = url.replace(/^ws/, 'http').replace(/\/ws$/, '');

    const replay = (from: string): ChildProcess =>
      spawnCli(['replay', '--from', from, '--snapshot', SNAPSHOT, '--data-dir', dataDir, '--info-port', String(infoPort), '--speed', 'max'], home);
    const c = await TestClient.open(url);
    clients.push(c);
    await c.request({ method: 'subscribe', subscription: { type: 'serverStatus' } }, (f) => f.channel === 'subscriptionResponse');
    const atHeight = (height: number): Promise<unknown> =>
      c.next((f) => {
        const h = f.data as { state?: string; height?: number | null };
        // `stale` rather than `ready` when loading took longer than --stale-after: the replay
        // has nothing more to write.
        return f.channel === 'serverStatus' && (h.state === 'ready' || h.state === 'stale') && h.height === height;
      }, 120_000);
    /** One replay run to its end, then stopped (the next one serves the same snapshot on the same port). */
    const replayPart = async (from: string, last: number): Promise<void> => {
      const r = replay(from);
      await atHeight(last);
      const stopped = new Promise((resolve) => r.once('exit', resolve));
      r.kill('SIGTERM');
      await stopped;
    };
    // First run: the server loads snapshot 985148181 and catches up from the files. Second
    // run: live blocks (their block times are the server's from then on).
    await replayPart(parts[0]!, loaded);
    await replayPart(parts[1]!, split);
    await c.request({ method: 'subscribe', subscription: { type: 'l4Book', coin: 'BTC' } }, (f) => f.channel === 'subscriptionResponse');
    const snap = ((await c.channel('l4Book', 60_000)).data as { Snapshot: SnapshotData }).Snapshot;
    expect(snap.height).toBe(split);
    const fromFrames = new NaiveBook();
    for (const side of snap.levels) for (const o of side) fromFrames.add(o.user, o, o.limitPx, o.sz);

    // The independent model: the snapshot file, then the rewritten data, block by block.
    const model = modelOfSnapshot(data.snapshot);
    for (const b of data.blocks.filter((x) => x.height <= split)) applyBlockToModel(model, b.diffs, b.statuses);
    expect(fromFrames.l4()).toEqual(model.l4());

    // Third run: live Updates to the subscriber.
    replay(parts[2]!);
    let height = split;
    let carried = 0;
    while (height < 985148206) {
      const u = ((await c.channel('l4Book', 60_000)).data as { Updates: UpdatesData }).Updates;
      expect(u.height).toBe(height + 1);
      height = u.height;
      carried += u.book_diffs.filter(
        (d: BookDiffEvent) => typeof d.raw_book_diff === 'object' && 'new' in d.raw_book_diff && typeof d.raw_book_diff.new.insertBefore === 'number',
      ).length;
      applyBlockToModel(fromFrames, u.book_diffs, u.order_statuses);
    }
    for (const b of data.blocks.filter((x) => x.height > split)) applyBlockToModel(model, b.diffs, b.statuses);
    expect(carried).toBeGreaterThan(10);
    const want = model.l4();
    expect(fromFrames.l4()).toEqual(want);

    const info = (await postInfo(httpUrl, { type: 'l4Book', coin: 'BTC' })) as { height: number; levels: [L4Order[], L4Order[]] };
    expect(info.height).toBe(985148206);
    expect([l4Keys(info.levels[0]), l4Keys(info.levels[1])]).toEqual(want);

    const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
    expect(metric(metrics, 'hlob_desyncs_total')).toBe(0);
    expect(metric(metrics, 'hlob_resyncs_total')).toBe(0);
    expect(metrics).toMatch(/^hlob_snapshot_requests_total\{result="ok"\} 1$/m);
    expect(c.rest().filter((f) => f.channel === 'l4Book')).toEqual([]);
  }, 240_000);
});
