/**
 * `Fifo`: a first-in first-out queue on an array. Taking the oldest item moves a head index
 * (an array's own `shift` copies the whole rest every time); the taken slots are cleared at
 * once (nothing held after it is gone) and cut off the front now and then, once they are more
 * than half the array, so memory follows what is held. The one queue behind the block cache,
 * the user histories, the event rate and the client's async iterators.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** @param compactAfter Taken slots kept at the front before they may be cut off. Default 1,024. */
  constructor(private readonly compactAfter = 1024) {}

  /** Items held. */
  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, without taking it. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** The `i`-th item, oldest first (0: the oldest); undefined outside `0..length-1`. */
  at(i: number): T | undefined {
    return i < 0 ? undefined : this.items[this.head + i];
  }

  /** Take the oldest item. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > this.compactAfter && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  /** The items, oldest first (a copy). */
  toArray(): T[] {
    return this.items.slice(this.head) as T[];
  }
}
