/**
 * The server in a process of its own, for the scale and soak benches: the node feed on a
 * data dir and the server on 127.0.0.1, as `serve` runs them, configured by one JSON
 * argument. Prints `{"port":…}` once listening; SIGTERM closes it cleanly.
 */
import { startServer } from '../src/server/index.js';
import { createNodeFeed } from '../src/state/index.js';

export interface ServerProcessConfig {
  dataDir: string;
  infoUrl: string;
  /** Default 0 (a free port, printed). */
  port?: number;
  /** Default the feed's. */
  staleAfterMs?: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ServerProcessConfig;

/** Warnings and errors of the feed as JSON lines on stderr (the benches count them). */
const line = (level: string) => (obj: object, msg?: string): void => {
  let detail: string;
  try {
    detail = JSON.stringify(obj);
  } catch {
    detail = '{}';
  }
  process.stderr.write(`{"level":"${level}","msg":${JSON.stringify(msg ?? '')},"detail":${detail}}\n`);
};
const logger = { debug: () => undefined, info: () => undefined, warn: line('warn'), error: line('error') };

// `wait`: the simulator may not have created the directories yet.
const feed = createNodeFeed({
  dataDir: cfg.dataDir,
  infoUrl: cfg.infoUrl,
  source: 'simulated',
  wait: true,
  logger,
  ...(cfg.staleAfterMs !== undefined && { staleAfterMs: cfg.staleAfterMs }),
});
// Listening first, so that /health answers `starting` while the snapshot loads.
const server = await startServer({ feed, host: '127.0.0.1', port: cfg.port ?? 0, infoUrl: cfg.infoUrl });
await feed.start();
process.stdout.write(JSON.stringify({ port: server.port }) + '\n');

let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  void server
    .close()
    .then(() => feed.stop())
    .finally(() => process.exit(0));
});
