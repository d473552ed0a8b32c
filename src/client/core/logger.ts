/**
 * The client logs through this small pino-compatible interface (`logger.warn(obj, msg)`),
 * so a pino logger can be passed as is, and browsers need no logging library.
 */
export interface ClientLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Discards everything. */
export const silentLogger: ClientLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** Warnings and errors to the console; the default, so that a failing module is never silent. */
export const consoleLogger: ClientLogger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => console.warn(`[hl-orderbook/client] ${msg}`, obj),
  error: (obj, msg) => console.error(`[hl-orderbook/client] ${msg}`, obj),
};
