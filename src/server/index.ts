/**
 * `startServer({feed, host, port, …})`: one port serving the WebSocket API on `/ws` and the
 * HTTP endpoints, from a `BookFeed`. The server reads the feed's books and listens to its
 * events; it never touches files.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { metrics } from '../metrics.js';
import type { BookFeed } from '../state/feed.js';
import { healthOf, type Health } from './health.js';
import { httpHandler } from './http.js';
import { InfoService } from './info.js';
import { KeepAlive } from './keepalive.js';
import { idleMinorGc } from './idle-gc.js';
import { Outbox, Peer } from './outbox.js';
import { Publisher } from './publisher.js';
import { ClientSession, type SessionLimits } from './session.js';
import { ExchangeForwarder } from './user/exchange.js';
import { UserStreams, type UserStreamLimits } from './user/user-streams.js';

export type { Health } from './health.js';
export type { SessionLimits } from './session.js';

/** Largest inbound frame (protocol.md); bigger closes with 1009 `Message too big`. */
export const MAX_INBOUND_FRAME = 64 * 1024;

export interface ServerOptions {
  feed: BookFeed;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 8000; 0 = any free port (see `RunningServer.port`). */
  port?: number;
  /** The node's info server, for info requests we do not answer; default `http://localhost:3001/info`. */
  infoUrl?: string;
  /** `POST /exchange` and WS `post` actions are forwarded here; absent = not served (404 / refused). */
  exchangeUrl?: string;
  /** Bounds of the user streams' kept history (fills, statuses, followed addresses). */
  userLimits?: Partial<UserStreamLimits>;
  /** permessage-deflate level 1..9, 0 = off; default 0. */
  compressionLevel?: number;
  /** Default 5000 ms. */
  l2HeartbeatMs?: number;
  /** Default 64 MiB. */
  maxClientUnsentBytes?: number;
  /** Default 1 GiB. */
  maxTotalUnsentBytes?: number;
  /** A dropped client is destroyed if still open after this; default 10 000 ms. */
  dropGraceMs?: number;
  /** Default 30 000 ms. */
  pingIntervalMs?: number;
  /** Default 60 000 ms. */
  idleTimeoutMs?: number;
  /** Default 64 KiB. */
  maxInboundFrameBytes?: number;
  /** Per-connection limits (subscriptions, inbound rate). */
  limits?: SessionLimits;
  /** Default: no logging. */
  logger?: Logger;
  /** Wall clock, ms; default `Date.now`. */
  now?: () => number;
  /**
   * One worker of `serve --workers n` (`src/cluster/`): `/health`, `/ready`, `/metrics` and
   * `serverStatus` report every worker, not this one. Default: this process alone.
   */
  cluster?: ClusterHooks;
}

export interface ClusterHooks {
  /** This worker's own health → the totals over every worker (asked of the primary). */
  health(local: Health): Promise<Health>;
  /** The same, from the last totals known (for `serverStatus`, computed synchronously). */
  lastHealth(local: Health): Health;
  /** Every worker's metrics merged. */
  metrics(): Promise<{ contentType: string; text: string }>;
  /** Log `listening` at debug (the primary logs it once every worker listens). Default false. */
  quiet?: boolean;
}

