/**
 * `startServer({feed, host, port, …})`: one port serving the WebSocket API on `/ws` and the
 * HTTP endpoints, from a `BookFeed`. The server reads the feed's books and listens to its
 * events; it never touches files.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { metrics } from '../metrics.js';
import { ConnectionsPerIp, TokenSet, clientIp, exposureWarnings } from './access.js';
import type { BookFeed } from '../state/feed.js';
import { CandleService } from './candles/service.js';
import { CandleStore } from './candles/store.js';
import { healthOf, type Health } from './health.js';
import { httpHandler } from './http.js';
import { InfoService } from './info.js';
import { KeepAlive } from './keepalive.js';
import { idleMinorGc } from './idle-gc.js';
import { Outbox } from './outbox.js';
import { Publisher } from './publisher.js';
import { Turn } from './turn.js';
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
  /** `l2Book`/`bbo` also inside a block, from the feed's `partial` events (`--book-updates intra-block`). Default false. */
  intraBlock?: boolean;
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
  /**
   * Bearer tokens (`--auth-token`): when any is set, WebSocket upgrades, `POST /info` and (unless
   * `metricsPublic`) `/metrics` need one of them; `/health` and `/ready` stay open. Default none.
   */
  authTokens?: readonly string[];
  /** `/metrics` without a token even when tokens are set. Default false. */
  metricsPublic?: boolean;
  /** WebSocket connections one IP may hold open at once (0: no bound). Default 0. */
  maxConnectionsPerIp?: number;
  /** Default: no logging. */
  logger?: Logger;
  /** Wall clock, ms; default `Date.now`. */
  now?: () => number;
  /**
   * One worker of `serve --workers n` (`src/cluster/`): `/health`, `/ready`, `/metrics` and
   * `serverStatus` report every worker, not this one. Default: this process alone.
   */
  cluster?: ClusterHooks;
  /** Where closed candles are kept (`CandleStore`); default: in memory only. */
  candlesDir?: string;
  /** Write candles there (false: read only, for all but one of `--workers n`); default true. */
  candlesPersist?: boolean;
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
  /**
   * The per-IP connection count over every worker (kept by the primary): take a slot for `ip`
   * (false: the IP is at its bound), give it back. Default: this worker counts alone.
   */
  connections?: { acquire(ip: string): Promise<boolean>; release(ip: string): void };
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

/** The parts of one server that outlive a connection. */
interface ServerCore {
  outbox: Outbox;
  publisher: Publisher;
  users: UserStreams;
  candles: CandleService;
  info: InfoService;
  exchange: ExchangeForwarder | undefined;
  sessions: Set<ClientSession>;
  stats: { subscriptions: number };
  now: () => number;
  health: () => Health;
  localHealth: () => Health;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const core = createCore(opts);
  const wss = socketServer(opts, core);
  const http = httpServer(opts, core, wss);
  const host = opts.host ?? '127.0.0.1';
  await listen(http, host, opts.port ?? 8000);
  const port = (http.address() as AddressInfo).port;
  const keepAlive = new KeepAlive(() => core.sessions, { intervalMs: opts.pingIntervalMs, timeoutMs: opts.idleTimeoutMs, now: core.now });
  const urlHost = host.includes(':') ? `[${host}]` : host;
  logListening(opts, `ws://${urlHost}:${port}/ws`);

  let closing: Promise<void> | null = null;
  return {
    port,
    host,
    url: `ws://${urlHost}:${port}/ws`,
    httpUrl: `http://${urlHost}:${port}`,
    health: core.health,
    localHealth: core.localHealth,
    close() {
      closing ??= (async () => {
        keepAlive.stop();
        core.publisher.close();
        core.users.close();
        await Promise.all([...core.sessions].map((s) => core.outbox.shutdown(s.peer)));
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        wss.close();
        await core.candles.flush();
      })();
      return closing;
    },
  };
}

/**
 * The outbox, the publisher and what feeds it, wired to one per-turn scheduler: the
 * publisher computes (`prepare`), then the outbox writes.
 */
function createCore(opts: ServerOptions): ServerCore {
  const { feed, logger } = opts;
  const now = opts.now ?? Date.now;
  const turn = new Turn({ prepare: () => publisher.refresh(), write: () => outbox.flush() });
  const outbox = new Outbox({
    maxClientUnsentBytes: opts.maxClientUnsentBytes,
    maxTotalUnsentBytes: opts.maxTotalUnsentBytes,
    dropGraceMs: opts.dropGraceMs,
    compress: (opts.compressionLevel ?? 0) > 0,
    logger,
    turn,
    afterFlush: idleMinorGc(),
  });
  const sessions = new Set<ClientSession>();
  const stats = { subscriptions: 0 };
  const localHealth = (): Health => healthOf(feed, sessions.size, stats.subscriptions);
  const cluster = opts.cluster;
  const health = cluster === undefined ? localHealth : (): Health => cluster.lastHealth(localHealth());
  const candles = new CandleService({
    store: opts.candlesDir === undefined ? undefined : new CandleStore({ dir: opts.candlesDir, logger }),
    persist: opts.candlesPersist,
    logger,
  });
  const users = new UserStreams({ feed, limits: opts.userLimits, now });
  const exchange = opts.exchangeUrl === undefined ? undefined : new ExchangeForwarder({ url: opts.exchangeUrl, watcher: users });
  const publisher = new Publisher({
    feed,
    outbox,
    turn,
    health: () => ({ ...health() }),
    l2HeartbeatMs: opts.l2HeartbeatMs,
    now,
    logger,
    candles,
    users,
    intraBlock: opts.intraBlock,
  });
  const info = new InfoService({ feed, publisher, infoUrl: opts.infoUrl ?? 'http://localhost:3001/info', users });
  publisher.onBooksAvailable(() => {
    logger?.info({ height: feed.status().height }, 'books loaded: checking subscriptions made before');
    for (const s of sessions) s.activateDeferred();
  });
  return { outbox, publisher, users, candles, info, exchange, sessions, stats, now, health, localHealth };
}

