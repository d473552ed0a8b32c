/**
 * What a client sees, checked against the simulator's truth while the soak runs: one socket
 * per checked coin keeps an `l4Book` replica (Snapshot, then Updates on top, a fresh Snapshot
 * after each repair), and at every checkpoint height the replica covers it is compared order
 * by order with the simulator's book at that height. A client that sees a wrong book (a stale
 * one is not wrong: it is an older height) shows up as a mismatch.
 */
import { WebSocket } from 'ws';
import { Books, type BookDiffEvent, type L4Order, type L4SnapshotFile, type NodeOrder, type OrderStatusEvent } from '../src/book/index.js';
import type { RunningSim } from '../src/sim/index.js';

interface SnapshotData {
  coin: string;
  height: number;
  levels: [L4Order[], L4Order[]];
}

interface UpdatesData {
  time: number;
  height: number;
  order_statuses: OrderStatusEvent[];
  book_diffs: BookDiffEvent[];
}

export interface BookCheckReport {
  /** Comparisons made (coin × checkpoint). */
  checks: number;
  /** Comparisons that differed. */
  mismatches: number;
  /** Snapshots received (the first, then one after each repair). */
  snapshots: number;
  /** The first differences, for the report. */
  samples: string[];
}

const entry = (o: L4Order): [string, NodeOrder] => {
  const { user, ...order } = o;
  return [user, order];
};

/** One coin's replica on its own socket. */
class Replica {
  books: Books | undefined;
  height = 0;
  readonly ws: WebSocket;

  constructor(
    url: string,
    readonly coin: string,
    private readonly onState: (r: Replica, from: number, to: number) => void,
    private readonly onSnapshot: () => void,
    private readonly onBroken: (r: Replica, height: number, why: string) => void,
  ) {
    this.ws = new WebSocket(url);
    this.ws.on('open', () => this.ws.send(JSON.stringify({ method: 'subscribe', subscription: { type: 'l4Book', coin } })));
    this.ws.on('message', (data) => this.onMessage(data.toString()));
    this.ws.on('error', () => undefined);
  }

  private onMessage(text: string): void {
    const f = JSON.parse(text) as { channel: string; data?: { Snapshot?: SnapshotData; Updates?: UpdatesData } };
    if (f.channel !== 'l4Book' || f.data === undefined) return;
    if (f.data.Snapshot !== undefined) {
      const s = f.data.Snapshot;
      this.books = Books.fromSnapshot([s.height, [[s.coin, [s.levels[0].map(entry), s.levels[1].map(entry)]]]]);
      this.height = s.height;
      this.onSnapshot();
      this.onState(this, s.height, s.height);
      return;
    }
    const u = f.data.Updates;
    if (u === undefined || this.books === undefined) return;
    // The replica showed the book at every height up to the one before this update.
    this.onState(this, this.height + 1, u.height - 1);
    const change = this.books.applyBlock(
      { height: u.height, time: u.time, statuses: u.order_statuses, diffs: u.book_diffs, fills: [] },
      { only: new Set([this.coin]) },
    );
    if (change.desyncs.length > 0) {
      // Updates that do not apply to the client's book: it holds a wrong book until the next Snapshot.
      this.books = undefined;
      this.onBroken(this, u.height, change.desyncs[0]!.message);
      return;
    }
    this.height = u.height;
    this.onState(this, u.height, u.height);
  }

  l4(): string {
    return JSON.stringify(this.books?.book(this.coin)?.l4() ?? [[], []]);
  }
}

/**
 * Start checking `coins` on the server at `url` against `sim`, every `everyBlocks` blocks.
 * `stop()` closes the sockets and returns the report.
 */
export function startBookCheck(url: string, sim: RunningSim, coins: string[], everyBlocks = 50): { stop: () => BookCheckReport } {
  const report: BookCheckReport = { checks: 0, mismatches: 0, snapshots: 0, samples: [] };
  /** Checkpoint height → each checked coin's book then (as `l4()` JSON). */
  const truth = new Map<number, Map<string, string>>();
  const onBlock = (h: number): void => {
    if (h % everyBlocks !== 0) return;
    const snap: L4SnapshotFile = sim.snapshot();
    const wanted = new Set(coins);
    const books = Books.fromSnapshot([snap[0], snap[1].filter(([c]) => wanted.has(c))]);
    truth.set(h, new Map(coins.map((c) => [c, JSON.stringify(books.book(c)?.l4() ?? [[], []])])));
    // Keep the last few hundred checkpoints: a client further behind than that is not checked.
    for (const k of truth.keys()) if (k < h - everyBlocks * 400) truth.delete(k);
  };
  sim.on('block', onBlock);
  const compare = (r: Replica, from: number, to: number): void => {
    for (let h = Math.ceil(from / everyBlocks) * everyBlocks; h <= to; h += everyBlocks) {
      const t = truth.get(h)?.get(r.coin);
      if (t === undefined) continue;
      report.checks++;
      if (r.l4() !== t) {
        report.mismatches++;
        if (report.samples.length < 5) report.samples.push(`${r.coin} at ${h}: the client's book differs from the simulator's`);
      }
    }
  };
  const broken = (r: Replica, h: number, why: string): void => {
    report.mismatches++;
    if (report.samples.length < 5) report.samples.push(`${r.coin} at ${h}: Updates do not apply to the client's book: ${why}`);
  };
  const replicas = coins.map((c) => new Replica(url, c, compare, () => report.snapshots++, broken));
  return {
    stop() {
      sim.off('block', onBlock);
      for (const r of replicas) r.ws.close();
      return report;
    },
  };
}
