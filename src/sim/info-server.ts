/**
 * The node's local info server (`--serve-info`), as much of it as our server needs:
 * `POST /info` with `fileSnapshot` (`l4Snapshots`: writes the snapshot file to `outPath`, then
 * answers 200), `meta` and `spotMeta`. Anything else gets a clear 4xx naming what was asked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isAbsolute } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ErrorCodes, HlobError } from '../errors.js';
import { serveExchange, type ExchangeEndpoint } from './exchange/http.js';

export interface InfoHandlers {
  /** Write the L4 snapshot file to `outPath`; resolves once it is complete. */
  writeL4Snapshot(outPath: string, includeHeight: boolean): Promise<void>;
  /** The `meta` answer; `dex` names a HIP-3 dex (`undefined` or `""` for the main one). */
  meta(dex: string | undefined): unknown;
  spotMeta(): unknown;
  /** The paper exchange behind `POST /exchange` (none: 404). */
  exchange?: ExchangeEndpoint;
  /** Info requests about paper accounts (`clearinghouseState`, `openOrders`…); undefined when not one. */
  accountInfo?(body: Record<string, unknown>): unknown;
}

export interface InfoServer {
  port: number;
  /** `http://127.0.0.1:<port>/info` */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

/** Listen on `host:port` (port 0: a free one). Fails with a coded error if the port is taken. */
export async function startInfoServer(port: number, handlers: InfoHandlers, host = '127.0.0.1'): Promise<InfoServer> {
  const server = createServer((req, res) => {
    void handle(req, res, handlers).catch((err: unknown) => reply(res, 500, `info server error: ${(err as Error).message}`));
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'is in use' : err.code === 'EACCES' ? 'is not allowed' : `cannot be used (${err.code ?? err.message})`;
      reject(new HlobError(ErrorCodes.LISTEN, `info server port ${port} on ${host} ${why}: choose another with --info-port (0 picks a free one)`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://${host}:${actual}/info`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = typeof body === 'string' && status >= 400 ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': status >= 400 ? 'text/plain; charset=utf-8' : 'application/json' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

async function handle(req: IncomingMessage, res: ServerResponse, h: InfoHandlers): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/exchange' && h.exchange) return serveExchange(req, res, h.exchange);
  if (path !== '/info') return reply(res, 404, `not found: ${path}; the info server answers POST /info`);
  if (req.method !== 'POST') return reply(res, 405, `method ${req.method} not allowed on /info: use POST`);
  const text = await readBody(req);
  if (text === undefined) return reply(res, 413, `request body over ${MAX_BODY} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return reply(res, 400, `request body is not JSON: ${text.slice(0, 200)}`);
  }
  if (!isObject(body) || typeof body.type !== 'string') return reply(res, 422, 'request body must be an object with a string "type"');
  const account = h.accountInfo?.(body);
  if (account !== undefined) return reply(res, 200, account);
  switch (body.type) {
    case 'meta':
      if (body.dex !== undefined && typeof body.dex !== 'string') return reply(res, 422, 'meta: "dex" must be a string');
      return reply(res, 200, h.meta(body.dex as string | undefined));
    case 'spotMeta':
      return reply(res, 200, h.spotMeta());
    case 'fileSnapshot': {
      const inner = body.request;
      if (!isObject(inner) || inner.type !== 'l4Snapshots') {
        return reply(res, 422, `fileSnapshot: unsupported request ${JSON.stringify(inner)}: this simulated node writes only {"type":"l4Snapshots",…}`);
      }
      const outPath = body.outPath;
      if (typeof outPath !== 'string' || !isAbsolute(outPath)) return reply(res, 422, `fileSnapshot: "outPath" must be an absolute path, got ${JSON.stringify(outPath)}`);
      const includeHeight = body.includeHeightInOutput === true;
      try {
        await h.writeL4Snapshot(outPath, includeHeight);
      } catch (err) {
        return reply(res, 500, `fileSnapshot: cannot write ${outPath}: ${(err as Error).message}`);
      }
      return reply(res, 200, null);
    }
    default:
      return reply(res, 422, `unsupported info request type ${JSON.stringify(body.type)}: this simulated node answers fileSnapshot (l4Snapshots), meta and spotMeta`);
  }
}
