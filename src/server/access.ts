/**
 * Access control for a server that leaves localhost: bearer tokens (`--auth-token`) and a
 * per-IP cap on WebSocket connections (`--max-connections-per-ip`).
 *
 * A token is presented as `Authorization: Bearer <token>` or, for browsers and SDKs that
 * cannot set headers on a WebSocket, as `?token=<token>` in the URL. Tokens are compared in
 * constant time: both sides are hashed (SHA-256, so lengths never differ) and compared with
 * `timingSafeEqual` against every configured token, without stopping at the first match.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export class TokenSet {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = [...new Set(tokens)].map(digest);
  }

  /** Are tokens required at all? */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** Does `presented` equal one of the tokens? Always false for a missing one; time independent of which matched. */
  accepts(presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const d = digest(presented);
    let ok = false;
    for (const t of this.digests) ok = timingSafeEqual(t, d) || ok;
    return ok;
  }

  /** No tokens configured, or the request presents one of them. */
  allows(req: IncomingMessage): boolean {
    return !this.enabled || this.accepts(presentedToken(req));
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The token a request presents: `Authorization: Bearer …` first, else `?token=…`. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m !== null) return m[1];
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const token = new URLSearchParams(url.slice(q + 1)).get('token');
  return token === null || token === '' ? undefined : token;
}

/** The request URL without its query (which may hold a token): what may be logged. */
export function loggableUrl(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : `${u.slice(0, q)}?…`;
}

/** Does `host` only accept connections from this machine? */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * What to warn about at start-up, or null: listening beyond loopback without a token, or with a
 * token short enough to guess.
 */
export function exposureWarnings(host: string, tokens: readonly string[]): string[] {
  const out: string[] = [];
  if (!isLoopback(host) && tokens.length === 0) {
    out.push(
      `listening on ${host}, not only on this machine, without --auth-token: anyone who reaches the port can read every book and use /info; set --auth-token (or HL_ORDERBOOK_AUTH_TOKEN, --auth-token-file), or listen on 127.0.0.1`,
    );
  }
  if (tokens.some((t) => t.length < 16))
    out.push('an --auth-token is shorter than 16 characters: easy to guess; use a long random one (e.g. `openssl rand -hex 32`)');
  return out;
}

/** The client's address as counted: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as its IPv4. */
export function clientIp(remoteAddress: string | undefined): string {
  const a = remoteAddress ?? 'unknown';
  return a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** Open connections per IP, bounded by `max` (0: no bound). */
export class ConnectionsPerIp {
  private readonly open = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Take a slot for `ip`; false when it already holds `max`. */
  acquire(ip: string): boolean {
    const n = this.open.get(ip) ?? 0;
    if (this.max > 0 && n >= this.max) return false;
    this.open.set(ip, n + 1);
    return true;
  }

  release(ip: string): void {
    const n = (this.open.get(ip) ?? 0) - 1;
    if (n > 0) this.open.set(ip, n);
    else this.open.delete(ip);
  }

  /** Connections open from `ip`. */
  count(ip: string): number {
    return this.open.get(ip) ?? 0;
  }
}
