/**
 * The live page (`GET /`): the files `npm run build` bundles from `src/web/` into
 * `dist/web/`, served as they are with a strict Content-Security-Policy. The page talks only
 * to this server (WebSocket, `/info`, `/health`); nothing else may load, so the policy allows
 * the page's own script and style and connections to its own origin, and nothing more.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codedError } from '../errors.js';

/** `'self'` covers `ws:`/`wss:` to the same host and port (CSP level 3). */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Path → file in the built page's directory, and its content type. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/app.js.map': { file: 'app.js.map', type: 'application/json' },
  '/app.css.map': { file: 'app.css.map', type: 'application/json' },
};

const here = dirname(fileURLToPath(import.meta.url));

/**
 * `dist/web/`: next to `dist/src/server/` when running compiled, or under `dist/` of the
 * project when running from source (tests); null when the page was not built.
 */
export function pageDir(): string | null {
  for (const dir of [join(here, '..', '..', 'web'), join(here, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

/** Whether `path` is one of the page's files (so the caller routes it here). */
export function isPagePath(path: string): boolean {
  return Object.hasOwn(FILES, path);
}

/**
 * Answers `GET`/`HEAD` of a page path (see `isPagePath`). Files are read on each request
 * (a page load is a handful of small files), so a rebuilt page is served at once.
 */
export async function servePage(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  const entry = FILES[path];
  if (entry === undefined) throw codedError('USAGE', `servePage: not a page path: ${path}`);
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' });
    res.end('method not allowed');
    return;
  }
  const dir = pageDir();
  if (dir === null) {
    const text = 'the page is not built: run `npm run build` (it bundles src/web into dist/web)';
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(join(dir, entry.file));
  } catch {
    const text = `not found: ${path} (the built page lacks ${entry.file}: run \`npm run build\`)`;
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, {
    'content-type': entry.type,
    'content-length': body.length,
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
  res.end(method === 'HEAD' ? undefined : body);
}
