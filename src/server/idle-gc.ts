/**
 * Young-generation collections at a quiet moment. V8 runs a scavenge when its new space
 * fills, wherever that happens to be, and with a thousand sockets' state alive one takes
 * 1-6 ms: landing between a block's arrival and its flush, it delays that block for every
 * client. After a flush the server has until the next block (~68 ms on mainnet); if the new
 * space is past `threshold` full then, it is collected there and then, so that the next
 * block's work starts with room to allocate.
 *
 * Needs V8's `gc` function (exposed through `--expose-gc` for a fresh context); without it,
 * or with `HL_ORDERBOOK_IDLE_GC=0`, this does nothing and V8 collects as usual.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export type GcFunction = (options?: { type?: 'major' | 'minor' }) => void;

function gcFunction(): GcFunction | undefined {
  try {
    const own = (globalThis as { gc?: unknown }).gc;
    if (typeof own === 'function') return own as GcFunction;
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    return typeof fn === 'function' ? (fn as GcFunction) : undefined;
  } catch {
    return undefined;
  }
}

export interface IdleGcOptions {
  /** Collect when the new space is fuller than this share of its size. Default 0.5. */
  threshold?: number;
  /** Default: on unless `HL_ORDERBOOK_IDLE_GC=0`. */
  enabled?: boolean;
  /** The collector (tests); default V8's own. */
  gc?: GcFunction;
  /** The new space's fill, used and available bytes (tests); default from `v8.getHeapSpaceStatistics()`. */
  newSpace?: () => { used: number; available: number } | undefined;
}

function v8NewSpace(): { used: number; available: number } | undefined {
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name === 'new_space') return { used: s.space_used_size, available: s.space_available_size };
  }
  return undefined;
}

/**
 * A function to call after each flush: it looks at the new space on the next turn (after the
 * writes are out) and runs a minor collection if it is past the threshold.
 */
export function idleMinorGc(opts: IdleGcOptions = {}): () => void {
  const enabled = opts.enabled ?? process.env.HL_ORDERBOOK_IDLE_GC !== '0';
  const gc = enabled ? (opts.gc ?? gcFunction()) : undefined;
  if (gc === undefined) return () => undefined;
  const threshold = opts.threshold ?? 0.5;
  const newSpace = opts.newSpace ?? v8NewSpace;
  let scheduled = false;
  const check = (): void => {
    scheduled = false;
    const s = newSpace();
    // used + available: the semi-space's capacity (the stats' space_size counts both semi-spaces).
    if (s !== undefined && s.used > threshold * (s.used + s.available)) gc({ type: 'minor' });
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(check);
  };
}
