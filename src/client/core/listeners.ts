/**
 * A typed event emitter small enough to run in browsers. A listener that throws is
 * reported to `onListenerError` and never stops the others (or the emitter's owner).
 */
export type EventMap = Record<string, unknown[]>;

export class Emitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Set<unknown>>();

  constructor(private readonly onListenerError: (error: unknown, event: keyof E) => void = () => {}) {}

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Like `on`, removed after the first call. */
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    const off = this.on(event, (...args: E[K]) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): void {
    this.listeners.get(event)?.delete(listener);
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (...args: E[K]) => void)(...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}
