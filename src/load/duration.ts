/** Durations on the command line: `60s`, `500ms`, `5m`, `1h`, or a bare number of seconds. */
import { ErrorCodes, HlobError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, flag = '--duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m?.[1]) throw new HlobError(ErrorCodes.CONFIG, `${flag}: ${JSON.stringify(text)} is not a duration (such as 60s, 500ms, 5m, 1h)`);
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000));
}
