/**
 * A view is one thing clients subscribe to (coin × kind × parameters). It is computed and
 * serialized once for all its subscribers. Views are pure of I/O: state in, frame bytes (and
 * to whom) out; the publisher decides when to ask and is the one that queues the frames.
 */
import type { BooksView } from '../../state/feed.js';
import type { Peer } from '../outbox.js';

/** What a view needs to compute itself this turn. */
export interface ViewContext {
  books: BooksView;
  /** Block time (ms) of the last applied block: the `time` of state frames. */
  time: number;
  /** Wall clock, ms. */
  now: number;
}

/** One frame for some peers: what a view hands the publisher to queue. */
export interface Delivery {
  readonly peers: Iterable<Peer>;
  readonly frame: Buffer;
  readonly channel: string;
}

export abstract class View {
  abstract readonly channel: string;
  /** Everyone who receives this view's frames. */
  protected readonly subscribers = new Set<Peer>();
  /** Subscribers that have not had the current state yet (a subset of `subscribers`). */
  protected readonly newcomers = new Set<Peer>();

  constructor(readonly key: string) {}

  add(peer: Peer): void {
    this.subscribers.add(peer);
    this.newcomers.add(peer);
  }

  remove(peer: Peer): void {
    this.subscribers.delete(peer);
    this.newcomers.delete(peer);
  }

  get empty(): boolean {
    return this.subscribers.size === 0;
  }

  /** Someone receives this view's frames now. */
  get subscribed(): boolean {
    return this.subscribers.size > 0;
  }

  /** `frame` to every subscriber, or null when there is none. */
  protected toAll(frame: Buffer): Delivery | null {
    return this.subscribers.size === 0 ? null : { peers: this.subscribers, frame, channel: this.channel };
  }
}

/** A view whose frames are the current state of something (sent at once, then on change). */
export abstract class StateView extends View {
  /** The state must be recomputed. */
  private stale = true;
  /** Wall-clock ms of the last frame sent to all subscribers. */
  private sentAt = -Infinity;
  /** The last frame, re-sent to newcomers while the state is unchanged. */
  protected frame: Buffer | null = null;
  /** An intra-block (`partial`) frame went out since the last full one: the next refresh sends the full frame, changed or not. */
  private partialOut = false;

  /** The state may have changed: recompute it at the next refresh. */
  markDirty(): void {
    this.stale = true;
  }

  get dirty(): boolean {
    return this.stale;
  }

  /** Wall-clock ms of the last frame that went to all subscribers. */
  get lastSentAt(): number {
    return this.sentAt;
  }

  /** A partial frame went out since the last full one (the block's full frame is owed). */
  get owesBoundary(): boolean {
    return this.partialOut;
  }

  /**
   * The last full frame for the subscribers that have not had one, nothing recomputed: a
   * newcomer while partial frames are out gets the last block's state, and the others are
   * not sent back to it mid-block. Null when there is no frame yet or no newcomer.
   */
  welcome(): Delivery | null {
    if (this.frame === null || this.newcomers.size === 0) return null;
    const out = { peers: [...this.newcomers], frame: this.frame, channel: this.channel };
    this.newcomers.clear();
    return out;
  }

  /**
   * An intra-block frame (`"partial":true`) for every subscriber. The state is then marked
   * for recomputing, and the next refresh sends the full frame even if it equals the last
   * full or partial one: clients learn where the block ends.
   */
  protected partialToAll(frame: Buffer, now: number): Delivery | null {
    this.partialOut = true;
    this.stale = true;
    this.sentAt = now;
    return this.toAll(frame);
  }

  /**
   * Compute if dirty. The frame for everyone when the state changed (or `force`), else for
   * the newcomers only, else nothing. Newcomers count as served once this returns.
   */
  refresh(ctx: ViewContext, force = false): Delivery | null {
    let changed = false;
    if (this.stale || this.frame === null) {
      this.stale = false;
      changed = this.recompute(ctx);
    }
    let out: Delivery | null = null;
    if (changed || force || this.partialOut || this.frame === null) {
      this.partialOut = false;
      this.frame = this.build(ctx);
      out = { peers: this.subscribers, frame: this.frame, channel: this.channel };
      this.sentAt = ctx.now;
    } else if (this.newcomers.size > 0) {
      out = { peers: [...this.newcomers], frame: this.frame, channel: this.channel };
    }
    this.newcomers.clear();
    return out;
  }

  /** Recompute the state; true when it differs from the last one. */
  protected abstract recompute(ctx: ViewContext): boolean;
  /** The frame for the current state. */
  protected abstract build(ctx: ViewContext): Buffer;
}

/** `{"channel":<channel>,"data":<json>}` as bytes. */
export function frameOf(channel: string, dataJson: string): Buffer {
  return Buffer.from(`{"channel":"${channel}","data":${dataJson}}`);
}
