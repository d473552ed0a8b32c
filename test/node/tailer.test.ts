import { appendFileSync, mkdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HlobError } from '../../src/errors.js';
import { Tailer, type LinePosition, type TailerOptions } from '../../src/node/tailer.js';
import { tempDir } from './files.js';

interface Seen {
  line: string;
  at: LinePosition;
}

const open: Tailer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.stop()));
});

/** A started tailer (past its first look at the files) and what it emitted; `until(n)` resolves once n lines came. */
async function tail(
  dir: string,
  opts: Omit<TailerOptions, 'dir'> = {},
): Promise<{ t: Tailer; seen: Seen[]; warnings: HlobError[]; until: (n: number) => Promise<void> }> {
  const t = new Tailer({ dir, pollMs: 20, ...opts });
  open.push(t);
  const seen: Seen[] = [];
  const warnings: HlobError[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  t.on('line', (line, at) => {
    seen.push({ line, at });
    waiters = waiters.filter((w) => (seen.length >= w.n ? (w.resolve(), false) : true));
  });
  t.on('warning', (e) => warnings.push(e));
  const until = (n: number): Promise<void> => (seen.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })));
  t.start();
  await t.settle();
  return { t, seen, warnings, until };
}

function file(dir: string, date: string, hour: number): string {
  const p = join(dir, 'hourly', date, String(hour));
  mkdirSync(join(dir, 'hourly', date), { recursive: true });
  return p;
}

