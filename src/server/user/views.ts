/**
 * The per-user views: one per (user × channel × parameters) with subscribers. Their frames
 * are built once per block for all their subscribers, like the coin views.
 */
import type { NodeFill } from '../../book/events.js';
import type { Peer } from '../outbox.js';
import { View, frameOf, type Delivery } from '../views/view.js';
import { aggregateByTime } from './aggregate.js';

export abstract class UserView extends View {
  constructor(
    key: string,
    /** Lower case. */
    readonly user: string,
  ) {
    super(key);
  }

  /** A new subscriber: its first frame, if the channel has one. */
  abstract welcome(peer: Peer, recentFills: () => NodeFill[]): Delivery | null;
}

/** `orderUpdates`: the user's status events of each block, nothing at subscribe. */
export class OrderUpdatesView extends UserView {
  readonly channel = 'orderUpdates';

  welcome(): null {
    this.newcomers.clear();
    return null;
  }

  /** `wsOrdersJson`: the block's `WsOrder[]` of this user, as JSON. */
  publish(wsOrdersJson: string): Delivery | null {
    if (this.subscribers.size === 0) return null;
    return this.toAll(frameOf(this.channel, wsOrdersJson));
  }
}

/** `userFills`: `{isSnapshot: true, user, fills}` with the recent fills at subscribe, then `{user, fills}` per block. */
export class UserFillsView extends UserView {
  readonly channel = 'userFills';

  constructor(
    key: string,
    user: string,
    readonly aggregate: boolean,
  ) {
    super(key, user);
  }

  private fillsJson(fills: NodeFill[]): string {
    return JSON.stringify(this.aggregate ? aggregateByTime(fills) : fills);
  }

  /** `recentFills`: newest first (the public API's order). */
  welcome(peer: Peer, recentFills: () => NodeFill[]): Delivery {
    this.newcomers.delete(peer);
    // Aggregation runs oldest first (parts in node order), the answer is newest first.
    const recent = recentFills();
    const fills = this.aggregate ? aggregateByTime([...recent].reverse()).reverse() : recent;
    return {
      peers: [peer],
      frame: frameOf(this.channel, `{"isSnapshot":true,"user":${JSON.stringify(this.user)},"fills":${JSON.stringify(fills)}}`),
      channel: this.channel,
    };
  }

  /** One block's fills of this user, node order. */
  publish(fills: NodeFill[]): Delivery | null {
    if (this.subscribers.size === 0 || fills.length === 0) return null;
    return this.toAll(frameOf(this.channel, `{"user":${JSON.stringify(this.user)},"fills":${this.fillsJson(fills)}}`));
  }
}

/** `userEvents` (data on channel `user`): `{fills: [...]}` per block with fills of the user. */
export class UserEventsView extends UserView {
  readonly channel = 'user';

  welcome(): null {
    this.newcomers.clear();
    return null;
  }

  publish(fillsJson: string): Delivery | null {
    if (this.subscribers.size === 0) return null;
    return this.toAll(frameOf(this.channel, `{"fills":${fillsJson}}`));
  }
}
