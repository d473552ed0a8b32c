/**
 * `POST /exchange` over HTTP for the info server: bounded body, JSON answers (4xx included,
 * `{"status":"err","response":"…"}` as the public exchange words its refusals).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExchangeReply } from './paper-exchange.js';

/** Larger bodies get a 413 before being read further (a 1,000-order batch is ~150 KB). */
export const MAX_EXCHANGE_BODY = 1 << 20;

export interface ExchangeEndpoint {
  /** `connection`: the request's socket, which keys the exchange's signer hint (one key per keep-alive connection). */
  submit(text: string, connection?: object): Promise<ExchangeReply>;
}

export async function serveExchange(req: IncomingMessage, res: ServerResponse, exchange: ExchangeEndpoint): Promise<void> {
  if (req.method !== 'POST') return send(res, { status: 405, body: { status: 'err', response: `method ${req.method} not allowed on /exchange: use POST` } });
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_EXCHANGE_BODY) {
      send(res, { status: 413, body: { status: 'err', response: `request body over ${MAX_EXCHANGE_BODY} bytes` } });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  }
  send(res, await exchange.submit(Buffer.concat(chunks).toString('utf8'), req.socket));
}

function send(res: ServerResponse, reply: ExchangeReply): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(reply.body));
}
