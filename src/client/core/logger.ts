/**
 * The client logs through the project's one logger type (`src/util/logger.ts`): pino's
 * `(obj, msg)` form, so a pino logger can be passed as is, and browsers need no logging library.
 */
import type { Logger } from '../../util/logger.js';

export { silentLogger } from '../../util/logger.js';

/** The client's name for the project's `Logger`. */
export type ClientLogger = Logger;

/** Warnings and errors to the console; the default, so that a failing module is never silent. */
export const consoleLogger: ClientLogger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => console.warn(`[hl-orderbook/client] ${msg ?? ''}`, obj),
  error: (obj, msg) => console.error(`[hl-orderbook/client] ${msg ?? ''}`, obj),
};
