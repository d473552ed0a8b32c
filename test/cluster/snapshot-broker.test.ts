/** `SnapshotBroker`: one request to the node for many workers, files removed once all have loaded them. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SnapshotBroker, type Deliver } from '../../src/cluster/snapshot-broker.js';
import type { SnapshotRef } from '../../src/cluster/messages.js';
import type { SnapshotFile } from '../../src/node/snapshot.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** A fetch the test answers by hand: each call waits until `answer()`. */
function manualFetch(root: string) {
  const calls: { resolve: (f: SnapshotFile) => void; reject: (e: Error) => void }[] = [];
  let n = 0;
  return {
    calls,
    fetch: (signal: AbortSignal) =>
      new Promise<SnapshotFile>((resolve, reject) => {
        calls.push({ resolve, reject });
        signal.addEventListener('abort', () => reject(new Error('aborted')));
      }),
    async answer(i: number): Promise<string> {
      const path = join(root, `snap-${++n}.json`);
      await writeFile(path, '[1,[]]');
      calls[i]!.resolve({ path, bytes: 6, tookMs: 1, remove: () => rm(path, { force: true }) });
      return path;
    },
  };
}

function collector() {
  const got: ({ file: SnapshotRef } | { error: string })[] = [];
  let wake: () => void = () => undefined;
  const deliver: Deliver = (r) => {
    got.push(r);
    wake();
  };
  const next = (count: number): Promise<void> =>
    got.length >= count ? Promise.resolve() : new Promise((resolve) => (wake = () => got.length >= count && resolve()));
  return { got, deliver, next };
}

describe('SnapshotBroker', () => {
  it('makes one request for workers asking while it is in flight, and removes the file once each has loaded it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlob-broker-'));
    const f = manualFetch(dir);
    let now = 0;
    const b = new SnapshotBroker({ fetch: f.fetch, reuseMs: 0, now: () => now });
    const w1 = collector();
    const w2 = collector();
    b.ask(1, w1.deliver);
    b.ask(2, w2.deliver);
    expect(f.calls).toHaveLength(1);
    const path = await f.answer(0);
    await Promise.all([w1.next(1), w2.next(1)]);
    expect(w1.got[0]).toEqual({ file: { path, bytes: 6, tookMs: 1 } });
    expect(w2.got[0]).toEqual(w1.got[0]);
    now = 10;
    b.done(1, path);
    expect(existsSync(path)).toBe(true);
    b.done(2, path);
    await b.removed();
    expect(existsSync(path)).toBe(false);
    expect(b.requests).toBe(1);
  });

  it('gives a file just delivered to a worker that has not had it, within the reuse window, but a new one to a worker that had it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlob-broker-'));
    const f = manualFetch(dir);
    let now = 0;
    const b = new SnapshotBroker({ fetch: f.fetch, reuseMs: 1_000, now: () => now });
    const w1 = collector();
    b.ask(1, w1.deliver);
    const path = await f.answer(0);
    await w1.next(1);
    b.done(1, path);
    // Worker 2 starts a little later: the same file, no second request.
    now = 500;
    const w2 = collector();
    b.ask(2, w2.deliver);
    expect(w2.got[0]).toEqual({ file: { path, bytes: 6, tookMs: 1 } });
    expect(f.calls).toHaveLength(1);
    // Worker 1 asks again (that file did not do): a new request.
    b.ask(1, w1.deliver);
    expect(f.calls).toHaveLength(2);
    // Past the window, a worker that had nothing gets a new one too.
    now = 2_000;
    const w3 = collector();
    b.ask(3, w3.deliver);
    expect(f.calls).toHaveLength(2); // joins the one in flight
    const path2 = await f.answer(1);
    await Promise.all([w1.next(2), w3.next(1)]);
    expect(w3.got[0]).toEqual({ file: { path: path2, bytes: 6, tookMs: 1 } });
    // The first file: worker 2 is done with it and the window has passed.
    b.done(2, path);
    await b.removed();
    expect(existsSync(path)).toBe(false);
    await b.close();
    expect(existsSync(path2)).toBe(false);
  });

  it('forgets a worker that died: its files go, it waits for nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlob-broker-'));
    const f = manualFetch(dir);
    const b = new SnapshotBroker({ fetch: f.fetch, reuseMs: 0 });
    const w1 = collector();
    const w2 = collector();
    b.ask(1, w1.deliver);
    b.ask(2, w2.deliver);
    b.gone(2);
    const path = await f.answer(0);
    await w1.next(1);
    expect(w2.got).toHaveLength(0);
    b.gone(1);
    await b.removed();
    expect(existsSync(path)).toBe(false);
    expect(b.held).toBe(0);
  });

  it('answers every waiter with an error when closed, and refuses new asks', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlob-broker-'));
    const f = manualFetch(dir);
    const b = new SnapshotBroker({ fetch: f.fetch });
    const w1 = collector();
    b.ask(1, w1.deliver);
    await b.close();
    await w1.next(1);
    expect(w1.got[0]).toEqual({ error: 'aborted' });
    b.ask(1, w1.deliver);
    expect(w1.got[1]).toEqual({ error: 'shutting down' });
  });
});
