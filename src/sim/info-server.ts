/**
 * The node's local info server (`--serve-info`), as much of it as our server and the usual
 * clients need: `POST /info` with `fileSnapshot` (`l4Snapshots`: writes the snapshot file to
 * `outPath`, then answers 200), `meta` and `spotMeta`, and (when the handlers give a live
 * market) every public type clients ask at start-up: `metaAndAssetCtxs`, `spotMetaAndAssetCtxs`,
 * `perpDexs`, `allPerpMetas`, `exchangeStatus`. Anything else gets a clear 4xx naming what was
 * asked and what is answered.
 *
 * Routing is two tables, so that a new path (`/exchange`) or a new info type is one entry:
 * `ROUTES` by path, `infoTypes()` by request type.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isAbsolute } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ErrorCodes, HlobError } from '../errors.js';
import {
  allPerpMetasResponse,
  exchangeStatusResponse,
  metaAndAssetCtxsResponse,
  perpDexsResponse,
  spotMetaAndAssetCtxsResponse,
  type MarketView,
} from './public-info.js';
import { serveExchange, type ExchangeEndpoint } from './exchange/http.js';

export interface InfoHandlers {
  /** Write the L4 snapshot file to `outPath`; resolves once it is complete. */
  writeL4Snapshot(outPath: string, includeHeight: boolean): Promise<void>;
  /** The `meta` answer; `dex` names a HIP-3 dex (`undefined` or `""` for the main one). */
  meta(dex: string | undefined): unknown;
  spotMeta(): unknown;
  /** A live market (the simulator's): asset contexts and the other public start-up types. Absent for a replay. */
  market?: MarketView;
  /** The paper exchange behind `POST /exchange` (none: 404). */
  exchange?: ExchangeEndpoint;
  /** Info requests about paper accounts (`clearinghouseState`, `openOrders`…); undefined when not one. */
  accountInfo?(body: Record<string, unknown>): unknown;
  /** The `perpDexs` answer where there is no live market (a replay): `null` for the main dex, then each HIP-3 dex. */
  perpDexs?(): unknown;
}

/** The request body, an object with a string `type`. */
type InfoRequest = Record<string, unknown> & { type: string };
/** An answer: the JSON to send with 200, or an error status and its text. */
type InfoReply = { json: unknown } | { status: number; text: string };
type InfoType = (body: InfoRequest, h: InfoHandlers) => InfoReply | Promise<InfoReply>;

function dexOf(body: InfoRequest): { dex: string | undefined } | { status: number; text: string } {
  if (body.dex !== undefined && body.dex !== null && typeof body.dex !== 'string') return { status: 422, text: `${body.type}: "dex" must be a string` };
  return { dex: (body.dex as string | null | undefined) ?? undefined };
}

/** The info types answered, by `type`; the market ones only with a live market. */
function infoTypes(h: InfoHandlers): Record<string, InfoType> {
  const types: Record<string, InfoType> = {
    fileSnapshot: fileSnapshot,
    meta: (body) => {
      const d = dexOf(body);
      return 'dex' in d ? { json: h.meta(d.dex) } : d;
    },
    spotMeta: () => ({ json: h.spotMeta() }),
  };
  const dexes = h.perpDexs;
  if (dexes !== undefined) types.perpDexs = () => ({ json: dexes() });
  const m = h.market;
  if (m !== undefined) {
    types.metaAndAssetCtxs = (body) => {
      const d = dexOf(body);
      return 'dex' in d ? { json: metaAndAssetCtxsResponse(m, d.dex) } : d;
    };
    types.spotMetaAndAssetCtxs = () => ({ json: spotMetaAndAssetCtxsResponse(m) });
    types.perpDexs = () => ({ json: perpDexsResponse(m.coins) });
    types.allPerpMetas = () => ({ json: allPerpMetasResponse(m.coins) });
    types.exchangeStatus = () => ({ json: exchangeStatusResponse(m) });
  }
  return types;
}

async function fileSnapshot(body: InfoRequest, h: InfoHandlers): Promise<InfoReply> {
  const inner = body.request;
  if (!isObject(inner) || inner.type !== 'l4Snapshots') {
    return { status: 422, text: `fileSnapshot: unsupported request ${JSON.stringify(inner)}: this simulated node writes only {"type":"l4Snapshots",…}` };
  }
  const outPath = body.outPath;
  if (typeof outPath !== 'string' || !isAbsolute(outPath))
    return { status: 422, text: `fileSnapshot: "outPath" must be an absolute path, got ${JSON.stringify(outPath)}` };
  try {
    await h.writeL4Snapshot(outPath, body.includeHeightInOutput === true);
  } catch (err) {
    return { status: 500, text: `fileSnapshot: cannot write ${outPath}: ${(err as Error).message}` };
  }
  return { json: null };
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
  const types = infoTypes(handlers);
  const server = createServer((req, res) => {
    void handle(req, res, handlers, types).catch((err: unknown) => reply(res, 500, `info server error: ${(err as Error).message}`));
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'is in use' : err.code === 'EACCES' ? 'is not allowed' : `cannot be used (${err.code ?? err.message})`;
      reject(
        new HlobError(ErrorCodes.LISTEN, `info server port ${port} on ${host} ${why}: choose another with --info-port (0 picks a free one)`, { cause: err }),
      );
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

type Route = (req: IncomingMessage, res: ServerResponse, h: InfoHandlers, types: Record<string, InfoType>) => Promise<void>;

/** The paths served, by path. */
const ROUTES: Record<string, Route> = {
  '/info': handleInfo,
  '/exchange': async (req, res, h) => {
    if (h.exchange) return serveExchange(req, res, h.exchange);
    reply(res, 404, 'not found: /exchange; this info server has no paper exchange');
  },
};

async function handle(req: IncomingMessage, res: ServerResponse, h: InfoHandlers, types: Record<string, InfoType>): Promise<void> {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (route === undefined) return reply(res, 404, `not found: ${path}; the info server answers POST ${Object.keys(ROUTES).join(', POST ')}`);
  return route(req, res, h, types);
}

async function handleInfo(req: IncomingMessage, res: ServerResponse, h: InfoHandlers, types: Record<string, InfoType>): Promise<void> {
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
  const request = body as InfoRequest;
  const answer = Object.hasOwn(types, request.type) ? types[request.type] : undefined;
  if (answer === undefined) {
    return reply(res, 422, `unsupported info request type ${JSON.stringify(request.type)}: this simulated node answers ${Object.keys(types).join(', ')}`);
  }
  const r = await answer(request, h);
  if ('json' in r) return reply(res, 200, r.json);
  return reply(res, r.status, r.text);
}
