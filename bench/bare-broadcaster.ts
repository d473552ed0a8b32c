/**
 * The baseline of `fanout.send_cost`, in its own process (forked, driven over IPC): a bare
 * `ws` server that writes given frames to every connected socket the plain way
 * (`socket.send(text)` per client per frame), at the pace they were recorded at. It
 * reports its own CPU time over the replay.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type BroadcasterCommand = { cmd: 'replay'; frames: { at: number; text: string }[] } | { cmd: 'measure' } | { cmd: 'close' };
export type BroadcasterEvent = { ev: 'listening'; port: number } | { ev: 'connections'; n: number } | { ev: 'cpu'; micros: number };

const expected = Number(process.argv[2] ?? '0');
const clients: WebSocket[] = [];
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
let cpuStart: NodeJS.CpuUsage | null = null;

function send(e: BroadcasterEvent): void {
  process.send!(e);
}

wss.on('listening', () => send({ ev: 'listening', port: (wss.address() as AddressInfo).port }));
wss.on('connection', (ws) => {
  ws.on('message', () => {});
  clients.push(ws);
  if (clients.length === expected) send({ ev: 'connections', n: clients.length });
});

function replay(frames: { at: number; text: string }[]): void {
  cpuStart = process.cpuUsage();
  const t0 = performance.now();
  let i = 0;
  const tick = (): void => {
    const now = performance.now() - t0;
    while (i < frames.length && frames[i]!.at <= now + 0.5) {
      const text = frames[i]!.text;
      for (const c of clients) c.send(text);
      i += 1;
    }
    if (i < frames.length) setTimeout(tick, Math.max(0, frames[i]!.at - (performance.now() - t0)));
  };
  tick();
}

process.on('message', (m: BroadcasterCommand) => {
  if (m.cmd === 'replay') replay(m.frames);
  else if (m.cmd === 'measure') {
    const d = process.cpuUsage(cpuStart ?? undefined);
    send({ ev: 'cpu', micros: d.user + d.system });
  } else {
    for (const c of clients) c.terminate();
    wss.close();
    process.disconnect();
  }
});
