/**
 * A client connection without a network: what the outbox writes (pre-framed bytes on the
 * TCP socket, or `ws.send` with compression) is decoded back into JSON frames; close,
 * terminate and ping are recorded. `bufferedAmount` and `readyState` are set by the test.
 */
import type { ByteSocket, ClientSocket } from '../../../src/server/outbox.js';

const OPEN = 1;
const CLOSED = 3;

/** The payloads of a run of unmasked server text frames (RFC 6455 §5.2). */
export function decodeFrames(bytes: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] !== 0x81) throw new Error(`not a final text frame at ${at}: ${bytes[at]}`);
    let len = bytes[at + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      len = bytes.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(at + 2));
      head = 10;
    }
    out.push(bytes.subarray(at + head, at + head + len).toString('utf8'));
    at += head + len;
  }
  return out;
}

export class FakeSocket implements ClientSocket, ByteSocket {
  readonly OPEN = OPEN;
  readonly CLOSED = CLOSED;
  readyState = OPEN;
  bufferedAmount = 0;
  /** Every `write` (one per flush with output), as given. */
  readonly writes: Buffer[] = [];
  /** Frames given to `ws.send` (compression on). */
  readonly sent: Buffer[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  pings = 0;
  terminated = false;
  corked = 0;
  private readonly closeListeners: (() => void)[] = [];

  /** Every frame received so far, parsed. */
  get frames(): { channel: string; data?: unknown }[] {
    const texts = [...this.writes.flatMap((w) => decodeFrames(w)), ...this.sent.map((b) => b.toString('utf8'))];
    return texts.map((t) => JSON.parse(t) as { channel: string; data?: unknown });
  }

  channel(name: string): unknown[] {
    return this.frames.filter((f) => f.channel === name).map((f) => f.data);
  }

  write(bytes: Buffer): boolean {
    this.writes.push(bytes);
    return true;
  }

  cork(): void {
    this.corked += 1;
  }

  uncork(): void {}

  send(data: Buffer): void {
    this.sent.push(data);
  }

  ping(): void {
    this.pings += 1;
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
  }

  terminate(): void {
    this.terminated = true;
    this.closed();
  }

  once(_event: 'close', listener: () => void): this {
    this.closeListeners.push(listener);
    return this;
  }

  /** The connection finished closing (as `ws` emits 'close'). */
  closed(): void {
    this.readyState = CLOSED;
    for (const l of this.closeListeners.splice(0)) l();
  }
}

/** A hand-run scheduler: what is scheduled runs when the test says. */
export class ManualTurns {
  private queue: (() => void)[] = [];
  readonly schedule = (fn: () => void): void => {
    this.queue.push(fn);
  };

  get waiting(): number {
    return this.queue.length;
  }

  /** Run what was scheduled (and what that schedules, until nothing is left). */
  run(): void {
    while (this.queue.length > 0) {
      const q = this.queue;
      this.queue = [];
      for (const fn of q) fn();
    }
  }
}
