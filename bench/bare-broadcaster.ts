/**
 * The baseline of the fan-out and scale benches, in its own process (forked, driven over IPC):
 * a bare `ws` server that answers `subscribe` with a `subscriptionResponse` and writes recorded
 * frames of our server to the sockets subscribed to their channel and coin, the plain way
 * (`socket.send(text)` per client per frame), at the pace they were recorded at. No book, no
 * views, no outbox: what any WebSocket server must at least do to deliver the same bytes.
 *
 * Each frame's `"time":<ms>` values are stamped with the wall clock when its turn starts
 * (a re-sent block time keeps the stamp it got first, so a client sees it as not newer, as
 * it does from our server): a client's latency (receipt − `time`) is then this server's
 * delivery alone. Our server's latency runs from the block time the node wrote, so it also
 * holds reading, parsing and applying the block: the ratio of the two is what our path adds.
 *
 * It reports its own CPU time since the replay started (`measure`).
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RecordedFrame {
  /** ms from the start of the recording. */
  at: number;
  text: string;
}

export type BroadcasterCommand = { cmd: 'replay'; frames: RecordedFrame[]; loop?: boolean } | { cmd: 'measure' } | { cmd: 'close' };
export type BroadcasterEvent =
  { ev: 'listening'; port: number; pid: number } | { ev: 'connections'; n: number } | { ev: 'replayed'; frames: number } | { ev: 'cpu'; micros: number };

/** `channel:coin` of a frame of ours (`{"channel":"l2Book","data":{"coin":"BTC",…`; trades: `"data":[{"coin":…`). */
export function frameKey(text: string): string {
  const channel = /^\{"channel":"([A-Za-z0-9]+)"/.exec(text)?.[1] ?? '';
  const coin = /"coin":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? '';
  return `${channel}:${coin}`;
}

const TIME = /"time":(\d+)/g;

/** Replaces every block time of `text` with its stamp (the first stamp given to that time). */
export function restamp(text: string, stamps: Map<string, number>, now: number): string {
  return text.replace(TIME, (_m, t: string) => {
    let s = stamps.get(t);
    if (s === undefined) {
      s = now;
      stamps.set(t, s);
    }
    return `"time":${s}`;
  });
}

function main(): void {
  const expected = Number(process.argv[2] ?? '0');
  const subscribers = new Map<string, Set<WebSocket>>();
  let connections = 0;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  let cpuStart: NodeJS.CpuUsage | null = null;
  let stopped = false;
  const send = (e: BroadcasterEvent): void => void process.send!(e);

  wss.on('listening', () => send({ ev: 'listening', port: (wss.address() as AddressInfo).port, pid: process.pid }));
  wss.on('connection', (ws) => {
    const mine: string[] = [];
    connections += 1;
    if (connections === expected) send({ ev: 'connections', n: connections });
    ws.on('message', (data: Buffer) => {
      let m: { method?: string; subscription?: { type?: string; coin?: string } };
      try {
        m = JSON.parse(data.toString('utf8')) as typeof m;
      } catch {
        return;
      }
      if (m.method !== 'subscribe' || m.subscription?.type === undefined) return;
      const key = `${m.subscription.type}:${m.subscription.coin ?? ''}`;
      let set = subscribers.get(key);
      if (set === undefined) subscribers.set(key, (set = new Set()));
      set.add(ws);
      mine.push(key);
      ws.send(JSON.stringify({ channel: 'subscriptionResponse', data: { method: 'subscribe', subscription: m.subscription } }));
    });
    ws.on('close', () => {
      for (const k of mine) subscribers.get(k)?.delete(ws);
    });
    ws.on('error', () => undefined);
  });

  const replay = (frames: RecordedFrame[], loop: boolean): void => {
    const keyed = frames.map((f) => ({ at: f.at, text: f.text, key: frameKey(f.text) }));
    if (keyed.length === 0) return void send({ ev: 'replayed', frames: 0 });
    // A loop restarts one mean frame gap after the recording's last frame.
    const period = keyed.length === 0 ? 0 : keyed[keyed.length - 1]!.at + Math.max(1, keyed[keyed.length - 1]!.at / keyed.length);
    cpuStart = process.cpuUsage();
    let t0 = performance.now();
    let i = 0;
    let stamps = new Map<string, number>();
    const tick = (): void => {
      if (stopped) return;
      const now = performance.now() - t0;
      const wall = Date.now();
      while (i < keyed.length && keyed[i]!.at <= now + 0.5) {
        const f = keyed[i]!;
        const set = subscribers.get(f.key);
        if (set !== undefined && set.size > 0) {
          const text = restamp(f.text, stamps, wall);
          for (const c of set) c.send(text);
        }
        i += 1;
      }
      if (i >= keyed.length) {
        if (!loop) return void send({ ev: 'replayed', frames: keyed.length });
        t0 += period;
        i = 0;
        stamps = new Map();
      }
      setTimeout(tick, Math.max(0, keyed[i]!.at - (performance.now() - t0)));
    };
    tick();
  };

  process.on('message', (m: BroadcasterCommand) => {
    if (m.cmd === 'replay') replay(m.frames, m.loop ?? false);
    else if (m.cmd === 'measure') {
      const d = process.cpuUsage(cpuStart ?? undefined);
      send({ ev: 'cpu', micros: d.user + d.system });
    } else {
      stopped = true;
      for (const c of wss.clients) c.terminate();
      wss.close();
      process.disconnect();
    }
  });
}

// Only as the forked program: the benches import the helpers above.
if (process.send !== undefined && process.argv[1]?.endsWith('bare-broadcaster.js')) main();
