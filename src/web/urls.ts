/**
 * Where the page's requests go: the server that served it (same origin), with the page's
 * own `?token=` passed on to the WebSocket, `/info` and `/health` (a server that checks
 * tokens lets the page in with the link it was given).
 */

export interface PageLocation {
  protocol: string;
  host: string;
  search: string;
}

export interface Endpoints {
  ws: string;
  info: string;
  health: string;
  /** The page URL's `token`, or null. */
  token: string | null;
}

export function endpoints(location: PageLocation): Endpoints {
  const token = new URLSearchParams(location.search).get('token');
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const secure = location.protocol === 'https:';
  const http = `${secure ? 'https' : 'http'}://${location.host}`;
  return {
    ws: `${secure ? 'wss' : 'ws'}://${location.host}/ws${query}`,
    info: `${http}/info${query}`,
    health: `${http}/health${query}`,
    token,
  };
}
