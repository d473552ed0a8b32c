/**
 * `Raw`: every inbound frame, unparsed meaning, as listeners or an async iterator, and a
 * way to send any message. For protocols' corners the other modules do not cover.
 */
import { AsyncQueue } from '../core/async-queue.js';
import { asError } from '../core/errors.js';
import type { InboundFrame, OutboundMessage } from '../core/frame.js';
import type { ApiModule, ModuleContext } from '../core/module.js';

export interface RawOptions {
  /** Frames an iterator buffers before failing with `BufferFullError`. Default 10,000. */
  iteratorBound?: number;
}

export interface RawHandle {
  /** Calls `listener` with every inbound frame; returns the remover. */
  on(listener: (frame: InboundFrame) => void): () => void;
  /** Every inbound frame from now on. */
  frames(signal?: AbortSignal): AsyncIterableIterator<InboundFrame>;
  /** Sends any message (through the middleware); throws `DisconnectedError` unless open. */
  send(message: OutboundMessage): void;
}

export class Raw implements ApiModule<RawHandle> {
  static readonly moduleName = 'Raw';

  readonly handle: RawHandle;
  private readonly listeners = new Set<(frame: InboundFrame) => void>();
  private readonly queues = new Set<AsyncQueue<InboundFrame>>();

  constructor(
    private readonly ctx: ModuleContext,
    options: RawOptions = {},
  ) {
    const bound = options.iteratorBound ?? 10_000;
    this.handle = {
      on: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      frames: (signal) => {
        const queue = new AsyncQueue<InboundFrame>({ bound, what: 'raw frames', signal, onDone: () => this.queues.delete(queue) });
        this.queues.add(queue);
        return queue;
      },
      send: (message) => ctx.send(message),
    };
  }

  rule(): boolean {
    return true;
  }

  onFrame(frame: InboundFrame): void {
    for (const listener of this.listeners) {
      try {
        listener(frame);
      } catch (error) {
        this.ctx.logger.error({ err: asError(error), channel: frame.channel }, 'Raw listener threw');
      }
    }
    for (const q of this.queues) q.push(frame);
  }

  stop(): void {
    for (const q of this.queues) q.end();
  }
}
