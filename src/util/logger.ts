/**
 * The one logging surface of the project: pino's `(obj, msg)` form, so a pino logger fits
 * as is, tests pass a recorder, and the browser client needs no logging library.
 * (`src/log.ts` builds the process's pino logger, which is one of these.)
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const nothing = (): void => undefined;

/** Logs nothing (the default where logging is optional; tests). */
export const silentLogger: Logger = { debug: nothing, info: nothing, warn: nothing, error: nothing };
