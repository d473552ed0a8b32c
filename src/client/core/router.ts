/**
 * Dispatches each inbound frame in the seed's order: middleware `onReceive`, then every
 * handler, then each lightweight module whose rule matches, then each API module whose
 * rule matches. A handler that throws is logged; a module that throws is restarted by
 * its slot. Nothing here can stop the next frame from being routed.
 */
import { asError } from './errors.js';
import { parseFrame, type InboundFrame, type OutboundMessage } from './frame.js';
import type { ClientLogger } from './logger.js';
import type { MiddlewareStack } from './middleware.js';
import type { ModuleSlot } from './module-slot.js';

/** What a handler may do besides reading: send. */
export interface HandlerContext {
  send(message: OutboundMessage): void;
}

/** A global, stateless tap: called with every frame (logging, metrics). */
export type Handler = (frame: InboundFrame, ctx: HandlerContext) => void;

export class Router {
  constructor(
    private readonly middleware: MiddlewareStack,
    private readonly handlers: readonly Handler[],
    private readonly lightweight: readonly ModuleSlot[],
    private readonly api: readonly ModuleSlot[],
    private readonly handlerContext: HandlerContext,
    private readonly logger: ClientLogger,
  ) {}

  route(text: string): void {
    const frame = this.middleware.receive(parseFrame(text));
    if (frame === null) return;
    for (const handler of this.handlers) {
      try {
        handler(frame, this.handlerContext);
      } catch (error) {
        this.logger.error({ err: asError(error), channel: frame.channel }, 'handler threw');
      }
    }
    for (const slot of this.lightweight) slot.offer(frame);
    for (const slot of this.api) slot.offer(frame);
  }
}
