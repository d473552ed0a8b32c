/**
 * A tiny stand-in server for the load tool's tests: acknowledges subscriptions as
 * protocol.md says, pushes frames with a block `time` on demand, serves a scripted
 * `/metrics`, and records what each client subscribed to.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface TinyConn {
  ws: WebSocket;
  subscriptions: Array<Record<string, unknown>>;
}

export interface TinyServer {
  url: string;
  port: number;
  conns: Set<TinyConn>;
  /** Subscriptions received in total. */
  subscribes(): number;
  /** Every subscription acknowledged, in order, from every connection ever opened. */
  history: Array<Record<string, unknown>>;
  /** Resolves once `n` subscriptions have been acknowledged. */
  waitForSubscribes(n: number): Promise<void>;
  /** Sends `frame(sub)` for every subscription of every client; returns frames sent. */
  push(frame: (sub: Record<string, unknown>) => unknown): number;
  /** CPU seconds `/metrics` reports, request by request (the last one repeats). */
  cpuScript: number[];
  close(): Promise<void>;
}

/** Subscriptions whose `coin` is in `refuse` get an error frame instead of an ack. */
export async function startTinyServer(opts: { refuse?: string[] } = {}): Promise<TinyServer> {
  const http: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      const v = tiny.cpuScript.length > 1 ? tiny.cpuScript.shift() : tiny.cpuScript[0];
      res.end(`# HELP hlob_process_cpu_seconds_total x\nhlob_process_cpu_seconds_total ${v ?? 0}\nhlob_process_resident_memory_bytes 52428800\n`);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  const conns = new Set<TinyConn>();
  let subs = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  wss.on('connection', (ws) => {
    const c: TinyConn = { ws, subscriptions: [] };
    conns.add(c);
    ws.on('close', () => conns.delete(c));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { method: string; subscription: Record<string, unknown> };
      if (m.method !== 'subscribe') return;
      if (opts.refuse?.includes(String(m.subscription.coin))) {
        ws.send(JSON.stringify({ channel: 'error', data: `Invalid subscription ${JSON.stringify(m.subscription)}` }));
      } else {
        c.subscriptions.push(m.subscription);
        tiny.history.push(m.subscription);
        ws.send(JSON.stringify({ channel: 'subscriptionResponse', data: { method: 'subscribe', subscription: m.subscription } }));
      }
      subs++;
      for (const w of waiters.splice(0)) {
        if (subs >= w.n) w.resolve();
        else waiters.push(w);
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const tiny: TinyServer = {
    url: `ws://127.0.0.1:${port}/ws`,
    port,
    conns,
    subscribes: () => subs,
    history: [],
    waitForSubscribes: (n) =>
      new Promise((resolve) => {
        if (subs >= n) resolve();
        else waiters.push({ n, resolve });
      }),
    push(frame) {
      let sent = 0;
      for (const c of conns) {
        for (const s of c.subscriptions) {
          c.ws.send(JSON.stringify({ channel: s.type, data: frame(s) }));
          sent++;
        }
      }
      return sent;
    },
    cpuScript: [0],
    async close() {
      for (const c of conns) c.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  return tiny;
}