/** The WebSocket side: one session per connection, its socket's events routed to it. */
function socketServer(opts: ServerOptions, core: ServerCore): WebSocketServer {
  const { logger } = opts;
  const compressionLevel = opts.compressionLevel ?? 0;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: opts.maxInboundFrameBytes ?? MAX_INBOUND_FRAME,
    perMessageDeflate: compressionLevel > 0 ? { zlibDeflateOptions: { level: compressionLevel }, threshold: 1024 } : false,
  });
  const { outbox, publisher, info, exchange, stats, sessions, now } = core;
  wss.on('connection', (ws: WebSocket, socket: Socket) => {
    sayMessageTooBig(ws);
    const peer = outbox.connect(ws, socket);
    const session = new ClientSession(peer, { publisher, outbox, info, exchange, stats, limits: opts.limits, now, logger });
    sessions.add(session);
    metrics.clients.inc();
    logger?.debug({ client: peer.id, remote: socket.remoteAddress }, 'client connected');
    ws.on('message', (data, isBinary) => session.onMessage(data, isBinary));
    ws.on('pong', () => session.alive());
    ws.on('error', (err) => logger?.debug({ client: peer.id, err: err.message }, 'client socket error'));
    ws.on('close', (code) => {
      outbox.markClosed(peer);
      session.close();
      sessions.delete(session);
      metrics.clients.dec();
      logger?.debug({ client: peer.id, code }, 'client disconnected');
    });
  });
  return wss;
}

/** The HTTP side: the endpoints, and the upgrade to `/ws` behind the token and the per-IP bound. */
function httpServer(opts: ServerOptions, core: ServerCore, wss: WebSocketServer): Server {
  const { logger, cluster } = opts;
  const { health, info, exchange, localHealth } = core;
  const tokens = new TokenSet(opts.authTokens ?? []);
  const access = { tokens, metricsPublic: opts.metricsPublic === true };
  const http: Server = createServer(
    httpHandler(
      cluster === undefined
        ? { health, info, logger, exchange, ...access }
        : { health: () => cluster.health(localHealth()), metrics: () => cluster.metrics(), info, logger, exchange, ...access },
    ),
  );
  const connections = connectionSlots(opts);
  const upgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void =>
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, socket));
  http.on('upgrade', (req, socket: Socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!tokens.allows(req)) {
      metrics.refused.inc({ reason: 'auth', endpoint: '/ws' });
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (connections === undefined) return upgrade(req, socket, head);
    upgradeWithinBound(connections, req, socket, head, upgrade, logger);
  });
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  return http;
}

type ConnectionSlots = NonNullable<ClusterHooks['connections']>;

/** The per-IP connection count: the cluster's, this process's own, or none (no bound). */
function connectionSlots(opts: ServerOptions): ConnectionSlots | undefined {
  if (opts.cluster?.connections !== undefined) return opts.cluster.connections;
  const perIp = new ConnectionsPerIp(opts.maxConnectionsPerIp ?? 0);
  if (perIp.max === 0) return undefined;
  return { acquire: (ip: string) => Promise.resolve(perIp.acquire(ip)), release: (ip: string) => perIp.release(ip) };
}

/** Upgrade once the IP has a slot (429 when it is at its bound); the slot is given back when the socket closes. */
function upgradeWithinBound(
  connections: ConnectionSlots,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  upgrade: (req: IncomingMessage, socket: Socket, head: Buffer) => void,
  logger: Logger | undefined,
): void {
  const ip = clientIp(socket.remoteAddress);
  connections.acquire(ip).then(
    (ok) => {
      if (!ok) {
        metrics.refused.inc({ reason: 'per_ip', endpoint: '/ws' });
        logger?.debug({ remote: ip }, 'connection refused: --max-connections-per-ip reached');
        socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      // The slot is given back when the socket closes, however the upgrade ends.
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        connections.release(ip);
      };
      socket.once('close', release);
      if (socket.destroyed) return release();
      upgrade(req, socket, head);
    },
    (err: unknown) => {
      logger?.warn({ err: (err as Error).message, remote: ip }, 'connection refused: the per-IP count is unavailable');
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    },
  );
}

function listen(http: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
}

function logListening(opts: ServerOptions, url: string): void {
  const { logger } = opts;
  if (opts.cluster?.quiet === true) {
    logger?.debug({ url }, 'worker listening');
    return;
  }
  const host = opts.host ?? '127.0.0.1';
  logger?.info(
    { url, compressionLevel: opts.compressionLevel ?? 0, authTokens: opts.authTokens?.length ?? 0, maxConnectionsPerIp: opts.maxConnectionsPerIp ?? 0 },
    'listening',
  );
  for (const w of exposureWarnings(host, opts.authTokens ?? [])) logger?.warn(w);
}

/**
 * `ws` closes an over-long frame with 1009 but no reason; protocol.md promises the reason
 * `Message too big`. The receiver calls the instance's `close`, so wrap it there.
 */
function sayMessageTooBig(ws: WebSocket): void {
  const close = ws.close.bind(ws);
  ws.close = (code?: number, reason?: string | Buffer) => close(code, code === 1009 && reason === undefined ? 'Message too big' : reason);
}
