/**
 * A client on the fake transport and the manual clock, connected: what every module's
 * unit test starts from.
 */
import { ClientBuilder } from '../../../src/client/core/builder.js';
import type { Client } from '../../../src/client/core/client.js';
import type { ClientLogger } from '../../../src/client/core/logger.js';
import { FakeConnector, type FakeSocket } from './fake-connector.js';
import { ManualClock } from './manual-clock.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

export class RecordingLogger implements ClientLogger {
  readonly lines: LogLine[] = [];
  debug(obj: object, msg: string): void {
    this.lines.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: 'error', obj, msg });
  }
  messages(level?: LogLine['level']): string[] {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.msg);
  }
}

export interface Harness {
  client: Client;
  clock: ManualClock;
  connector: FakeConnector;
  socket: FakeSocket;
  logger: RecordingLogger;
  /** Drops the current socket, runs the backoff, accepts the next one; resolves once open. */
  reconnect(): Promise<FakeSocket>;
}

export async function connected(configure: (b: ClientBuilder) => ClientBuilder = (b) => b): Promise<Harness> {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const logger = new RecordingLogger();
  const builder = new ClientBuilder('ws://fake/ws')
    .withConnector(connector)
    .withClock(clock)
    .withLogger(logger)
    .withRandom(() => 0)
    .withReconnectPolicy({ baseMs: 100, maxMs: 1_000, jitter: 0 });
  const client = configure(builder).build();
  const opened = client.connect();
  const socket = await connector.attempt(0);
  socket.accept();
  await opened;
  const h: Harness = {
    client,
    clock,
    connector,
    socket,
    logger,
    reconnect: async () => {
      const n = connector.sockets.length;
      h.socket.drop(1006, 'test drop');
      clock.advance(1_000);
      const next = await connector.attempt(n);
      next.accept();
      await client.whenOpen();
      h.socket = next;
      return next;
    },
  };
  return h;
}

/** `{"channel":"subscriptionResponse",…}` exactly echoing `subscription`. */
export function ack(subscription: object, method: 'subscribe' | 'unsubscribe' = 'subscribe'): object {
  return { channel: 'subscriptionResponse', data: { method, subscription } };
}

/** Resolves when `socket` has sent a message matching `match`, returning it. */
export function sent(socket: FakeSocket, match: Partial<Record<string, unknown>>, from = 0): Promise<Record<string, unknown>> {
  return socket.nextSent((m) => Object.entries(match).every(([k, v]) => JSON.stringify(m[k]) === JSON.stringify(v)), from);
}
