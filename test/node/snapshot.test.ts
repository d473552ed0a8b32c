import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, HlobError } from '../../src/errors.js';
import { backoffMs } from '../../src/node/backoff.js';
import { SnapshotSource } from '../../src/node/snapshot.js';
import { tempDir } from './files.js';
import { startInfoServer, type InfoServer } from './info-server.js';

const servers: InfoServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(...args: Parameters<typeof startInfoServer>): Promise<InfoServer> {
  const s = await startInfoServer(...args);
  servers.push(s);
  return s;
}

async function infoError(p: Promise<unknown>): Promise<HlobError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HlobError);
  expect((err as HlobError).code).toBe(ErrorCodes.INFO_SERVER);
  return err as HlobError;
}

describe('SnapshotSource', () => {
  it('asks for an L4 snapshot with heights into a fresh file under the snapshot dir, and removes it on request', async () => {
    const info = await server((body, res) => {
      writeFileSync(body.outPath, `[1,[]] ${body.outPath}`);
      res.end('"ok"');
    });
    const dir = join(tempDir(), 'snapshots');
    const src = new SnapshotSource({ infoUrl: info.url, snapshotDir: dir });
    const a = await src.request();
    const b = await src.request();
    expect(info.requests[0]).toEqual({
      type: 'fileSnapshot',
      request: { type: 'l4Snapshots', includeUsers: true, includeTriggerOrders: false },
      outPath: a.path,
      includeHeightInOutput: true,
    });
    expect(a.path).not.toBe(b.path);
    expect(dirname(a.path)).toBe(dir);
    expect(readFileSync(a.path, 'utf8')).toBe(`[1,[]] ${a.path}`);
    expect(a.bytes).toBe(7 + a.path.length);
    await a.remove();
    expect(existsSync(a.path)).toBe(false);
    expect(existsSync(b.path)).toBe(true);
  });

  it('does not trust a file written for a request answered with an error, and deletes it', async () => {
    const info = await server((body, res) => {
      writeFileSync(body.outPath, '[1,[]]');
      res.statusCode = 500;
      res.end('node busy');
    });
    const src = new SnapshotSource({ infoUrl: info.url, snapshotDir: tempDir() });
    const err = await infoError(src.request());
    expect(err.message).toMatch(/answered 500: node busy/);
    expect(existsSync(info.requests[0]!.outPath)).toBe(false);
  });

  it('gives up after its timeout, and deletes what that request writes later', async () => {
    const held: (() => void)[] = [];
    const info = await server((_body, res) => {
      held.push(() => res.end('late'));
    });
    const src = new SnapshotSource({ infoUrl: info.url, snapshotDir: tempDir(), timeoutMs: 100 });
    const err = await infoError(src.request());
    expect(err.message).toMatch(/no answer within 100 ms/);
    // The node finishes the timed-out request after all: its file must never count.
    const late = info.requests[0]!.outPath;
    writeFileSync(late, '[1,[]]');
    held.forEach((f) => f());
    await src.sweep();
    expect(existsSync(late)).toBe(false);
  });

  it('fails clearly on a 200 without a file, and on a server that is not there', async () => {
    const info = await server((_body, res) => void res.end('ok'));
    const src = new SnapshotSource({ infoUrl: info.url, snapshotDir: tempDir() });
    expect((await infoError(src.request())).message).toMatch(/answered 200 but wrote no file/);
    await info.close();
    expect((await infoError(src.request())).message).toContain(info.url);
  });

  it('retries with backoff until a request succeeds', async () => {
    let n = 0;
    const info = await server((body, res) => {
      if (++n < 3) {
        res.statusCode = 503;
        res.end('not yet');
        return;
      }
      writeFileSync(body.outPath, '[1,[]]');
      res.end('ok');
    });
    const waits: number[] = [];
    const src = new SnapshotSource({
      infoUrl: info.url,
      snapshotDir: tempDir(),
      backoff: { initialMs: 1000, jitter: 0 },
      sleep: async (ms) => void waits.push(ms),
    });
    const file = await src.fetch();
    expect(waits).toEqual([1000, 2000]);
    expect(file.path).toBe(info.requests[2]!.outPath);
  });

  it('stops retrying when aborted', async () => {
    const info = await server((_body, res) => {
      res.statusCode = 503;
      res.end();
    });
    const ac = new AbortController();
    const src = new SnapshotSource({
      infoUrl: info.url,
      snapshotDir: tempDir(),
      sleep: async () => ac.abort(),
    });
    await expect(src.fetch(ac.signal)).rejects.toThrow(/abort/i);
  });
});

describe('backoffMs', () => {
  it('doubles from the initial delay up to the maximum, spread by the jitter', () => {
    const opts = { initialMs: 100, maxMs: 1000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((f) => backoffMs(f, opts))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffMs(1, { initialMs: 100, jitter: 0.2 }, () => 0)).toBe(90);
    expect(backoffMs(1, { initialMs: 100, jitter: 0.2 }, () => 0.999999)).toBe(110);
    expect(backoffMs(9, { initialMs: 100, maxMs: 1000, jitter: 0.2 }, () => 0.999999)).toBe(1000);
  });
});
