/**
 * The handle of a running simulated node (`startSimulator`, `startReplay`): the same
 * `on`/`off`/`once`, `stop` and `done` whatever produces the blocks.
 */
import type { EventEmitter } from 'node:events';
import type { L4SnapshotFile } from '../book/events.js';
import type { InfoServer } from './info-server.js';
import type { CoinSpec } from './market.js';
import type { FaultKind } from './faults.js';
import type { PaperExchangeStats } from './exchange/paper-exchange.js';

export interface SimStats {
  blocks: number;
  statuses: number;
  /** Statuses that are `…Rejected`. */
  rejected: number;
  diffs: number;
  fills: number;
  /** Bytes written to the data files. */
  bytes: number;
  /** Orders resting now. */
  restingOrders: number;
  /** Faults injected so far, by kind (only with `faults`). */
  faults?: Record<FaultKind, number>;
  /** The paper exchange's counts (accounts, actions, refusals, how signers were recovered). */
  exchange?: PaperExchangeStats;
}

export interface RunningSim {
  /** `http://127.0.0.1:<port>/info`, the node's info server. */
  readonly infoUrl: string;
  /** Absolute data directory. */
  readonly dataDir: string;
  /** The coins traded (simulator only; empty for a replay). */
  readonly coins: readonly CoinSpec[];
  /** `http://127.0.0.1:<port>/exchange`, the paper exchange (simulator only; undefined for a replay). */
  readonly exchangeUrl: string | undefined;
  /** Last block written completely to all three streams. */
  height(): number;
  /** The simulator's truth now: every book as the node's snapshot file would hold it. */
  snapshot(): L4SnapshotFile;
  /** Counts since the start. */
  stats(): SimStats;
  /** After each block is written to all streams. */
  on(event: 'block', listener: (height: number) => void): this;
  off(event: 'block', listener: (height: number) => void): this;
  once(event: 'block', listener: (height: number) => void): this;
  /** Stop producing, close the files and the info server. */
  stop(): Promise<void>;
  /** Resolves when production ends (`maxBlocks` reached or stopped); rejects on a write error. */
  readonly done: Promise<void>;
}

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