describe('Tailer', { timeout: 10_000 }, () => {
  it('keeps a line written in pieces until its newline, and gives each line its offset', async () => {
    const dir = tempDir();
    const f = file(dir, '20260505', 17);
    writeFileSync(f, '');
    const { t, seen, until } = await tail(dir);
    await t.settle();
    appendFileSync(f, '{"a":1}\n{"b":');
    await until(1);
    await t.settle();
    expect(seen.map((s) => s.line)).toEqual(['{"a":1}']);
    appendFileSync(f, '2');
    await t.settle();
    expect(seen).toHaveLength(1);
    appendFileSync(f, '}\n{"c":3}\n');
    await until(3);
    expect(seen).toEqual([
      { line: '{"a":1}', at: { file: f, offset: 0 } },
      { line: '{"b":2}', at: { file: f, offset: 8 } },
      { line: '{"c":3}', at: { file: f, offset: 16 } },
    ]);
  });

  it('assembles a line longer than one read', async () => {
    const dir = tempDir();
    const f = file(dir, '20260505', 17);
    writeFileSync(f, '');
    const { until, seen } = await tail(dir, { readBytes: 16 });
    const long = 'x'.repeat(100);
    appendFileSync(f, `${long}\nshort\n`);
    await until(2);
    expect(seen.map((s) => s.line)).toEqual([long, 'short']);
    expect(seen[1]!.at.offset).toBe(101);
  });

  it('starts at the end of the newest file, skipping a partial last line (a restart mid-hour)', async () => {
    const dir = tempDir();
    writeFileSync(file(dir, '20260505', 16), 'old hour\n');
    const f = file(dir, '20260505', 17);
    writeFileSync(f, 'one\ntwo\nthr');
    const { t, seen, until } = await tail(dir);
    await t.settle();
    appendFileSync(f, 'ee\nfour\n');
    await until(1);
    await t.settle();
    expect(seen.map((s) => s.line)).toEqual(['four']);
  });

  it('with a backfill, starts that many bytes before the end at the next line boundary', async () => {
    const dir = tempDir();
    const f = file(dir, '20260505', 17);
    writeFileSync(f, 'one\ntwo\nthree\n');
    const { until, seen } = await tail(dir, { backfillBytes: 8 });
    await until(1);
    expect(seen.map((s) => s.line)).toEqual(['three']);
    expect(seen[0]!.at.offset).toBe(8);
  });

  it('moves to the next hour and to the next day, reading new files from their beginning', async () => {
    const dir = tempDir();
    const f22 = file(dir, '20260505', 22);
    writeFileSync(f22, '');
    const { until, seen } = await tail(dir);
    appendFileSync(f22, 'a\n');
    await until(1);
    writeFileSync(file(dir, '20260505', 23), 'b\nc\n');
    await until(3);
    writeFileSync(file(dir, '20260506', 0), 'd\n');
    await until(4);
    expect(seen.map((s) => [s.line, s.at.file])).toEqual([
      ['a', f22],
      ['b', join(dir, 'hourly', '20260505', '23')],
      ['c', join(dir, 'hourly', '20260505', '23')],
      ['d', join(dir, 'hourly', '20260506', '0')],
    ]);
  });

  it('reads a last write to the old file after the new one exists', async () => {
    const dir = tempDir();
    const f17 = file(dir, '20260505', 17);
    writeFileSync(f17, '');
    const { until, seen } = await tail(dir);
    appendFileSync(f17, 'h17 1\n');
    await until(1);
    const f18 = file(dir, '20260505', 18);
    writeFileSync(f18, 'h18 1\n');
    await until(2);
    appendFileSync(f17, 'h17 last\n');
    await until(3);
    expect(seen.map((s) => s.line)).toEqual(['h17 1', 'h18 1', 'h17 last']);
    expect(seen[2]!.at).toEqual({ file: f17, offset: 6 });
  });

  it('finishes an incomplete last line of the old file before reading the next one', async () => {
    const dir = tempDir();
    const f17 = file(dir, '20260505', 17);
    writeFileSync(f17, '');
    const { t, until, seen } = await tail(dir);
    await t.settle();
    appendFileSync(f17, 'h17 1\nh17 la');
    await until(1);
    writeFileSync(file(dir, '20260505', 18), 'h18 1\n');
    await t.settle();
    expect(seen.map((s) => s.line)).toEqual(['h17 1']);
    appendFileSync(f17, 'st\n');
    await until(3);
    expect(seen.map((s) => s.line)).toEqual(['h17 1', 'h17 last', 'h18 1']);
  });

  it('gives up on an incomplete old line after partialLineMs, with a warning', async () => {
    const dir = tempDir();
    const f17 = file(dir, '20260505', 17);
    writeFileSync(f17, '');
    let now = 1_000;
    const { t, until, seen, warnings } = await tail(dir, { now: () => now, partialLineMs: 500 });
    await t.settle();
    appendFileSync(f17, 'h17 crashed mid-li');
    writeFileSync(file(dir, '20260505', 18), 'h18 1\n');
    await t.settle();
    expect(seen).toEqual([]);
    now += 500;
    await until(1);
    expect(seen.map((s) => s.line)).toEqual(['h18 1']);
    expect(warnings.map((w) => w.message).join()).toMatch(/incomplete last line at offset 0/);
  });

  it('waits for a missing directory and reads files that appear later from their beginning', async () => {
    const dir = join(tempDir(), 'node_fills_by_block');
    const { t, until, seen } = await tail(dir);
    await t.settle();
    writeFileSync(file(dir, '20260505', 17), 'first\nsecond\n');
    await until(2);
    expect(seen.map((s) => s.line)).toEqual(['first', 'second']);
  });

  it('starts over when the file is truncated or replaced, with a warning', async () => {
    const dir = tempDir();
    const f = file(dir, '20260505', 17);
    writeFileSync(f, '');
    const { t, until, seen, warnings } = await tail(dir);
    await t.settle();
    appendFileSync(f, 'one\ntwo\n');
    await until(2);
    truncateSync(f, 0);
    appendFileSync(f, 'x\n');
    await until(3);
    expect(seen[2]).toEqual({ line: 'x', at: { file: f, offset: 0 } });
    expect(warnings[0]!.message).toMatch(/truncated/);
    const other = join(dir, 'replacement');
    writeFileSync(other, 'replaced line\n');
    renameSync(other, f);
    await until(4);
    expect(seen[3]).toEqual({ line: 'replaced line', at: { file: f, offset: 0 } });
    expect(warnings[1]!.message).toMatch(/replaced/);
  });

  it('works from the poll alone when watching is off', async () => {
    const dir = tempDir();
    const f = file(dir, '20260505', 17);
    writeFileSync(f, '');
    const { until, seen } = await tail(dir, { watch: false });
    appendFileSync(f, 'polled\n');
    await until(1);
    expect(seen[0]!.line).toBe('polled');
  });

  it('reads appends, a truncation and the next hour from the watchers alone (no poll)', async () => {
    const dir = tempDir();
    const f = file(dir, '20260505', 17);
    writeFileSync(f, '');
    const { until, seen, warnings } = await tail(dir, { pollMs: 3_600_000 });
    appendFileSync(f, 'one\ntw');
    await until(1);
    appendFileSync(f, 'o\n');
    await until(2);
    // A truncation brings a change without new bytes: the pump looks at the file again.
    truncateSync(f, 0);
    appendFileSync(f, 'again\n');
    await until(3);
    writeFileSync(file(dir, '20260505', 18), 'next hour\n');
    await until(4);
    expect(seen.map((s) => s.line)).toEqual(['one', 'two', 'again', 'next hour']);
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/truncated/);
  });

  it('does not take bytes a watcher read while it checked the file for a truncation as one', async () => {
    const dir = tempDir();
    const f = file(dir, '20260505', 17);
    writeFileSync(f, '');
    const { t, seen, until, warnings } = await tail(dir, { pollMs: 3_600_000 });
    appendFileSync(f, 'a\n');
    await until(1);
    await t.settle();
    // Hold the pump's next stat of the open file until the watcher has read more bytes.
    const fh = (t as unknown as { cur: { fh: FileHandle } }).cur.fh;
    const stat = fh.stat.bind(fh);
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    let statted = (): void => undefined;
    const sizeTaken = new Promise<void>((r) => (statted = r));
    let stats = 0;
    fh.stat = (async () => {
      const st = await stat();
      if (stats++ === 0) {
        statted();
        await held;
      }
      return st;
    }) as typeof fh.stat;
    t.wake();
    await sizeTaken;
    appendFileSync(f, 'b\n');
    await until(2);
    release();
    await t.settle();
    appendFileSync(f, 'c\n');
    await until(3);
    await t.settle();
    expect(stats).toBeGreaterThan(0);
    expect(seen.map((s) => s.line)).toEqual(['a', 'b', 'c']);
    expect(warnings.map((w) => w.message)).toEqual([]);
  });
});
