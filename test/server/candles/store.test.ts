/**
 * The candle store on real files: history across a restart, the bound, an interrupted write
 * cut off, and a child process killed (-9) while writing, which never corrupts what is there.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Candle } from '../../../src/server/candles/candle.js';
import { CandleService } from '../../../src/server/candles/service.js';
import { CandleStore, coinDirName, parseCandleLines } from '../../../src/server/candles/store.js';
import { change } from './model.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hlob-candles-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MIN = 60_000;
const T0 = Date.UTC(2026, 4, 5, 17, 0);

function candle(i: number, coin = 'BTC'): Candle {
  return {
    t: T0 + i * MIN,
    T: T0 + (i + 1) * MIN - 1,
    s: coin,
    i: '1m',
    o: `${100 + i}.0`,
    c: `${101 + i}.5`,
    h: `${102 + i}.0`,
    l: `${99 + i}.25`,
    v: '0.001',
    n: i,
  };
}

describe('CandleStore', () => {
  it('keeps closed candles across a restart, and a replayed block is not counted twice', async () => {
    const a = new CandleService({ store: new CandleStore({ dir }) });
    a.onBlock(change(1, T0 + 1_000, [{ coin: 'PURR/USDC', px: 10_000_000, sz: 5 * 1e8 }]));
    a.onBlock(change(2, T0 + 61_000, [{ coin: 'PURR/USDC', px: 12_000_000, sz: 1e8 }]));
    a.onBlock(change(3, T0 + 121_000, []));
    await a.flush();
    const before = await a.snapshot('PURR/USDC', '1m', 0, Number.MAX_SAFE_INTEGER);
    expect(before.map((c) => [c.o, c.c, c.v, c.n])).toEqual([
      ['0.1', '0.1', '5.0', 1],
      ['0.12', '0.12', '1.0', 1],
      ['0.12', '0.12', '0.0', 0],
    ]);
    expect(existsSync(join(dir, coinDirName('PURR/USDC'), '1m.jsonl'))).toBe(true);

    // A new process: the closed candles are there, the open one is lost.
    const b = new CandleService({ store: new CandleStore({ dir }) });
    expect(await b.snapshot('PURR/USDC', '1m', 0, Number.MAX_SAFE_INTEGER)).toEqual(before.slice(0, 2));
    // The node's files are read again from a little before: block 2 comes again and must not be added twice.
    b.onBlock(change(2, T0 + 61_000, [{ coin: 'PURR/USDC', px: 12_000_000, sz: 1e8 }]));
    b.onBlock(change(4, T0 + 125_000, [{ coin: 'PURR/USDC', px: 13_000_000, sz: 2e8 }]));
    const after = await b.snapshot('PURR/USDC', '1m', 0, Number.MAX_SAFE_INTEGER);
    expect(after.map((c) => [c.t, c.o, c.v, c.n])).toEqual([
      [T0, '0.1', '5.0', 1],
      [T0 + MIN, '0.12', '1.0', 1],
      [T0 + 2 * MIN, '0.13', '2.0', 1],
    ]);
  });

  it('keeps at most twice the bound on disk and the newest bound after compaction', async () => {
    const store = new CandleStore({ dir, maxPerSeries: 10 });
    for (let i = 0; i < 45; i++) store.append(candle(i));
    await store.flush();
    const lines = readFileSync(join(dir, 'BTC', '1m.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines.length).toBeLessThanOrEqual(20);
    const all = await store.read('BTC', '1m');
    expect(all.at(-1)).toEqual(candle(44));
    expect(all.length).toBeGreaterThanOrEqual(10);
    expect(all.map((c) => c.t)).toEqual(all.map((_, k) => T0 + (45 - all.length + k) * MIN));
  });

  it('ignores an interrupted last line and cuts it off before the next append', async () => {
    const first = new CandleStore({ dir });
    first.append(candle(0));
    first.append(candle(1));
    await first.flush();
    const path = join(dir, 'BTC', '1m.jsonl');
    appendFileSync(path, JSON.stringify(candle(2)).slice(0, 40));
    const second = new CandleStore({ dir });
    expect(second.last('BTC', '1m')).toEqual(candle(1));
    expect(await second.read('BTC', '1m')).toEqual([candle(0), candle(1)]);
    second.append(candle(3));
    await second.flush();
    const text = readFileSync(path, 'utf8');
    expect(
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Candle),
    ).toEqual([candle(0), candle(1), candle(3)]);
  });

  it('names coin folders safely', () => {
    expect(coinDirName('PURR/USDC')).toBe('PURR%2FUSDC');
    expect(coinDirName('..')).toBe('%2E%2E');
    expect(coinDirName('xyz:ABC')).toBe('xyz%3AABC');
  });

  it('refuses a directory it cannot write, naming it', () => {
    const file = join(dir, 'a-file');
    appendFileSync(file, 'x');
    expect(() => new CandleStore({ dir: join(file, 'candles') })).toThrow(/cannot write candles to .*a-file\/candles: ENOTDIR/);
  });

  it('a child killed with -9 in the middle of writing leaves every stored candle intact', { timeout: 60_000 }, async () => {
    const storeJs = resolve('dist/src/server/candles/store.js');
    expect(existsSync(storeJs), 'run npm run build first').toBe(true);
    // The child appends as fast as it can (compacting every 25), saying how many are on disk.
    const script = `
      import { CandleStore } from ${JSON.stringify(storeJs)};
      const store = new CandleStore({ dir: ${JSON.stringify(dir)}, maxPerSeries: 25 });
      const T0 = ${T0};
      const from = {};
      for (const coin of ['BTC', 'ETH']) { const last = store.last(coin, '1m'); from[coin] = last === null ? 0 : (last.t - T0) / 60000 + 1; }
      for (let i = 0; ; i++) {
        for (const coin of ['BTC', 'ETH']) if (i >= from[coin]) store.append({ t: T0 + i * 60000, T: T0 + (i + 1) * 60000 - 1, s: coin, i: '1m', o: '1.0', c: String(i) + '.5', h: '9.0', l: '0.5', v: '1.0', n: i });
        if (i % 8 === 0) { await store.flush(); process.stdout.write(i + '\\n'); }
      }`;
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let confirmed = -1;
      const target = 200 + round * 137;
      await new Promise<void>((done) => {
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const l of lines) confirmed = Number(l);
          if (confirmed >= target && !child.killed) {
            child.kill('SIGKILL');
            done();
          }
        });
      });
      await new Promise((r) => child.once('exit', r));
      for (const coin of ['BTC', 'ETH']) {
        const text = readFileSync(join(dir, coin, '1m.jsonl'), 'utf8');
        const body = text.slice(0, text.lastIndexOf('\n') + 1);
        // Every complete line is a valid candle, in order, consecutive: nothing corrupt, nothing missing in between.
        const parsed = parseCandleLines(body, coin, '1m');
        expect(parsed.length).toBe(body.split('\n').length - 1);
        const idx = parsed.map((c) => (c.t - T0) / MIN);
        expect(idx).toEqual(idx.map((_, k) => idx[0]! + k));
        for (const c of parsed) expect(c.c).toBe(`${(c.t - T0) / MIN}.5`);
        // Everything the child confirmed is there.
        expect(idx.at(-1)).toBeGreaterThanOrEqual(confirmed);
        // A new store reads the same and can go on appending after it.
        const reopened = new CandleStore({ dir, maxPerSeries: 25 });
        const got = await reopened.read(coin, '1m');
        expect(got.at(-1)!.t).toBe(parsed.at(-1)!.t);
      }
    }
  });
});
