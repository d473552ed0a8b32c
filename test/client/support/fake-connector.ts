/**
 * A fake transport for unit tests: every `connect` becomes a `FakeSocket` that the test
 * opens or refuses, feeds frames into, drops, and whose sent frames it reads.
 */
import type { Connector, Transport, TransportEvents } from '../../../src/client/core/connector.js';

export class FakeSocket {
  readonly sent: string[] = [];
  closedByClient: { code: number; reason: string } | undefined;
  private sentWaiters: (() => void)[] = [];
  private open = false;
  private ended = false;

  constructor(
    readonly url: string,
    private readonly events: TransportEvents,
    readonly signal: AbortSignal,
    private readonly settle: { resolve: (t: Transport) => void; reject: (e: unknown) => void },
  ) {
    signal.addEventListener('abort', () => {
      if (!this.open) this.settle.reject(signal.reason);
    });
  }

  get isOpen(): boolean {
    return this.open && !this.ended;
  }

  /** The connection opens. */
  accept(): void {
    this.open = true;
    this.settle.resolve({
      send: (text) => {
        if (this.ended) return;
        this.sent.push(text);
        for (const w of this.sentWaiters.splice(0)) w();
      },
      close: (code = 1000, reason = '') => {
        this.closedByClient = { code, reason };
        this.ended = true;
        return Promise.resolve();
      },
    });
  }

  /** The connection cannot open. */
  refuse(message = 'ECONNREFUSED'): void {
    this.settle.reject(new Error(message));
  }

  /** A frame from the server (objects are serialized). */
  receive(frame: unknown): void {
    if (!this.isOpen) throw new Error('receive on a socket that is not open');
    this.events.onMessage(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The server side drops the connection. */
  drop(code = 1006, reason = ''): void {
    if (this.ended) return;
    this.ended = true;
    this.events.onClose({ code, reason });
  }

  /** Sent frames, parsed. */
  messages(): Record<string, unknown>[] {
    return this.sent.map((s) => JSON.parse(s) as Record<string, unknown>);
  }

  /** Resolves with the first sent message (from `from` on) that `match` accepts. */
  async nextSent(match: (m: Record<string, unknown>) => boolean = () => true, from = 0): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.messages().slice(from).find(match);
      if (found) return found;
      await new Promise<void>((resolve) => this.sentWaiters.push(resolve));
    }
  }
}

export class FakeConnector implements Connector {
  readonly sockets: FakeSocket[] = [];
  private waiters: ((s: FakeSocket) => void)[] = [];

  connect(url: string, events: TransportEvents, signal: AbortSignal): Promise<Transport> {
    return new Promise<Transport>((resolve, reject) => {
      const socket = new FakeSocket(url, events, signal, { resolve, reject });
      this.sockets.push(socket);
      for (const w of this.waiters.splice(0)) w(socket);
    });
  }

  /** The `n`th attempt (0-based), once it has been made. */
  attempt(n: number): Promise<FakeSocket> {
    const existing = this.sockets[n];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const check = (): void => {
        const s = this.sockets[n];
        if (s) resolve(s);
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  /** The latest attempt. */
  get last(): FakeSocket | undefined {
    return this.sockets[this.sockets.length - 1];
  }
}

/** Resolves after pending promise callbacks have run (microtasks and one macrotask turn). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
