/**
 * How this server reaches NATS: one or more URLs (a cluster), and the credentials file and
 * TLS files as the NATS client takes them. Reconnects for ever: a NATS that goes away is
 * waited for, never a reason to stop serving.
 */
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';

export interface NatsConnectOptions {
  /** `nats://host:4222` (several for a cluster). */
  servers: string[];
  /** A `.creds` file (JWT + nkey seed), as `nats` tools take it. */
  credsFile?: string;
  /** TLS: CA to trust, and a client certificate and key when the server asks for one. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** Shown in the server's connection list. */
  name?: string;
  /** Between reconnect attempts, ms. Default 1,000. */
  reconnectTimeWaitMs?: number;
}

/** The client's options: reconnect for ever, and wait for a first connection too. */
export function clientOptions(o: NatsConnectOptions): NodeConnectionOptions {
  const opts: NodeConnectionOptions = {
    servers: o.servers.map((s) => s.replace(/^nats:\/\//, '')),
    name: o.name ?? 'hl-orderbook',
    maxReconnectAttempts: -1,
    reconnectTimeWait: o.reconnectTimeWaitMs ?? 1_000,
    waitOnFirstConnect: true,
    pingInterval: 5_000,
    maxPingOut: 2,
  };
  if (o.credsFile !== undefined) {
    const file = o.credsFile;
    opts.authenticator = credsAuthenticator(() => readFileSync(file));
  }
  if (o.tls !== undefined) opts.tls = { ...o.tls };
  return opts;
}

export function connectNats(o: NatsConnectOptions): Promise<NatsConnection> {
  return connect(clientOptions(o));
}

/** Milliseconds → the nanoseconds JetStream configs take. */
export function nanos(ms: number): number {
  return ms * 1_000_000;
}
