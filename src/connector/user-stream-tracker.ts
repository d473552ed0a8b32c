/**
 * `UserStreamTracker`: one address's orders and fills from its data source, each fill once.
 *
 * A fill can arrive up to three times: on `userFills`, on the `user` channel, and again in
 * the `userFills` snapshot that every (re)subscribe starts with. Fills are keyed by `tid`
 * (one per side of a trade, so unique per user) and passed on only the first time; the keys
 * are bounded (the oldest forgotten first, far beyond any snapshot's reach).
 */
import { Emitter, silentLogger, type ClientLogger } from '../client/index.js';
import { asError } from './errors.js';
import type { UserStreamTrackerDataSource } from './user-stream-tracker-data-source.js';
import type { BasicOrder, UserStreamMessage, WsFill, WsOrder } from './user-stream-message.js';

export type UserStreamEvents = {
  orderUpdate: [update: WsOrder];
  /** A fill seen for the first time; `fromSnapshot`: it came in a (re)subscribe's snapshot (possibly missed while disconnected). */
  fill: [fill: WsFill, fromSnapshot: boolean];
  /** What rests now, after the first subscribe and after each reconnect. */
  openOrders: [orders: BasicOrder[], reconnect: boolean];
  /** A fill seen before, dropped (the second source, or a snapshot repeating it). */
  duplicateFill: [fill: WsFill];
  error: [error: Error];
};

export interface UserStreamTrackerOptions {
  logger?: ClientLogger;
  /** Fill keys remembered for deduplication. Default 100,000. */
  maxRemembered?: number;
}

export function fillKey(f: WsFill): string {
  return typeof f.tid === 'number' ? `t${f.tid}` : `h${f.hash}:${f.oid}:${f.sz}:${f.px}`;
}

export class UserStreamTracker {
  readonly events: Emitter<UserStreamEvents>;
  /** Fills passed on; duplicates dropped. */
  readonly stats = { fills: 0, duplicateFills: 0, orderUpdates: 0, reconciles: 0 };
  private readonly seen = new Set<string>();
  private readonly maxRemembered: number;
  private readonly logger: ClientLogger;

  constructor(
    readonly dataSource: UserStreamTrackerDataSource,
    options: UserStreamTrackerOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.maxRemembered = options.maxRemembered ?? 100_000;
    this.events = new Emitter((error, event) => this.logger.error({ err: asError(error), event }, 'UserStreamTracker listener threw'));
  }

  get user(): string {
    return this.dataSource.user;
  }

  /** Subscribes; resolves after the first `openOrders`. */
  start(): Promise<void> {
    return this.dataSource.start(
      (m) => this.onMessage(m),
      (e) => {
        this.logger.warn({ err: e, user: this.user }, 'openOrders after a reconnect failed');
        this.events.emit('error', e);
      },
    );
  }

  stop(): Promise<void> {
    return this.dataSource.stop();
  }

  /** Whether a fill was already passed on. */
  hasSeen(fill: WsFill): boolean {
    return this.seen.has(fillKey(fill));
  }

  onMessage(m: UserStreamMessage): void {
    switch (m.type) {
      case 'orderUpdates':
        for (const o of m.orders) {
          this.stats.orderUpdates++;
          this.events.emit('orderUpdate', o);
        }
        break;
      case 'fills':
        for (const f of m.fills) {
          const key = fillKey(f);
          if (this.seen.has(key)) {
            this.stats.duplicateFills++;
            this.events.emit('duplicateFill', f);
            continue;
          }
          this.remember(key);
          this.stats.fills++;
          this.events.emit('fill', f, m.snapshot);
        }
        break;
      case 'openOrders':
        if (m.reconnect) this.stats.reconciles++;
        this.events.emit('openOrders', m.orders, m.reconnect);
        break;
    }
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > this.maxRemembered) {
      // Sets iterate in insertion order: the first key is the oldest.
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
