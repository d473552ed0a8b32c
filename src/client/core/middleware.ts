/**
 * Middleware sees all traffic: `onReceive` each inbound frame before any handler or
 * module, `onSend` each outbound message before it is serialized. Returning a value
 * replaces the frame, `null` drops it, nothing passes it on unchanged. A middleware that
 * throws is logged and skipped for that frame: it never stops traffic.
 */
import { asError } from './errors.js';
import type { InboundFrame, OutboundMessage } from './frame.js';
import type { ClientLogger } from './logger.js';
import type { CloseInfo, OpenInfo } from './runner.js';

export interface Middleware {
  /** Names it in logs. */
  readonly name?: string;
  onReceive?(frame: InboundFrame): InboundFrame | null | void;
  onSend?(message: OutboundMessage): OutboundMessage | null | void;
  onConnect?(info: OpenInfo): void;
  onDisconnect?(info: CloseInfo): void;
}

export class MiddlewareStack {
  constructor(
    private readonly stack: readonly Middleware[],
    private readonly logger: ClientLogger,
  ) {}

  receive(frame: InboundFrame): InboundFrame | null {
    let current = frame;
    for (const m of this.stack) {
      if (!m.onReceive) continue;
      const out = this.call(m, 'onReceive', () => m.onReceive?.(current));
      if (out === null) return null;
      if (out !== undefined) current = out;
    }
    return current;
  }

  send(message: OutboundMessage): OutboundMessage | null {
    let current = message;
    for (const m of this.stack) {
      if (!m.onSend) continue;
      const out = this.call(m, 'onSend', () => m.onSend?.(current));
      if (out === null) return null;
      if (out !== undefined) current = out;
    }
    return current;
  }

  connected(info: OpenInfo): void {
    for (const m of this.stack) this.call(m, 'onConnect', () => m.onConnect?.(info));
  }

  disconnected(info: CloseInfo): void {
    for (const m of this.stack) this.call(m, 'onDisconnect', () => m.onDisconnect?.(info));
  }

  private call<T>(m: Middleware, hook: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.logger.error({ err: asError(error), middleware: m.name ?? 'anonymous', hook }, 'middleware threw; frame passed on unchanged');
      return undefined;
    }
  }
}
