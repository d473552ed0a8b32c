/**
 * The server's core without a network: a ManualFeed, the outbox with fake sockets, the
 * publisher, one Turn run by hand, and sessions on fake peers (as `startServer` wires them).
 */
import { ClientSession, type SessionLimits } from '../../../src/server/session.js';
import { InfoService } from '../../../src/server/info.js';
import { Outbox } from '../../../src/server/outbox.js';
import { Publisher } from '../../../src/server/publisher.js';
import { parseSubscription, type Subscription } from '../../../src/server/subscriptions.js';
import { Turn } from '../../../src/server/turn.js';
import { FakeSocket, ManualTurns } from './fake-socket.js';
import { ManualFeed } from './feed.js';

export interface Core {
  feed: ManualFeed;
  outbox: Outbox;
  publisher: Publisher;
  turns: ManualTurns;
  stats: { subscriptions: number };
  /** The wall clock the publisher and sessions read; tests move it. */
  clock: { now: number };
  /** A fake connection and its session. */
  connect(opts?: { limits?: SessionLimits; monotonic?: () => number }): { session: ClientSession; socket: FakeSocket };
  close(): void;
}

export function core(opts: { l2HeartbeatMs?: number } = {}): Core {
  const feed = new ManualFeed();
  const turns = new ManualTurns();
  const clock = { now: 1_000_000 };
  const now = (): number => clock.now;
  const box: { publisher?: Publisher; outbox?: Outbox } = {};
  const turn = new Turn({ prepare: () => box.publisher!.refresh(), write: () => box.outbox!.flush(), schedule: turns.schedule });
  const outbox = (box.outbox = new Outbox({ turn }));
  const health = (): Record<string, unknown> => ({ state: feed.status().state, height: feed.status().height });
  const publisher = (box.publisher = new Publisher({ feed, outbox, turn, health, now, l2HeartbeatMs: opts.l2HeartbeatMs, statusEveryMs: 3_600_000 }));
  // Never reached: these tests send no info request.
  const info = new InfoService({ feed, publisher, infoUrl: 'http://127.0.0.1:9/info' });
  const stats = { subscriptions: 0 };
  return {
    feed,
    outbox,
    publisher,
    turns,
    stats,
    clock,
    connect(o = {}) {
      const socket = new FakeSocket();
      const peer = outbox.connect(socket, socket);
      const session = new ClientSession(peer, { publisher, outbox, info, stats, limits: o.limits, now, monotonic: o.monotonic });
      return { session, socket };
    },
    close() {
      publisher.close();
    },
  };
}

export function sub(raw: Record<string, unknown>): Subscription {
  const s = parseSubscription(raw);
  if (s === null) throw new Error(`not a subscription: ${JSON.stringify(raw)}`);
  return s;
}

/** An inbound text frame as `ws` hands it over. */
export function inbound(msg: unknown): [Buffer, boolean] {
  return [Buffer.from(JSON.stringify(msg)), false];
}
