/**
 * L4 snapshots of a core's own books in a JetStream object store (default bucket
 * `hl-snapshots`), one object per snapshot named by its height (`l4-000978995377`), in the
 * node's snapshot format (`[height,[[coin,[[[user,order]…bids],[…asks]]]…]]`) so that the
 * same streaming reader loads it. Each object's metadata holds the block time of that height
 * and the stream sequence of its block, where an edge starts reading the log.
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import { Objm, StorageType, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import type { L4SnapshotFile } from '../book/events.js';
import { ErrorCodes, HlobError } from '../errors.js';

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

export class SnapshotStore {
  private constructor(
    readonly bucket: string,
    private readonly os: ObjectStore,
  ) {}

  /** Open the bucket, creating it (file storage) when `create` and missing. */
  static async open(nc: NatsConnection, bucket = DEFAULT_BUCKET, create = false): Promise<SnapshotStore> {
    const objm = new Objm(nc);
    const os = create ? await objm.create(bucket, { storage: StorageType.File, description: 'hl-orderbook L4 snapshots' }) : await objm.open(bucket);
    return new SnapshotStore(bucket, os);
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
    const info = await this.os.put({ name: snapshotName(meta.height), metadata }, rs);
    return infoOf(info)!;
  }

  /** Every stored snapshot, oldest first. */
  async list(): Promise<StoredSnapshot[]> {
    const out: StoredSnapshot[] = [];
    for (const o of await this.os.list()) {
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
    const r = await this.os.get(s.name);
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
    for (const s of old) await this.os.delete(s.name);
    return old.length;
  }
}
