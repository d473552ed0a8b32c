/**
 * The HTTP side of the one port: `POST /info`, `GET /health`, `GET /ready`, `GET /metrics`.
 * (`GET /ws` upgrades are taken in `index.ts`.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { registry } from '../metrics.js';
import type { Health } from './health.js';
import type { InfoService } from './info.js';
import { MAX_EXCHANGE_BODY, type ExchangeForwarder } from './user/exchange.js';

/** Largest `POST /info` body accepted. */
export const MAX_INFO_BODY = 64 * 1024;

export interface HttpDeps {
  /** `--workers`: the totals over every worker, asked of the primary. */
  health: () => Health | Promise<Health>;
  info: InfoService;
  /** Default: this process's registry. `--workers`: the primary's merge of every worker's. */
  metrics?: () => Promise<{ contentType: string; text: string }>;
  logger?: Logger;
  /** `POST /exchange`: forwarded to the exchange (`--exchange-url`). */
  exchange?: ExchangeForwarder;
}

export function httpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      deps.logger?.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error');
      else res.destroy();
    });
  };
}

async function route(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const method = req.method ?? 'GET';
  if (path === '/info') {
    res.setHeader('access-control-allow-origin', '*');
    if (method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type');
      return send(res, 204, 'text/plain', '');
    }
    if (method !== 'POST') return notAllowed(res, 'POST');
    const body = await readBody(req, MAX_INFO_BODY);
    if (body === null) return send(res, 413, 'text/plain; charset=utf-8', `request body over ${MAX_INFO_BODY} bytes`);
    let request: unknown;
    try {
      request = JSON.parse(body);
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', `Failed to parse the request body as JSON: ${body.slice(0, 1000)}`);
    }
    const answer = await deps.info.answer(request);
    return send(res, answer.status, answer.contentType, answer.body);
  }
  if (path === '/exchange' && deps.exchange !== undefined) {
    res.setHeader('access-control-allow-origin', '*');
    if (method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type');
      return send(res, 204, 'text/plain', '');
    }
    if (method !== 'POST') return notAllowed(res, 'POST');
    const body = await readBody(req, MAX_EXCHANGE_BODY);
    if (body === null) return send(res, 413, 'text/plain; charset=utf-8', `request body over ${MAX_EXCHANGE_BODY} bytes: not forwarded to the exchange`);
    const answer = await deps.exchange.forward(body);
    return send(res, answer.status, answer.contentType, answer.body);
  }
  if (path === '/health' || path === '/ready') {
    if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET');
    const h = await deps.health();
    const status = path === '/ready' && h.state !== 'ready' ? 503 : 200;
    return send(res, status, 'application/json', JSON.stringify(h));
  }
  if (path === '/metrics') {
    if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET');
    if (deps.metrics !== undefined) {
      const m = await deps.metrics();
      return send(res, 200, m.contentType, m.text);
    }
    return send(res, 200, registry.contentType, await registry.metrics());
  }
  send(res, 404, 'text/plain; charset=utf-8', `not found: ${path}; endpoints: GET /ws (WebSocket), POST /info, POST /exchange, GET /health, GET /ready, GET /metrics`);
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
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
