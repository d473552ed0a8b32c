/**
 * The README's sequence, as a user runs it: `replay` the shared fixture (written at once),
 * then `serve --data-dir` on what it wrote. The server tails the statuses file from 4 MiB
 * before its end, so its first joined block is well above the replay's only snapshot; the
 * blocks in between are read back from the files: `ready` at the last height after one
 * snapshot request. Every frame a new subscriber gets then carries the last block's time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { blockTimeMs, parseLine } from '../../src/node/parse.js';
import { BTC, fixtureLines, tempDir } from '../node/files.js';
import { TestClient } from '../server/helpers/client.js';

const MAIN = 'dist/src/cli/main.js';
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** The CLI started; `until` resolves with the first output line (past or future) that matches. */
function run(args: string[]): { child: ChildProcess; lines: string[]; until: (re: RegExp) => Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void; reject: (e: Error) => void }[] = [];
  const onLine = (line: string): void => {
    lines.push(line);
    for (const w of [...waiters]) {
      const m = w.re.exec(line);
      if (m !== null) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  child.once('exit', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${args[0]} exited ${code} before ${w.re}: ${lines.join('\n')}`));
  });
  const until = (re: RegExp): Promise<RegExpExecArray> => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m !== null) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => waiters.push({ re, resolve, reject }));
  };
  return { child, lines, until };
}

/**
 * The replay writes both layouts (the capture has both). `--layout auto` takes the one whose
 * files changed last: by-block when the last writes fall in the same clock tick, streaming
 * when a loaded machine spreads them over two. In the streaming layout nothing comes after
 * the last block, so it closes on the quiet (`blockIdleMs`): both layouts are run here.
 */
describe('replay, then serve on its data dir', () => {
  it('is ready at the last height with one snapshot request, and every frame carries the last block time', { timeout: 120_000 }, async () => {
    await replayThenServe([]);
  });

  it('the same reading the streaming layout, whose last block has nothing after it', { timeout: 120_000 }, async () => {
    await replayThenServe(['--layout', 'streaming']);
  });
});

async function replayThenServe(serveArgs: string[]): Promise<void> {
  const dir = tempDir('hlob-replay-serve-');
  dirs.push(dir);
  const dataDir = join(dir, 'data');
  const replay = run([
    'replay',
    '--from',
    BTC,
    '--snapshot',
    join(BTC, 'snapshot-985148181.json.gz'),
    '--data-dir',
    dataDir,
    '--info-port',
    '0',
    '--speed',
    'max',
  ]);
  const infoUrl = (await replay.until(/info server (http:\/\/127\.0\.0\.1:\d+\/info)/))[1]!;
  const last = Number((await replay.until(/done, \d+ blocks up to height (\d+)/))[1]);
  const lastLine = fixtureLines('statuses')
    .map((l) => parseLine('statuses', l))
    .find((e) => e.block_number === last)!;
  const lastTime = blockTimeMs(lastLine.block_time);

  const serve = run([
    'serve',
    '--data-dir',
    dataDir,
    '--info-url',
    infoUrl,
    '--port',
    '0',
    '--stale-after',
    '600',
    '--snapshot-dir',
    join(dir, 'snapshots'),
    ...serveArgs,
  ]);
  const { url } = JSON.parse((await serve.until(/"msg":"listening"/)).input) as { url: string };
  const ready = JSON.parse((await serve.until(/"msg":"books ready"/)).input) as { height: number };
  // Ready once the snapshot is caught up from the files read so far; the last line of a
  // stream may be read a moment later (a loaded machine), and then it is applied at once.
  expect(ready.height).toBeLessThanOrEqual(last);
  const http = url.replace(/^ws/, 'http').replace(/\/ws$/, '');
  const healthNow = async () => (await (await fetch(`${http}/health`)).json()) as { state: string; height: number; time: number };
  let health = await healthNow();
  for (const deadline = Date.now() + 30_000; health.height !== last && Date.now() < deadline;) {
    await new Promise<void>((r) => setTimeout(r, 50));
    health = await healthNow();
  }
  expect(health).toMatchObject({ state: 'ready', height: last, time: lastTime });
  const metrics = await (await fetch(`${http}/metrics`)).text();
  expect(metrics).toMatch(/^hlob_snapshot_requests_total\{result="ok"\} 1$/m);
  expect(metrics).not.toMatch(/^hlob_snapshot_requests_total\{result="(?!ok)/m);
  expect(metrics).not.toMatch(/^hlob_resyncs_total\{kind="full"\} [1-9]/m);
  expect(Number(/^hlob_file_catchup_blocks_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  expect(serve.lines.filter((l) => /asking again/.test(l))).toEqual([]);

  // No live block since start-up: every frame shows the state of block `last`, stamped with its time.
  const c = await TestClient.open(url);
  c.send({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } });
  c.send({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC', nSigFigs: 3 } });
  c.send({ method: 'subscribe', subscription: { type: 'bbo', coin: 'BTC' } });
  c.send({ method: 'subscribe', subscription: { type: 'l4Book', coin: 'BTC' } });
  const l2 = [(await c.channel('l2Book')).data, (await c.channel('l2Book')).data] as { time: number }[];
  const bbo = (await c.channel('bbo')).data as { time: number };
  const l4 = (await c.channel('l4Book')).data as { Snapshot: { time: number; height: number } };
  expect(l2.map((f) => f.time)).toEqual([lastTime, lastTime]);
  expect(bbo.time).toBe(lastTime);
  expect(l4.Snapshot).toMatchObject({ time: lastTime, height: last });
  const info = (await (await fetch(`${http}/info`, { method: 'POST', body: JSON.stringify({ type: 'l2Book', coin: 'BTC' }) })).json()) as { time: number };
  expect(info.time).toBe(lastTime);
  c.ws.close();
}
