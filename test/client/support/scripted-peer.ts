/**
 * A scripted peer on 127.0.0.1 (port 0) that speaks Hyperliquid's public WebSocket API.
 *
 * No live capture of the public API is available here, so every frame shape is derived
 * from its documentation (hyperliquid-docs, "Websocket": "Subscriptions", "Post requests",
 * "Timeouts and heartbeats") and from the error texts the reference SDK
 * `@nktkas/hyperliquid` matches (`Invalid subscription …`, `Already subscribed: …`,
 * `Already unsubscribed: …`):
 *
 *   → {"method":"subscribe","subscription":{…}}
 *   ← {"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{…}}}
 *   ← {"channel":"l2Book","data":{"coin","time","levels":[[…],[…]]}} …
 *   → {"method":"ping"}                        ← {"channel":"pong"}
 *   → {"method":"post","id":N,"request":{"type":"info","payload":{…}}}
 *   ← {"channel":"post","data":{"id":N,"response":{"type":"info","payload":{"type","data"}}}}
 *   ← {"channel":"post","data":{"id":N,"response":{"type":"error","payload":"…"}}}
 *   ← {"channel":"error","data":"Invalid subscription {…}"}
 *
 * The documentation says the acknowledgement carries "the original subscription"; this
 * peer echoes `l2Book` subscriptions with `nSigFigs`/`mantissa` filled in (null when not
 * sent), as the public API is reported to do, so that a client that needs a byte-exact
 * echo fails here.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface PeerOptions {
  /** Coins it knows. Default BTC, ETH. */
  coins?: string[];
  /** Extra subscription types it accepts (this server's `l4Book`, `serverStatus`). */
  extraTypes?: string[];
  /** Called after each acknowledged subscribe, to send the first data. */
  onSubscribe?: (subscription: Record<string, unknown>, send: (frame: unknown) => void) => void;
}

interface Conn {
  ws: WebSocket;
  subs: Map<string, Record<string, unknown>>;
}

const KNOWN_TYPES = new Set(['l2Book', 'trades', 'bbo', 'allMids', 'candle', 'orderUpdates', 'userFills']);

function key(sub: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(sub)
      .sort()
      .map((k) => [k, sub[k]]),
  );
}

export class ScriptedPeer {
  /** Every message received, parsed (or the raw text when it is not JSON). */
  readonly received: unknown[] = [];
  /** When true, pings get no pong (a dead-but-open peer). */
  silent = false;
  private readonly server: WebSocketServer;
  private readonly conns = new Set<Conn>();
  private readonly coins: Set<string>;
  private readonly types: Set<string>;
  private readonly onSubscribe: PeerOptions['onSubscribe'];
  private waiters: (() => void)[] = [];

  private constructor(server: WebSocketServer, options: PeerOptions) {
    this.server = server;
    this.coins = new Set(options.coins ?? ['BTC', 'ETH']);
    this.types = new Set([...KNOWN_TYPES, ...(options.extraTypes ?? [])]);
    this.onSubscribe = options.onSubscribe;
    server.on('connection', (ws) => this.accept(ws));
  }

