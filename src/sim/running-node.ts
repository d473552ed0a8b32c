/**
 * The handle of a running simulated node (`startSimulator`, `startReplay`): the same
 * `on`/`off`/`once`, `stop` and `done` whatever produces the blocks.
 */
import type { EventEmitter } from 'node:events';
import type { L4SnapshotFile } from '../book/events.js';
import type { InfoServer } from './info-server.js';
import type { CoinSpec } from './market.js';
import type { RunningSim, SimStats } from './simulator.js';

export interface RunningNodeParts {
  info: InfoServer;
  dataDir: string;
  coins: readonly CoinSpec[];
  /** The paper exchange's URL, when there is one. */
  exchangeUrl?: string;
  height(): number;
  snapshot(): L4SnapshotFile;
  stats(): SimStats;
  /** Emits `block` (the height) after each block written to all streams. */
  emitter: EventEmitter;
  /** Aborted by `stop()`: the producer ends, then `done` settles. */
  abort: AbortController;
  /** The producer's run. */
  done: Promise<void>;
}

/** The handle; `stop()` aborts the producer, waits for it to end, then closes the info server (once). */
export function runningNode(p: RunningNodeParts): RunningSim {
  const { emitter, info, done } = p;
  // Observed by whoever awaits `done`; never an unhandled rejection.
  done.catch(() => undefined);
  let stopping: Promise<void> | undefined;
  const running: RunningSim = {
    infoUrl: info.url,
    dataDir: p.dataDir,
    coins: p.coins,
    exchangeUrl: p.exchangeUrl,
    height: p.height,
    snapshot: p.snapshot,
    stats: p.stats,
    on(event, listener) {
      emitter.on(event, listener);
      return running;
    },
    off(event, listener) {
      emitter.off(event, listener);
      return running;
    },
    once(event, listener) {
      emitter.once(event, listener);
      return running;
    },
    stop() {
      stopping ??= (async () => {
        p.abort.abort();
        await done.catch(() => undefined);
        await info.close();
      })();
      return stopping;
    },
    done,
  };
  return running;
}
