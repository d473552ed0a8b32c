/**
 * What the simulator and the replay take from the world outside the market: the clock, a
 * sleep that a stop cuts short, and a data directory they may write.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { ErrorCodes, HlobError } from '../errors.js';
import { sleep } from '../util/abort.js';

/** Epoch ms now, fractional (the default time seam). */
export const defaultNow = (): number => performance.timeOrigin + performance.now();

/** Resolve after `ms`, or at once when `signal` aborts (the default sleep seam). */
export const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> => sleep(ms, signal);

/** Create `dir` if needed and make sure we can write in it; a coded error naming it otherwise. */
export async function ensureWritableDir(dir: string, what: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new HlobError(ErrorCodes.UNWRITABLE_DIR, `cannot write ${what} ${dir}: ${code}`, { cause: err });
  }
}

/** An abort controller that also follows `outer` (until `release`). */
export function followAbort(outer: AbortSignal | undefined): { abort: AbortController; release: () => void } {
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  if (outer?.aborted) abort.abort();
  return { abort, release: () => outer?.removeEventListener('abort', onOuterAbort) };
}
