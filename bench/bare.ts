/**
 * The bare `ws` broadcaster (bare-broadcaster.ts) from a bench: recording our server's frames
 * for it, and running it in a process of its own.
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import type { BroadcasterCommand, BroadcasterEvent, RecordedFrame } from './bare-broadcaster.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Frames our server sends on `subscriptions` (one socket holding them all), with their
 * arrival times, over `ms` after every subscription is answered and `settleMs` more (the
 * answers' initial snapshots are left out).
 */
export async function recordFrames(wsUrl: string, subscriptions: object[], ms: number, settleMs = 1000): Promise<RecordedFrame[]> {
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  const frames: RecordedFrame[] = [];
  let start = -1;
  try {
    await new Promise<void>((resolve, reject) => {
      let pending = subscriptions.length;
      const timer = setTimeout(() => reject(new Error(`recorder: ${pending} of ${subscriptions.length} subscriptions unanswered after 30 s`)), 30_000);
      ws.on('error', reject);
      ws.on('open', () => {
        for (const s of subscriptions) ws.send(JSON.stringify({ method: 'subscribe', subscription: s }));
      });
      ws.on('message', (data: Buffer) => {
        const text = data.toString('utf8');
        if (text.startsWith('{"channel":"subscriptionResponse"')) {
          if (--pending === 0) {
            clearTimeout(timer);
            resolve();
          }
          return;
        }
        if (start >= 0 && !text.startsWith('{"channel":"pong"')) frames.push({ at: performance.now() - start, text });
      });
    });
    await new Promise((r) => setTimeout(r, settleMs));
    start = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    return frames;
  } finally {
    ws.terminate();
  }
}

export interface BareBroadcaster {
  pid: number;
  wsUrl: string;
  /** Its CPU time since the replay started, µs. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the bare broadcaster replaying `frames` in a loop, until stopped. */
export async function startBareBroadcaster(frames: RecordedFrame[]): Promise<BareBroadcaster> {
  const child = fork(join(here, 'bare-broadcaster.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = <K extends BroadcasterEvent['ev']>(ev: K): Promise<Extract<BroadcasterEvent, { ev: K }>> =>
    new Promise((resolve, reject) => {
      const on = (m: BroadcasterEvent): void => {
        if (m.ev !== ev) return;
        child.off('message', on);
        resolve(m as Extract<BroadcasterEvent, { ev: K }>);
      };
      child.on('message', on);
      void exited.then(() => reject(new Error(`bare broadcaster exited before '${ev}'`)));
    });
  const send = (c: BroadcasterCommand): void => void child.send(c);
  const { port, pid } = await next('listening');
  send({ cmd: 'replay', frames, loop: true });
  return {
    pid,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    async cpuMicros() {
      const cpu = next('cpu');
      send({ cmd: 'measure' });
      return (await cpu).micros;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        send({ cmd: 'close' });
        const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(kill);
      }
    },
  };
}
