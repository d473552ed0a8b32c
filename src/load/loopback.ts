/**
 * The load tool opens thousands of sockets: it only ever targets this machine, so that it
 * cannot be turned against someone else's server.
 */
import { isIPv4 } from 'node:net';
import { ErrorCodes, HlobError } from '../errors.js';

/** Whether a URL's hostname is a loopback address: 127.0.0.0/8, `localhost` or `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  // IPv4-mapped IPv6 (`::ffff:127.0.0.1`).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped?.[1] !== undefined && isIPv4(mapped[1]) && mapped[1].startsWith('127.');
}

/** Parses the target WebSocket URL; throws unless it is ws(s) on a loopback host. */
export function parseLoopbackWsUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HlobError(ErrorCodes.CONFIG, `--url: not a URL: ${JSON.stringify(url)} (such as ws://127.0.0.1:8000/ws)`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new HlobError(ErrorCodes.CONFIG, `--url: ${JSON.stringify(url)} is not a ws:// or wss:// URL`);
  }
  if (!isLoopbackHost(u.hostname)) {
    throw new HlobError(
      ErrorCodes.CONFIG,
      `--url: refusing host ${u.hostname}: the load tool only targets this machine ` + '(127.0.0.0/8, localhost, ::1), never a server someone else runs',
    );
  }
  return u;
}