  /** Listens on `port` (default 0: a free one; pass a former peer's port to "restart" it). */
  static async start(options: PeerOptions = {}, port = 0): Promise<ScriptedPeer> {
    const server = new WebSocketServer({ host: '127.0.0.1', port, path: '/ws' });
    await once(server, 'listening');
    return new ScriptedPeer(server, options);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get connections(): number {
    return this.conns.size;
  }

  /** Resolves once a received message satisfies `match` (counting from index `from`). */
  async waitForMessage(match: (m: Record<string, unknown>) => boolean, from = 0): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.received.slice(from).find((m) => typeof m === 'object' && m !== null && match(m as Record<string, unknown>));
      if (found) return found as Record<string, unknown>;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Sends `data` on `channel` to every connection subscribed to a subscription that `match` takes. */
  publish(channel: string, data: unknown, match: (sub: Record<string, unknown>) => boolean = () => true): number {
    let n = 0;
    const text = JSON.stringify({ channel, data });
    for (const c of this.conns) {
      if ([...c.subs.values()].some((s) => s.type === channel && match(s))) {
        c.ws.send(text);
        n++;
      }
    }
    return n;
  }

  /** Drops every connection abruptly (a server restart as the client sees it). */
  dropAll(): void {
    for (const c of this.conns) c.ws.terminate();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(ws: WebSocket): void {
    const conn: Conn = { ws, subs: new Map() };
    this.conns.add(conn);
    ws.on('close', () => this.conns.delete(conn));
    ws.on('message', (raw, isBinary) => {
      const text = String(raw);
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        this.record(text);
        this.send(ws, { channel: 'error', data: `Error parsing JSON into valid websocket request: ${text.slice(0, 1000)}` });
        return;
      }
      this.record(msg);
      if (isBinary) return;
      this.handle(conn, msg as Record<string, unknown>);
    });
  }

  private record(m: unknown): void {
    this.received.push(m);
    for (const w of this.waiters.splice(0)) w();
  }

  private send(ws: WebSocket, frame: unknown): void {
    ws.send(JSON.stringify(frame));
  }

  private handle(conn: Conn, msg: Record<string, unknown>): void {
    const ws = conn.ws;
    switch (msg.method) {
      case 'ping':
        if (!this.silent) this.send(ws, { channel: 'pong' });
        return;
      case 'subscribe':
      case 'unsubscribe': {
        const sub = msg.subscription as Record<string, unknown>;
        const quoted = JSON.stringify(sub);
        const valid =
          typeof sub === 'object' && sub !== null && this.types.has(sub.type as string) && (sub.coin === undefined || this.coins.has(sub.coin as string));
        if (!valid) {
          this.send(ws, { channel: 'error', data: `Invalid subscription ${quoted}` });
          return;
        }
        const k = key(sub);
        if (msg.method === 'subscribe') {
          if (conn.subs.has(k)) {
            this.send(ws, { channel: 'error', data: `Already subscribed: ${quoted}` });
            return;
          }
          conn.subs.set(k, sub);
          const echoed = sub.type === 'l2Book' ? { nSigFigs: null, mantissa: null, ...sub } : sub;
          this.send(ws, { channel: 'subscriptionResponse', data: { method: 'subscribe', subscription: echoed } });
          if (sub.type === 'l2Book') this.send(ws, { channel: 'l2Book', data: this.book(sub.coin as string) });
          this.onSubscribe?.(sub, (frame) => this.send(ws, frame));
        } else {
          if (!conn.subs.delete(k)) {
            this.send(ws, { channel: 'error', data: `Already unsubscribed: ${quoted}` });
            return;
          }
          this.send(ws, { channel: 'subscriptionResponse', data: { method: 'unsubscribe', subscription: sub } });
        }
        return;
      }
      case 'post': {
        const id = msg.id;
        const request = msg.request as { type?: string; payload?: Record<string, unknown> } | undefined;
        const payload = request?.payload;
        if (request?.type === 'info' && payload?.type === 'l2Book' && this.coins.has(payload.coin as string)) {
          this.send(ws, { channel: 'post', data: { id, response: { type: 'info', payload: { type: 'l2Book', data: this.book(payload.coin as string) } } } });
        } else {
          this.send(ws, {
            channel: 'post',
            data: { id, response: { type: 'error', payload: `422 Unprocessable Entity: Failed to deserialize the JSON body` } },
          });
        }
        return;
      }
      default:
        this.send(ws, { channel: 'error', data: `Error parsing JSON into valid websocket request: ${JSON.stringify(msg).slice(0, 1000)}` });
    }
  }

  /** A fixed book, shaped as the documentation's `WsBook`. */
  book(coin: string): unknown {
    return {
      coin,
      time: 1_777_582_003_372,
      levels: [[{ px: '3007.1', sz: '2.7954', n: 1 }], [{ px: '3040.1', sz: '3.9499', n: 1 }]],
    };
  }
}
