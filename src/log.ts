/**
 * The process's logger: pino, one line per event worth knowing. Pretty (pino-pretty, in
 * process, synchronous) when the output is a terminal, JSON lines otherwise (for log
 * collectors).
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config.js';

export type { Logger };

export interface LoggerOptions {
  /** Default `info`. */
  level?: LogLevel;
  /** Pretty output; default: whether `stream` (stdout) is a terminal. */
  pretty?: boolean;
  /** Where lines go; default stdout. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const stream = opts.stream ?? process.stdout;
  const isTty = (stream as NodeJS.WriteStream).isTTY === true;
  const level = opts.level ?? 'info';
  if (opts.pretty ?? isTty) {
    return pino({ level, base: undefined }, pretty({ destination: stream, colorize: isTty, sync: true, ignore: 'pid,hostname' }));
  }
  return pino({ level, base: undefined }, stream);
}

/** A logger that writes nothing (tests, embedding). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
