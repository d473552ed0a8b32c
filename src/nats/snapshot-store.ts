/**
 * L4 snapshots of a core's own books in a JetStream object store (default bucket
 * `hl-snapshots`), one object per snapshot named by its height (`l4-000978995377`), in the
 * node's snapshot format (`[height,[[coin,[[[user,order]…bids],[…asks]]]…]]`) so that the
 * same streaming reader loads it. Each object's metadata holds the block time of that height
 * and the stream sequence of its block.
 *
 * The store is also an edge's `SnapshotProvider` (`src/state/node-feed.ts`): `fetch` hands the
 * feed the newest snapshot as a local file, as a node's info server does for a core: at start,
 * after a gap in the log (a resync), and for a coin's repair.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import { Objm, StorageType, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import type { L4SnapshotFile } from '../book/events.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { silentLogger, type Logger } from '../node/logger.js';
import type { SnapshotFile } from '../node/snapshot.js';
import type { SnapshotProvider } from '../state/node-feed.js';

export const DEFAULT_BUCKET = 'hl-snapshots';

export interface StoredSnapshot {
  name: string;
  height: number;
  /** Block time (ms) of `height`. */
  time: number;
  /** Stream sequence of block `height` in the log, when the core knew it. */
  seq: number | undefined;
  size: number;
}

export function snapshotName(height: number): string {
  return `l4-${String(height).padStart(12, '0')}`;
}

function infoOf(o: ObjectInfo): StoredSnapshot | undefined {
  const m = o.metadata ?? {};
  const height = Number(m.height);
  const time = Number(m.time);
  if (!Number.isSafeInteger(height) || !Number.isFinite(time)) return undefined;
  const seq = m.seq === undefined ? undefined : Number(m.seq);
  return { name: o.name, height, time, seq: Number.isSafeInteger(seq) ? seq : undefined, size: o.size };
}

/** The snapshot's text in pieces (one coin each), yielding to the event loop between them. */
export async function* snapshotChunks(snap: L4SnapshotFile): AsyncGenerator<Uint8Array> {
  yield Buffer.from(`[${snap[0]},[`);
  for (let i = 0; i < snap[1].length; i++) {
    yield Buffer.from((i === 0 ? '' : ',') + JSON.stringify(snap[1][i]));
    await new Promise((r) => setImmediate(r));
  }
  yield Buffer.from(']]');
}

export interface SnapshotStoreOptions {
  /** Create the bucket (file storage) when missing: the core. Default false. */
  create?: boolean;
  /** Where `fetch` downloads a snapshot. Default the OS temp dir. */
  tmpDir?: string;
  logger?: Logger;
}

export class SnapshotStore implements SnapshotProvider {
  private opened: Promise<ObjectStore> | undefined;
  private readonly logger: Logger;
  /** Download dirs of snapshots handed out and not yet removed. */
  private readonly dirs = new Set<string>();
  /** Height of the snapshot `fetch` last handed out. */
  fetchedHeight: number | null = null;

  /** @param connection The NATS connection, when it is there (an edge's source makes it). */
  constructor(
    private readonly connection: () => Promise<NatsConnection>,
    readonly bucket = DEFAULT_BUCKET,
    private readonly opts: SnapshotStoreOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
  }

  /** Open the bucket now, creating it (file storage) when `create` and missing. */
  static async open(nc: NatsConnection, bucket = DEFAULT_BUCKET, create = false): Promise<SnapshotStore> {
    const store = new SnapshotStore(() => Promise.resolve(nc), bucket, { create });
    await store.store();
    return store;
  }

  private store(): Promise<ObjectStore> {
    this.opened ??= (async () => {
      const objm = new Objm(await this.connection());
      return this.opts.create === true
        ? await objm.create(this.bucket, { storage: StorageType.File, description: 'hl-orderbook L4 snapshots' })
        : await objm.open(this.bucket);
    })();
    // A bucket not there yet (no core has published) is asked again next time.
    this.opened.catch(() => (this.opened = undefined));
    return this.opened;
  }

