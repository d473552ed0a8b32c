/** Shared bits of the scale-out tests. */
import type { NodeFeed } from '../../src/state/node-feed.js';
import { fixtureLines } from '../node/files.js';

/** Resolves once the edge's books are ready at `height` or above. */
export function edgeAt(edge: NodeFeed, height: number, timeoutMs = 60_000): Promise<void> {
  const ok = (): boolean =>
    edge.status().state !== 'starting' && edge.status().state !== 'resyncing' && edge.status().height !== null && edge.books.height >= height;
  if (ok()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new Error(`edge never reached ${height}: ${JSON.stringify(edge.status())}`));
    }, timeoutMs);
    const check = (): void => {
      if (!ok()) return;
      done();
      resolve();
    };
    const done = (): void => {
      clearTimeout(timer);
      edge.off('block', check);
      edge.off('reset', check);
      edge.off('state', check);
    };
    edge.on('block', check);
    edge.on('reset', check);
    edge.on('state', check);
  });
}

/** Users of the fixture: the one with most fills, and the one with most statuses. */
export function users(): { trader: string; placer: string } {
  const count = (xs: string[]): string => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1])[0]![0];
  };
  const fills = fixtureLines('fills').flatMap((l) => (JSON.parse(l) as { events: [string, unknown][] }).events.map((e) => e[0]));
  const statuses = fixtureLines('statuses').flatMap((l) => (JSON.parse(l) as { events: { user: string }[] }).events.map((e) => e.user));
  return { trader: count(fills), placer: count(statuses) };
}

/** Logs to stderr when HLOB_DEBUG_NATS=1 (investigating a failing run), else nothing. */
export function debugLogger(tag: string): {
  debug: (o: object, m?: string) => void;
  info: (o: object, m?: string) => void;
  warn: (o: object, m?: string) => void;
  error: (o: object, m?: string) => void;
} {
  const on = process.env.HLOB_DEBUG_NATS === '1';
  const log =
    (level: string) =>
    (o: object, m?: string): void => {
      if (on) process.stderr.write(`#${tag} ${level} ${m ?? ''} ${JSON.stringify(o).slice(0, 200)}\n`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
