/**
 * A view is one thing clients subscribe to (coin × kind × parameters). It is computed and
 * serialized once for all its subscribers; the publisher decides when.
 */
import type { BooksView } from '../../state/feed.js';
import type { Outbox, Peer } from '../outbox.js';

/** What a view needs to compute itself this turn. */
export interface ViewContext {
  books: BooksView;
  /** Block time (ms) of the last applied block: the `time` of state frames. */
  time: number;
  /** Wall clock, ms. */
  now: number;
  outbox: Outbox;
}

export abstract class View {
  abstract readonly channel: string;
  /** Everyone who receives this view's frames. */
  readonly subscribers = new Set<Peer>();
  /** Subscribers that have not had the current state yet (a subset of `subscribers`). */
  readonly newcomers = new Set<Peer>();

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
}

/** A view whose frames are the current state of something (sent at once, then on change). */
export abstract class StateView extends View {
  /** The state must be recomputed. */
  dirty = true;
  /** Wall-clock ms of the last frame sent to all subscribers. */
  lastSentAt = -Infinity;
  /** The last frame, re-sent to newcomers while the state is unchanged. */
  protected frame: Buffer | null = null;

  /**
   * Compute if dirty; send to everyone when the state changed (or `force`), else only
   * to newcomers.
   */
  refresh(ctx: ViewContext, force = false): void {
    let changed = false;
    if (this.dirty || this.frame === null) {
      this.dirty = false;
      changed = this.recompute(ctx);
    }
    if (changed || force || this.frame === null) {
      this.frame = this.build(ctx);
      ctx.outbox.sendToAll(this.subscribers, this.frame, this.channel);
      this.lastSentAt = ctx.now;
    } else if (this.newcomers.size > 0) {
      ctx.outbox.sendToAll(this.newcomers, this.frame, this.channel);
    }
    this.newcomers.clear();
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