  /**
   * The newest snapshot as a local file (the feed loads it, then `remove`s it). Waits, asking
   * again now and then, while NATS, the bucket or a snapshot is not there; rejects only when
   * `signal` aborts.
   */
  async fetch(signal: AbortSignal): Promise<SnapshotFile> {
    for (let failures = 1; ; failures++) {
      signal.throwIfAborted();
      const t0 = Date.now();
      let dir: string | undefined;
      try {
        const snap = await this.newest();
        if (snap === undefined) throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `no snapshot in bucket ${this.bucket} yet`);
        dir = await mkdtemp(join(this.opts.tmpDir ?? tmpdir(), 'hlob-edge-'));
        this.dirs.add(dir);
        const path = join(dir, `${snap.name}.json`);
        await this.download(snap, path);
        this.fetchedHeight = snap.height;
        this.logger.info({ height: snap.height, bytes: snap.size, ms: Date.now() - t0 }, `fetched snapshot ${snap.name} from bucket ${this.bucket}`);
        const owned = dir;
        return { path, bytes: snap.size, tookMs: Date.now() - t0, remove: () => this.removeDir(owned) };
      } catch (err) {
        if (dir !== undefined) await this.removeDir(dir);
        if (signal.aborted) throw err;
        if (failures === 1 || failures % 20 === 0)
          this.logger.warn({ err, failures }, `waiting for a snapshot from bucket ${this.bucket}: ${(err as Error).message}`);
        await sleep(Math.min(2_000, 100 * failures), undefined, { signal });
      }
    }
  }

  /** Remove what `fetch` downloaded and nobody removed (the feed stops). */
  async sweep(): Promise<void> {
    await Promise.all([...this.dirs].map((d) => this.removeDir(d)));
  }

  private async removeDir(dir: string): Promise<void> {
    this.dirs.delete(dir);
    await rm(dir, { recursive: true, force: true });
  }

  async put(meta: { height: number; time: number; seq: number | undefined }, chunks: AsyncIterable<Uint8Array>): Promise<StoredSnapshot> {
    const it = chunks[Symbol.asyncIterator]();
    const rs = new ReadableStream<Uint8Array>({
      async pull(c) {
        const r = await it.next();
        if (r.done === true) c.close();
        else c.enqueue(r.value);
      },
    });
    const metadata: Record<string, string> = { height: String(meta.height), time: String(meta.time), format: 'node-l4' };
    if (meta.seq !== undefined) metadata.seq = String(meta.seq);
    const info = await (await this.store()).put({ name: snapshotName(meta.height), metadata }, rs);
    return infoOf(info)!;
  }

  /** Every stored snapshot, oldest first. */
  async list(): Promise<StoredSnapshot[]> {
    const out: StoredSnapshot[] = [];
    for (const o of await (await this.store()).list()) {
      if (o.deleted) continue;
      const s = infoOf(o);
      if (s !== undefined) out.push(s);
    }
    return out.sort((a, b) => a.height - b.height);
  }

  async newest(): Promise<StoredSnapshot | undefined> {
    return (await this.list()).at(-1);
  }

  /** Write one snapshot's bytes to `path`. */
  async download(s: StoredSnapshot, path: string): Promise<void> {
    const r = await (await this.store()).get(s.name);
    if (r === null) throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `snapshot ${s.name} is no longer in bucket ${this.bucket}`);
    const out = createWriteStream(path);
    try {
      for await (const chunk of r.data) if (!out.write(chunk)) await new Promise<void>((res) => out.once('drain', () => res()));
    } finally {
      out.end();
      await finished(out);
    }
    const err = await r.error;
    if (err !== null && err !== undefined)
      throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `snapshot ${s.name} from bucket ${this.bucket}: ${err.message}`, { cause: err });
  }

  /** Delete all but the newest `keep`. */
  async prune(keep: number): Promise<number> {
    const all = await this.list();
    const old = all.slice(0, Math.max(0, all.length - keep));
    const os = await this.store();
    for (const s of old) await os.delete(s.name);
    return old.length;
  }
}
