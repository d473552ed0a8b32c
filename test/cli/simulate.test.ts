/**
 * `hl-orderbook simulate` and `replay` as commands: a run that writes and exits, and bad use
 * (a data directory that cannot be written, a port in use) answered with one line, exit
 * code 2 and nothing written.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MAIN_FIXTURE, MAIN_SNAPSHOT, tempDir } from '../sim/helpers.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

async function fails(args: string[]): Promise<{ code: number; stderr: string }> {
  return run('node', [CLI, ...args]).then(
    () => expect.unreachable('exit 0'),
    (err: { code: number; stderr: string }) => err,
  );
}

describe('hl-orderbook simulate / replay commands', () => {
  it('simulate writes the blocks asked for and exits 0', async () => {
    const dir = tempDir();
    const r = await run('node', [
      CLI,
      'simulate',
      '--data-dir',
      dir,
      '--info-port',
      '0',
      '--max-blocks',
      '12',
      '--speed',
      'max',
      '--profile',
      'quiet',
      '--events-per-block',
      '40',
      '--resting-orders',
      '500',
      '--start-time',
      '2026-07-01T08:00:00',
      '--exit-when-done',
    ]);
    expect(r.stderr).toMatch(/done, 12 blocks up to height 1000000011/);
    expect(readdirSync(join(dir, 'node_fills_by_block', 'hourly', '20260701'))).toEqual(['8']);
  });

  it('refuses a data directory that cannot be written: one line, exit 2, nothing written', async () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), '');
    const r = await fails(['simulate', '--data-dir', join(base, 'file', 'data'), '--info-port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^hl-orderbook simulate: cannot write data directory .*file\/data: ENOTDIR$/)]);
    expect(readdirSync(base)).toEqual(['file']);
  });

  it('refuses a port in use: one line, exit 2, data directory not created', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = String((blocker.address() as { port: number }).port);
    const dir = join(tempDir(), 'data');
    try {
      for (const args of [
        ['simulate', '--data-dir', dir, '--info-port', port],
        ['replay', '--from', MAIN_FIXTURE, '--snapshot', MAIN_SNAPSHOT, '--data-dir', dir, '--info-port', port],
      ]) {
        const r = await fails(args);
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split('\n')).toEqual([
          expect.stringMatching(new RegExp(`^hl-orderbook ${args[0]}: info server port ${port} on 127.0.0.1 is in use`)),
        ]);
        expect(existsSync(dir)).toBe(false);
      }
    } finally {
      blocker.close();
    }
  });

  it('refuses bad flags with exit code 2', async () => {
    expect((await fails(['simulate', '--data-dir', tempDir(), '--coins', 'many'])).code).toBe(2);
    const r = await fails(['simulate', '--data-dir', tempDir(), '--info-port', '0', '--start-time', 'tomorrow']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hl-orderbook simulate: invalid startTime: "tomorrow"/);
  });
});
