/**
 * Recent items per user (fills, statuses), bounded per user and in total. Items enter in
 * time order; the total bound evicts the oldest items of all users first, the per-user bound
 * a user's own oldest. A user whose items were evicted is marked `truncated`: what the
 * public API would still return for them is no longer all here (the caller forwards).
 */
import { Fifo } from '../../util/fifo.js';

/** One user's items, oldest first. */
class Ring<T> {
  constructor(readonly user: string) {}
  readonly items = new Fifo<T>(64);
  /** Items of this user still counted in the global queue but already dropped by the per-user bound. */
  droppedEarly = 0;
  truncated = false;

  get length(): number {
    return this.items.length;
  }

  shift(): void {
    this.items.shift();
  }

  /** Oldest first. */
  list(): T[] {
    return this.items.toArray();
  }
}

export interface HistoryLimits {
  /** Items kept per user. */
  perUser: number;
  /** Items kept over all users. */
  total: number;
}

export class UserHistory<T> {
  private readonly users = new Map<string, Ring<T>>();
  /** Whose item each kept item is, oldest first (the total bound's order). */
  private readonly order = new Fifo<Ring<T>>();
  private count = 0;
  /** Items evicted (either bound) since start. */
  evicted = 0;

  constructor(readonly limits: HistoryLimits) {}

  /** Items held over all users. */
  get size(): number {
    return this.count;
  }

  /** Users with items held. */
  get userCount(): number {
    return this.users.size;
  }

  add(user: string, item: T): void {
    let r = this.users.get(user);
    if (r === undefined) {
      this.users.set(user, (r = new Ring<T>(user)));
      // Its earlier items were all evicted: what is kept from here on is still not all.
      r.truncated = this.forgotten.delete(user);
    }
    r.items.push(item);
    this.order.push(r);
    this.count++;
    if (r.length > this.limits.perUser) {
      r.shift();
      r.droppedEarly++;
      r.truncated = true;
      this.count--;
      this.evicted++;
    }
    // The queue also holds the entries of per-user drops until they come up: keep it bounded too.
    while (this.count > this.limits.total || this.order.length > 2 * this.limits.total + 1024) this.evictOldest();
  }

  private evictOldest(): void {
    const r = this.order.shift();
    if (r === undefined) return;
    if (r.droppedEarly > 0) {
      // Already gone from its user's ring (per-user bound): only the queue entry remained.
      r.droppedEarly--;
      return;
    }
    r.shift();
    r.truncated = true;
    this.count--;
    this.evicted++;
    if (r.length === 0 && r.droppedEarly === 0) this.forgetIfEmpty(r);
  }

  private forgetIfEmpty(r: Ring<T>): void {
    if (this.users.get(r.user) !== r) return;
    this.users.delete(r.user);
    // Its history is gone, not empty: remember that (bounded like the items).
    this.forgotten.add(r.user);
    if (this.forgotten.size > Math.max(10_000, this.limits.total)) this.forgotten.clear();
  }

  /** Users whose whole history was evicted: they count as truncated (bounded like the items). */
  private readonly forgotten = new Set<string>();

  /** A user's items, oldest first. */
  list(user: string): T[] {
    return this.users.get(user)?.list() ?? [];
  }

  /** Newest first, at most `limit`. */
  newest(user: string, limit: number): T[] {
    const r = this.users.get(user);
    if (r === undefined) return [];
    const out: T[] = [];
    for (let i = r.length - 1; i >= 0 && out.length < limit; i--) out.push(r.items.at(i)!);
    return out;
  }

  /** Whether some of the user's items were evicted. */
  truncated(user: string): boolean {
    const r = this.users.get(user);
    return r === undefined ? this.forgotten.has(user) : r.truncated;
  }

  /** The newest item of `user` matching `pred`. */
  findLast(user: string, pred: (item: T) => boolean): T | undefined {
    const r = this.users.get(user);
    if (r === undefined) return undefined;
    for (let i = r.length - 1; i >= 0; i--) {
      const item = r.items.at(i)!;
      if (pred(item)) return item;
    }
    return undefined;
  }

  /** Drop one user's items (no longer followed): it starts afresh. */
  forget(user: string): void {
    this.forgotten.delete(user);
    const r = this.users.get(user);
    if (r === undefined) return;
    this.users.delete(user);
    // Its queue entries stay; mark them as already dropped so the total bound skips them.
    r.droppedEarly += r.length;
    this.count -= r.length;
    r.items.clear();
  }
}
