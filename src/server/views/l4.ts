/**
 * `l4Book` for one coin (all statuses, or `bookOnly`). A new subscriber first gets a
 * Snapshot, then every Updates above its height. Snapshots are expensive (BTC: ~18 MB), so
 * one is computed at most once per block per coin and shared: a subscriber arriving a few
 * blocks later gets the same snapshot plus the Updates recorded since, from a short ring.
 */
import type { BooksView } from '../../state/feed.js';
import type { CoinChange } from '../../book/types.js';
import { statusesJson } from '../../book/raw-status.js';
import type { Peer } from '../outbox.js';
import { View, frameOf, type Delivery } from './view.js';

/** One coin's L4 book at one height, serialized once. */
export class L4Snapshot {
  private framed: Buffer | null = null;
  constructor(
    readonly coin: string,
    readonly height: number,
    readonly time: number,
    /** `{"coin","time","height","levels"}`: the Snapshot object and the `l4Book` info answer. */
    readonly json: string,
  ) {}

  static of(books: BooksView, coin: string, height: number, time: number): L4Snapshot {
    const levels = books.book(coin)?.l4() ?? [[], []];
    return new L4Snapshot(coin, height, time, `{"coin":${JSON.stringify(coin)},"time":${time},"height":${height},"levels":${JSON.stringify(levels)}}`);
  }

  /** The subscription frame. */
  get frame(): Buffer {
    return (this.framed ??= frameOf('l4Book', `{"Snapshot":${this.json}}`));
  }
}

export interface L4RingOptions {
  /** Updates kept (by block time) so that a recent snapshot can be reused; default 2000 ms. */
  keepMs: number;
  /** Bound on the ring's bytes; default 64 MiB. */
  maxBytes: number;
}

interface RingEntry {
  height: number;
  time: number;
  frame: Buffer;
}

export class L4View extends View {
  readonly channel = 'l4Book';
  /** Subscribers still waiting for their Snapshot (they get no Updates until then). */
  private readonly awaiting = new Set<Peer>();
  private ring: RingEntry[] = [];
  private ringBytes = 0;
  /** The ring holds every Updates above this height. */
  private since: number;

  constructor(
    key: string,
    readonly coin: string,
    readonly bookOnly: boolean,
    height: number,
    private readonly ringOpts: L4RingOptions,
  ) {
    super(key);
    this.since = height;
  }

  override add(peer: Peer): void {
    this.awaiting.add(peer);
  }

  override remove(peer: Peer): void {
    super.remove(peer);
    this.awaiting.delete(peer);
  }

  override get empty(): boolean {
    return this.subscribers.size === 0 && this.awaiting.size === 0;
  }

  /** Someone waits for a Snapshot. */
  get waiting(): boolean {
    return this.awaiting.size > 0;
  }

  /** Whether Updates above `height` are all still in the ring. */
  covers(height: number): boolean {
    return height >= this.since;
  }

  /**
   * One block's events of this coin: the Updates frame (kept in the ring) for the
   * subscribers that have their Snapshot. `diffsJson` is the node's diffs as parsed, so a `new`'s `insertBefore` reaches
   * replicas unchanged and they keep the node's queue order.
   */
  publish(change: CoinChange, height: number, time: number, diffsJson: string): Delivery | null {
    const statuses = this.bookOnly ? change.bookStatuses : change.statuses;
    if (statuses.length === 0 && change.diffs.length === 0) return null;
    const frame = frameOf('l4Book', `{"Updates":{"time":${time},"height":${height},"order_statuses":${statusesJson(statuses)},"book_diffs":${diffsJson}}}`);
    this.ring.push({ height, time, frame });
    this.ringBytes += frame.length;
    this.trim(time);
    return this.toAll(frame);
  }

  private trim(now: number): void {
    let drop = 0;
    while (drop < this.ring.length && (now - this.ring[drop]!.time > this.ringOpts.keepMs || this.ringBytes > this.ringOpts.maxBytes)) {
      this.ringBytes -= this.ring[drop]!.frame.length;
      this.since = this.ring[drop]!.height;
      drop += 1;
    }
    if (drop > 0) this.ring = this.ring.slice(drop);
  }

  /** The coin's book was rebuilt: everyone needs a fresh Snapshot before further Updates. */
  restart(height: number): void {
    for (const p of this.subscribers) this.awaiting.add(p);
    this.subscribers.clear();
    this.newcomers.clear();
    this.ring = [];
    this.ringBytes = 0;
    this.since = height;
  }

  /**
   * `snapshot` and the Updates above it, in order, for everyone awaiting; they then count as
   * subscribers (they get the Updates that follow).
   */
  deliver(snapshot: L4Snapshot): Delivery[] {
    if (this.awaiting.size === 0) return [];
    const peers = [...this.awaiting];
    const out: Delivery[] = [{ peers, frame: snapshot.frame, channel: 'l4Book' }];
    for (const e of this.ring) if (e.height > snapshot.height) out.push({ peers, frame: e.frame, channel: 'l4Book' });
    for (const p of peers) this.subscribers.add(p);
    this.awaiting.clear();
    return out;
  }
}
