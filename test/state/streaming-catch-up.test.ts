/**
 * Catching up from the files in the `_streaming` layout, on the real capture
 * (test/fixtures/mainnet-btc-985148181, streaming files only, as a node run with
 * `--stream-with-block-info` leaves them): the snapshot (985148181) is older than the first
 * block the tailers deliver (they start 3.5 MB before the end of each file: 985148200), so the
 * blocks in between are read back from the streaming files, the empty block 985148193 among
 * them; one snapshot request, then `ready` with the true books.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { STREAMING_DIRS } from '../../src/node/format.js';
import type { SnapshotFile } from '../../src/node/snapshot.js';
import { createNodeFeed, type NodeFeed } from '../../src/state/index.js';
import { BTC, fixtureSnapshotText, NAMES, tempDir } from '../node/files.js';
import { fixture, FIRST, gate, LogRecorder, Truth, whenHeight, whenStatus } from './harness.js';

const LAST = 985148206;
/** The first block the statuses tailer sees whole, starting 3.5 MB before the end of its file. */
const FIRST_TAILED = 985148200;

let feed: NodeFeed | undefined;
afterEach(async () => {
  await feed?.stop();
  feed = undefined;
});

describe('catching a snapshot up from the streaming files', { timeout: 60_000 }, () => {
  it('reads the blocks between the snapshot and the first tailed block from the _streaming files: one snapshot request, ready, true books', async () => {
    const dir = tempDir('hlob-streaming-catch-up-');
    const dataDir = join(dir, 'hl', 'data');
    for (const s of NAMES) {
      const src = join(BTC, 'hl', 'data', STREAMING_DIRS[s], 'hourly', '20260505');
      const dst = join(dataDir, STREAMING_DIRS[s], 'hourly', '20260505');
      mkdirSync(dst, { recursive: true });
      for (const f of readdirSync(src)) writeFileSync(join(dst, f.replace(/\.gz$/, '')), gunzipSync(readFileSync(join(src, f))));
    }
    const snapshotPath = join(dir, 'snapshot.json');
    writeFileSync(snapshotPath, fixtureSnapshotText());
    const snapshot: SnapshotFile = { path: snapshotPath, bytes: 0, tookMs: 0, remove: async () => undefined };

    let asked = 0;
    const held = gate();
    const log = new LogRecorder();
    feed = createNodeFeed({
      dataDir,
      logger: log,
      staleAfterMs: 60_000,
      tailer: { backfillBytes: 3_500_000, pollMs: 20 },
      // Answered once the tailers have delivered what the files hold: the snapshot is then older than the first cached block.
      fetchSnapshot: async () => {
        asked++;
        await held.promise;
        return snapshot;
      },
    }) as NodeFeed;
    await feed.start();
    await feed.settle();
    held.open();

    await whenStatus(feed, (s) => s.state === 'ready');
    const caught = await log.until(/^caught up blocks/);
    expect(caught.msg).toBe(`caught up blocks ${FIRST}..${FIRST_TAILED - 1} from the node's files`);
    // The capture's last block closes on the quiet after it (nothing follows it in the files).
    await whenHeight(feed, LAST);
    expect(feed.books.compare(new Truth(fixture()).snapshot(LAST))).toBeNull();
    expect(asked).toBe(1);
    expect(feed.status()).toMatchObject({ state: 'ready', height: LAST, repairing: [] });
  });
});
