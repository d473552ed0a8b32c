/**
 * The clients of `bench/fanout.ts`, in their own process (forked, driven over IPC) so that
 * their work is not counted as the server's: N connections with the same subscriptions,
 * latency of every `l2Book` (receipt minus its block `time`), bytes per channel, and the
 * raw frames of one connection (to replay them through a bare broadcaster).
 */
import { WebSocket } from 'ws';

export type ClientsCommand =
  | { cmd: 'connect'; url: string; n: number; subscriptions: object[]; acks: boolean; deflate?: boolean }
  | { cmd: 'window'; open: boolean }
  | { cmd: 'expect'; frames: number }
  | { cmd: 'close' };

export type ClientsEvent =
  | { ev: 'connected'; n: number }
  | { ev: 'window'; latenciesMs: number[]; blockTimes: number[]; frames: { at: number; text: string }[]; bytes: Record<string, number>; windowMs: number }
  | { ev: 'received'; frames: number }
  | { ev: 'error'; message: string };

const TIME = /"time":(\d+)/;
const CHANNEL = /^\{"channel":"([A-Za-z0-9]+)"/;

let sockets: WebSocket[] = [];
let windowOpen = false;
let windowStart = 0;
let latencies: number[] = [];
let blockTimes: number[] = [];
let recorded: { at: number; text: string }[] = [];
let bytes: Record<string, number> = {};
let expectFrames = -1;
let recorderFrames = 0;

function send(e: ClientsEvent): void {
  process.send!(e);
}

function onMessage(index: number, data: Buffer): void {
  const now = Date.now();
  if (index === 0) {
    recorderFrames += 1;
    if (expectFrames >= 0 && recorderFrames >= expectFrames) {
      expectFrames = -1;
      send({ ev: 'received', frames: recorderFrames });
    }
  }
  if (!windowOpen) return;
  // Only the head of the frame is looked at: the clients must stay cheap.
  const head = data.toString('latin1', 0, Math.min(data.length, 120));
  const channel = CHANNEL.exec(head)?.[1] ?? 'other';
  bytes[channel] = (bytes[channel] ?? 0) + data.length;
  if (channel === 'l2Book') {
    const t = TIME.exec(head);
    if (t !== null) {
      latencies.push(now - Number(t[1]));
      blockTimes.push(Number(t[1]));
    }
  }
  if (index === 0) recorded.push({ at: now - windowStart, text: data.toString('utf8') });
}

async function connect(url: string, n: number, subscriptions: object[], acks: boolean, deflate: boolean): Promise<void> {
  const batch = 100;
  for (let i = 0; i < n; i += batch) {
    const opened = [];
    for (let j = i; j < Math.min(n, i + batch); j++) {
      opened.push(
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(url, { perMessageDeflate: deflate, skipUTF8Validation: true });
          sockets[j] = ws;
          let pending = subscriptions.length;
          ws.on('message', (data: Buffer, isBinary) => {
            if (isBinary) return;
            if (pending > 0 && acks && data.toString('latin1', 0, 40).startsWith('{"channel":"subscriptionResponse"')) {
              pending -= 1;
              if (pending === 0) resolve();
              return;
            }
            onMessage(j, data);
          });
          ws.on('open', () => {
            for (const s of subscriptions) ws.send(JSON.stringify({ method: 'subscribe', subscription: s }));
            if (!acks || subscriptions.length === 0) resolve();
          });
          ws.on('error', reject);
        }),
      );
    }
    await Promise.all(opened);
  }
}

process.on('message', (m: ClientsCommand) => {
  switch (m.cmd) {
    case 'connect':
      sockets = [];
      connect(m.url, m.n, m.subscriptions, m.acks, m.deflate ?? false).then(
        () => send({ ev: 'connected', n: sockets.length }),
        (err: unknown) => send({ ev: 'error', message: String(err) }),
      );
      break;
    case 'window':
      if (m.open) {
        windowOpen = true;
        windowStart = Date.now();
        latencies = [];
        blockTimes = [];
        recorded = [];
        bytes = {};
      } else {
        windowOpen = false;
        send({ ev: 'window', latenciesMs: latencies, blockTimes, frames: recorded, bytes, windowMs: Date.now() - windowStart });
      }
      break;
    case 'expect':
      recorderFrames = 0;
      expectFrames = m.frames;
      break;
    case 'close':
      for (const ws of sockets) ws.terminate();
      sockets = [];
      process.disconnect();
      break;
  }
});
