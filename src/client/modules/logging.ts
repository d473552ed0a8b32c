/**
 * A logging handler: one debug line per inbound frame (channel and size, not the payload:
 * an L4 snapshot is megabytes), and a warning for each server error frame.
 */
import type { ClientLogger } from '../core/logger.js';
import type { Handler } from '../core/router.js';

export interface LoggingHandlerOptions {
  /** Also log the first `previewChars` characters of each frame. Default 0 (none). */
  previewChars?: number;
}

export function loggingHandler(logger: ClientLogger, options: LoggingHandlerOptions = {}): Handler {
  const preview = options.previewChars ?? 0;
  return (frame) => {
    if (frame.channel === 'error') {
      logger.warn({ channel: 'error', data: frame.data }, 'server error frame');
      return;
    }
    const fields: Record<string, unknown> = { channel: frame.channel || '(not a channel message)', bytes: frame.text.length };
    if (preview > 0) fields.preview = frame.text.slice(0, preview);
    logger.debug(fields, 'frame');
  };
}