export interface RunningServer {
  /** The port actually bound. */
  readonly port: number;
  readonly host: string;
  /** `ws://host:port/ws`. */
  readonly url: string;
  /** `http://host:port`. */
  readonly httpUrl: string;
  /** With `cluster`: the last totals known. */
  health(): Health;
  /** This process's own health (with `cluster`: this worker's). */
  localHealth(): Health;
  /** Close every socket with 1001, stop listening. */
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { feed, logger } = opts;
  const compressionLevel = opts.compressionLevel ?? 0;
  const outbox = new Outbox({
    maxClientUnsentBytes: opts.maxClientUnsentBytes,
    maxTotalUnsentBytes: opts.maxTotalUnsentBytes,
    dropGraceMs: opts.dropGraceMs,
    compress: compressionLevel > 0,
    logger,
    afterFlush: idleMinorGc(),
  });
  const sessions = new Set<ClientSession>();
  const stats = { subscriptions: 0 };
  const localHealth = (): Health => healthOf(feed, sessions.size, stats.subscriptions);
  const cluster = opts.cluster;
  const health = cluster === undefined ? localHealth : (): Health => cluster.lastHealth(localHealth());
  const users = new UserStreams({ feed, outbox, limits: opts.userLimits, now: opts.now });
  const exchange = opts.exchangeUrl === undefined ? undefined : new ExchangeForwarder({ url: opts.exchangeUrl, settle: feed.settle === undefined ? undefined : () => feed.settle!() });
  const publisher = new Publisher({ feed, outbox, health: () => ({ ...health() }), l2HeartbeatMs: opts.l2HeartbeatMs, now: opts.now, logger, users });
  const info = new InfoService({ feed, publisher, infoUrl: opts.infoUrl ?? 'http://localhost:3001/info', users });
  publisher.onBooksAvailable(() => {
    logger?.info({ height: feed.status().height }, 'books loaded: checking subscriptions made before');
    for (const s of sessions) s.activateDeferred();
  });

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: opts.maxInboundFrameBytes ?? MAX_INBOUND_FRAME,
    perMessageDeflate: compressionLevel > 0 ? { zlibDeflateOptions: { level: compressionLevel }, threshold: 1024 } : false,
  });
  let nextId = 0;
  wss.on('connection', (ws: WebSocket, socket: Socket) => {
    sayMessageTooBig(ws);
    const peer = new Peer(++nextId, ws, socket);
    const session = new ClientSession(peer, { publisher, outbox, info, exchange, stats, limits: opts.limits, logger });
    sessions.add(session);
    metrics.clients.inc();
    logger?.debug({ client: peer.id, remote: socket.remoteAddress }, 'client connected');
    ws.on('message', (data, isBinary) => session.onMessage(data, isBinary));
    ws.on('pong', () => {
      session.lastSeen = Date.now();
    });
    ws.on('error', (err) => logger?.debug({ client: peer.id, err: err.message }, 'client socket error'));
    ws.on('close', (code) => {
      outbox.markClosed(peer);
      session.close();
      sessions.delete(session);
      metrics.clients.dec();
      logger?.debug({ client: peer.id, code }, 'client disconnected');
    });
  });

  const http: Server = createServer(
    httpHandler(cluster === undefined ? { health, info, logger, exchange } : { health: () => cluster.health(localHealth()), metrics: () => cluster.metrics(), info, logger, exchange }),
  );
  http.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket as Socket, head, (ws) => wss.emit('connection', ws, socket));
  });
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 8000, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const keepAlive = new KeepAlive(() => sessions, { intervalMs: opts.pingIntervalMs, timeoutMs: opts.idleTimeoutMs });
  const urlHost = host.includes(':') ? `[${host}]` : host;
  if (cluster?.quiet === true) logger?.debug({ url: `ws://${urlHost}:${port}/ws` }, 'worker listening');
  else logger?.info({ url: `ws://${urlHost}:${port}/ws`, compressionLevel }, 'listening');

  let closing: Promise<void> | null = null;
  return {
    port,
    host,
    url: `ws://${urlHost}:${port}/ws`,
    httpUrl: `http://${urlHost}:${port}`,
    health,
    localHealth,
    close() {
      closing ??= (async () => {
        keepAlive.stop();
        publisher.close();
        users.close();
        const closed = [...sessions].map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.peer.ws.readyState === s.peer.ws.CLOSED) return resolve();
              s.peer.ws.once('close', () => resolve());
              outbox.markClosed(s.peer);
              s.peer.ws.close(1001, 'Server shutting down');
              setTimeout(() => s.peer.ws.terminate(), 2000).unref();
            }),
        );
        await Promise.all(closed);
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        wss.close();
      })();
      return closing;
    },
  };
}

/**
 * `ws` closes an over-long frame with 1009 but no reason; protocol.md promises the reason
 * `Message too big`. The receiver calls the instance's `close`, so wrap it there.
 */
function sayMessageTooBig(ws: WebSocket): void {
  const close = ws.close.bind(ws);
  ws.close = (code?: number, reason?: string | Buffer) => close(code, code === 1009 && reason === undefined ? 'Message too big' : reason);
}
