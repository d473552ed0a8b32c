/** The `/health` JSON (also the `serverStatus` data): the feed's state plus the server's counts. */
import type { BookFeed, FeedState } from '../state/feed.js';

export interface Health {
  state: FeedState;
  height: number | null;
  time: number | null;
  lagMs: number | null;
  clients: number;
  subscriptions: number;
  eventsPerSecond: number;
  source: 'node' | 'simulated';
  /** Why the state is not `ready`, when the feed knows (only then present). */
  error?: string;
}

export function healthOf(feed: BookFeed, clients: number, subscriptions: number): Health {
  const s = feed.status();
  return {
    state: s.state,
    height: s.height,
    time: s.time,
    lagMs: s.lagMs,
    clients,
    subscriptions,
    eventsPerSecond: s.eventsPerSecond,
    source: s.source,
    ...(s.error !== undefined ? { error: s.error } : {}),
  };
}
