/**
 * The HTTP side of the one port: `POST /info`, `GET /health`, `GET /ready`, `GET /metrics`,
 * and the live page `GET /` (`page.ts`; open: it holds no data, its requests carry the token).
 * (`GET /ws` upgrades are taken in `index.ts`.)
 *
 * Endpoints are one table (`ENDPOINTS`): a new one (`POST /exchange`) is one entry saying its
 * methods, whether it needs the token and whether browsers may call it (CORS). With
 * `--auth-token`, a protected endpoint without a valid token gets 401 and nothing else (no
 * body, no detail), counted in `hlob_refused_total{reason="auth"}`; `/health` and `/ready`
 * stay open (load balancers and orchestrators probe them), `/metrics` too with
 * `--metrics-public`. CORS preflights (`OPTIONS`) are answered without a token: browsers never
 * send one there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../util/logger.js';
import { metrics, registry } from '../metrics.js';
import { loggableUrl, type TokenSet } from './access.js';
import type { Health } from './health.js';
import type { InfoService } from './info.js';
import { isPagePath, servePage } from './page.js';
import { MAX_EXCHANGE_BODY, type ExchangeForwarder } from './user/exchange.js';

/** Largest `POST /info` body accepted. */
export const MAX_INFO_BODY = 64 * 1024;

export interface HttpDeps {
  /** `--workers`: the totals over every worker, asked of the primary. */
  health: () => Health | Promise<Health>;
  info: InfoService;
  /** Default: this process's registry. `--workers`: the primary's merge of every worker's. */
  metrics?: () => Promise<{ contentType: string; text: string }>;
  /** Tokens required by protected endpoints; default none (everything open). */
  tokens?: TokenSet;
  /** `/metrics` without a token even when tokens are set. Default false. */
  metricsPublic?: boolean;
  logger?: Logger;
  /** `POST /exchange`: forwarded to the exchange (`--exchange-url`). */
  exchange?: ExchangeForwarder;
}

interface Endpoint {
  /** Methods served (HEAD goes with GET). */
  methods: readonly string[];
  /** Needs a token when tokens are set. */
  protected: (deps: HttpDeps) => boolean;
  /** Callable from any web page (CORS, with its preflight). */
  cors?: boolean;
  handle: (deps: HttpDeps, req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
}

const PLAIN = 'text/plain; charset=utf-8';

const ENDPOINTS: Record<string, Endpoint> = {
  '/info': { methods: ['POST'], protected: () => true, cors: true, handle: info },
  '/exchange': { methods: ['POST'], protected: () => true, cors: true, handle: exchange },
  '/health': { methods: ['GET'], protected: () => false, handle: health },
  '/ready': { methods: ['GET'], protected: () => false, handle: health },
  '/metrics': { methods: ['GET'], protected: (d) => d.metricsPublic !== true, handle: metricsText },
};

export function httpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      deps.logger?.error({ err, url: loggableUrl(req.url) }, 'http request failed');
      if (!res.headersSent) send(res, 500, PLAIN, 'internal error');
      else res.destroy();
    });
  };
}

/** 401 and nothing else: a refused caller learns nothing about the server. */
export function unauthorized(res: ServerResponse, endpoint: string): void {
  metrics.refused.inc({ reason: 'auth', endpoint });
  res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-length': 0 });
  res.end();
}

async function route(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const method = req.method ?? 'GET';
  const e = Object.hasOwn(ENDPOINTS, path) ? ENDPOINTS[path] : undefined;
  if (e === undefined) {
    if (isPagePath(path)) return servePage(req, res, path);
    return send(
      res,
      404,
      PLAIN,
      `not found: ${path}; endpoints: GET /ws (WebSocket), ${Object.entries(ENDPOINTS)
        .map(([p, x]) => `${x.methods.join('/')} ${p}`)
        .join(', ')}`,
    );
  }
  if (e.cors === true) {
    res.setHeader('access-control-allow-origin', '*');
    if (method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', `${e.methods.join(', ')}, OPTIONS`);
      res.setHeader('access-control-allow-headers', 'content-type, authorization');
      return send(res, 204, 'text/plain', '');
    }
  }
  const allowed = e.methods.includes(method) || (method === 'HEAD' && e.methods.includes('GET'));
  if (deps.tokens?.enabled === true && e.protected(deps) && !deps.tokens.allows(req)) {
    // Drain the body so that the connection can be reused.
    req.resume();
    return unauthorized(res, path);
  }
  if (!allowed) return notAllowed(res, e.methods.join(', '));
  return e.handle(deps, req, res, path);
}

async function info(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, MAX_INFO_BODY);
  if (body === null) return send(res, 413, PLAIN, `request body over ${MAX_INFO_BODY} bytes`);
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    return send(res, 400, PLAIN, `Failed to parse the request body as JSON: ${body.slice(0, 1000)}`);
  }
  const answer = await deps.info.answer(request);
  return send(res, answer.status, answer.contentType, answer.body);
}

/** `POST /exchange`: the body forwarded unchanged to `--exchange-url`, its answer returned as is. */
async function exchange(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (deps.exchange === undefined) return send(res, 404, PLAIN, 'not found: /exchange; this server forwards no actions (no --exchange-url)');
  const body = await readBody(req, MAX_EXCHANGE_BODY);
  if (body === null) return send(res, 413, PLAIN, `request body over ${MAX_EXCHANGE_BODY} bytes: not forwarded to the exchange`);
  const answer = await deps.exchange.forward(body);
  return send(res, answer.status, answer.contentType, answer.body);
}

async function health(deps: HttpDeps, _req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const h = await deps.health();
  const status = path === '/ready' && h.state !== 'ready' ? 503 : 200;
  return send(res, status, 'application/json', JSON.stringify(h));
}

async function metricsText(deps: HttpDeps, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (deps.metrics !== undefined) {
    const m = await deps.metrics();
    return send(res, 200, m.contentType, m.text);
  }
  return send(res, 200, registry.contentType, await registry.metrics());
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  send(res, 405, PLAIN, 'method not allowed');
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The body as text, or null when it passes `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
