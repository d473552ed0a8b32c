/**
 * Everything the server sends goes through here: frames are queued per client (the same
 * Buffer for every subscriber of a view) and written once per turn of the event loop: each
 * frame is framed once for everyone, and a client's frames of the turn leave in one write.
 * Unsent output is bounded per client and globally; beyond a bound the client is closed
 * with 1008 and a reason, never waited for.
 */
import type { Logger } from '../util/logger.js';
import { metrics } from '../metrics.js';
import { Turn } from './turn.js';
import { textFrame } from './ws-frame.js';

/** One client as everyone but the outbox sees it: a name and whether it is gone. */
export interface Peer {
  readonly id: number;
  /** Closed or being closed: nothing more is queued to it. */
  readonly closed: boolean;
}

/** What the outbox needs of a `ws` WebSocket (a fake in unit tests). */
export interface ClientSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly CLOSED: number;
  readonly bufferedAmount: number;
  send(data: Buffer, opts: { binary: false; compress: boolean }): void;
  ping(): void;
  close(code: number, reason: string): void;
  terminate(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** What the outbox needs of the connection's TCP socket (it writes pre-framed bytes there). */
export interface ByteSocket {
  cork(): void;
  uncork(): void;
  write(bytes: Buffer): unknown;
}

/** The outbox's own record of a client: only this file reads or writes its fields. */
class Client implements Peer {
  /** Frames queued this turn. */
  queue: Buffer[] = [];
  queuedBytes = 0;
  /** Bytes the socket had not written at the last flush. */
  buffered = 0;
  scheduled = false;
  closed = false;
  backlogged = false;
  constructor(
    readonly id: number,
    readonly ws: ClientSocket,
    readonly socket: ByteSocket,
  ) {}

  /** Queued plus not yet written, as of the last flush. */
  get unsent(): number {
    return this.queuedBytes + this.buffered;
  }
}

/** The outbox's record behind a peer it handed out (every `Peer` comes from `connect`). */
function client(peer: Peer): Client {
  return peer as Client;
}

export interface OutboxOptions {
  /** A client with more unsent bytes is closed with 1008; default 64 MiB. */
  maxClientUnsentBytes?: number;
  /** All clients' unsent bytes; beyond it the clients furthest behind are closed; default 1 GiB. */
  maxTotalUnsentBytes?: number;
  /** A client closed for being slow is destroyed if it has not finished closing after this; default 10 000 ms. */
  dropGraceMs?: number;
  /** permessage-deflate is on (frames are then compressed per client by `ws`); default false. */
  compress?: boolean;
  logger?: Logger;
  /** The per-turn scheduler whose `write` is this outbox's `flush`; default one of its own (flush only, `setImmediate`). */
  turn?: Turn;
  /** Called at the end of each flush (the server's idle-time GC check). */
  afterFlush?: () => void;
}

type DropReason = 'slow_client' | 'server_unsent_bound' | 'timeout' | 'rate_limit' | 'shutdown';

export class Outbox {
  private readonly maxClient: number;
  private readonly maxTotal: number;
  private readonly dropGraceMs: number;
  private readonly sendOpts: { binary: false; compress: boolean };
  private readonly logger: Logger | undefined;
  private readonly turn: Turn;
  private readonly afterFlush: (() => void) | undefined;
  private pending: Client[] = [];
  private readonly backlogged = new Set<Client>();
  private nextId = 0;
  private readonly frameCounters = new Map<string, { inc(n: number): void }>();

  constructor(opts: OutboxOptions = {}) {
    this.maxClient = opts.maxClientUnsentBytes ?? 64 * 1024 * 1024;
    this.maxTotal = opts.maxTotalUnsentBytes ?? 1024 * 1024 * 1024;
    this.dropGraceMs = opts.dropGraceMs ?? 10_000;
    this.sendOpts = { binary: false, compress: opts.compress ?? false };
    this.logger = opts.logger;
    this.turn = opts.turn ?? new Turn({ write: () => this.flush() });
    this.afterFlush = opts.afterFlush;
  }

  /** A new connection: the peer the rest of the server knows it by. */
  connect(ws: ClientSocket, socket: ByteSocket): Peer {
    return new Client(++this.nextId, ws, socket);
  }

  /** Queue one frame to one client. */
  send(peer: Peer, frame: Buffer, channel: string): void {
    const c = client(peer);
    if (c.closed) return;
    this.enqueue(c, frame);
    this.counter(channel).inc(1);
    metrics.bytesSent.inc(frame.length);
    if (c.unsent > this.maxClient) this.dropSlow(c);
  }

  /** Queue the same frame to many clients (the fan-out). */
  sendToAll(peers: Iterable<Peer>, frame: Buffer, channel: string): void {
    let n = 0;
    let over: Client[] | undefined;
    for (const p of peers) {
      const peer = client(p);
      if (peer.closed) continue;
      this.enqueue(peer, frame);
      n += 1;
      if (peer.unsent > this.maxClient) (over ??= []).push(peer);
    }
    if (n > 0) {
      this.counter(channel).inc(n);
      metrics.bytesSent.inc(n * frame.length);
    }
    if (over !== undefined) for (const p of over) this.dropSlow(p);
  }

  /** Bytes queued or not yet written to this client, as of the last flush. */
  unsent(peer: Peer): number {
    return client(peer).unsent;
  }

  private enqueue(peer: Client, frame: Buffer): void {
    peer.queue.push(frame);
    peer.queuedBytes += frame.length;
    if (!peer.scheduled) {
      peer.scheduled = true;
      this.pending.push(peer);
    }
    this.turn.request();
  }

  private counter(channel: string): { inc(n: number): void } {
    let c = this.frameCounters.get(channel);
    if (c === undefined) {
      c = metrics.framesSent.labels(channel);
      this.frameCounters.set(channel, c);
    }
    return c;
  }

  /**
   * Write every queued frame. Without compression the frames are framed once for everyone
   * and a client's frames of this turn leave in one `write` (clients with the same frames
   * share the same bytes); with compression each client's `ws` compresses its own, inside
   * one cork/uncork.
   */
  flush(): void {
    const pending = this.pending;
    this.pending = [];
    const framed = new Map<Buffer, { id: number; bytes: Buffer }>();
    const groups = new Map<string, Buffer>();
    for (const peer of pending) {
      peer.scheduled = false;
      const queue = peer.queue;
      peer.queue = [];
      peer.queuedBytes = 0;
      if (peer.closed) continue;
      const { ws, socket } = peer;
      if (this.sendOpts.compress) {
        socket.cork();
        for (const frame of queue) ws.send(frame, this.sendOpts);
        socket.uncork();
      } else {
        // A socket closing (its close frame sent or received) takes no more data frames.
        if (ws.readyState !== ws.OPEN) continue;
        socket.write(this.bytesFor(queue, framed, groups));
      }
      peer.buffered = ws.bufferedAmount;
      if (peer.buffered > 0 && !peer.backlogged) {
        peer.backlogged = true;
        this.backlogged.add(peer);
      }
    }
    if (this.backlogged.size > 0) this.checkBacklog();
    this.afterFlush?.();
  }

  /** The wire bytes of a queue of payloads: each framed once per flush, equal queues concatenated once. */
  private bytesFor(queue: Buffer[], framed: Map<Buffer, { id: number; bytes: Buffer }>, groups: Map<string, Buffer>): Buffer {
    const frameOf = (payload: Buffer): { id: number; bytes: Buffer } => {
      let f = framed.get(payload);
      if (f === undefined) {
        f = { id: framed.size, bytes: textFrame(payload) };
        framed.set(payload, f);
      }
      return f;
    };
    if (queue.length === 1) return frameOf(queue[0]!).bytes;
    const parts = queue.map(frameOf);
    const key = parts.map((p) => p.id).join(',');
    let bytes = groups.get(key);
    if (bytes === undefined) {
      bytes = Buffer.concat(parts.map((p) => p.bytes));
      groups.set(key, bytes);
    }
    return bytes;
  }

  /** Refresh what the backlogged clients still owe; enforce both bounds. */
  private checkBacklog(): void {
    let total = 0;
    for (const peer of this.backlogged) {
      peer.buffered = peer.closed ? 0 : peer.ws.bufferedAmount;
      if (peer.buffered === 0) {
        peer.backlogged = false;
        this.backlogged.delete(peer);
        continue;
      }
      if (peer.buffered > this.maxClient) {
        this.dropSlow(peer);
        continue;
      }
      total += peer.buffered;
    }
    if (total <= this.maxTotal) return;
    const furthestBehind = [...this.backlogged].sort((a, b) => b.buffered - a.buffered);
    for (const peer of furthestBehind) {
      if (total <= this.maxTotal) break;
      total -= peer.buffered;
      this.drop(
        peer,
        1008,
        `Server output bound exceeded: ${mib(this.maxTotal)} unsent to all clients, ${mib(peer.buffered)} of it to this one`,
        'server_unsent_bound',
      );
    }
  }

  private dropSlow(peer: Client): void {
    this.drop(peer, 1008, `Slow consumer: more than ${mib(this.maxClient)} unsent`, 'slow_client');
  }

  /**
   * Close a client: nothing more is queued to it; the close frame follows what it already
   * has; it is destroyed if it does not finish closing within the grace period.
   */
  drop(p: Peer, code: number, reason: string, kind: DropReason): void {
    const peer = client(p);
    if (peer.closed) return;
    this.markClosed(peer);
    metrics.droppedClients.labels(kind).inc();
    this.logger?.warn({ client: peer.id, code, reason, unsent: peer.buffered }, 'client dropped');
    peer.ws.close(code, reason);
    const timer = setTimeout(() => peer.ws.terminate(), this.dropGraceMs);
    timer.unref();
    peer.ws.once('close', () => clearTimeout(timer));
  }

  /** Destroy at once (a client that stopped answering). */
  terminate(p: Peer, kind: DropReason): void {
    const peer = client(p);
    if (peer.closed) return;
    this.markClosed(peer);
    metrics.droppedClients.labels(kind).inc();
    this.logger?.info({ client: peer.id, kind }, 'client terminated');
    peer.ws.terminate();
  }

  /** The client went away (or is being closed): forget what was queued for it. */
  markClosed(p: Peer): void {
    const peer = client(p);
    peer.closed = true;
    peer.queue = [];
    peer.queuedBytes = 0;
    if (peer.backlogged) {
      peer.backlogged = false;
      this.backlogged.delete(peer);
    }
  }

  /** Keep-alive: ping an open client (its pong is its sign of life). */
  ping(peer: Peer): void {
    const c = client(peer);
    if (!c.closed) c.ws.ping();
  }

  /**
   * Server shutdown: nothing more is queued, the client gets 1001 and is destroyed if it has
   * not finished closing within `graceMs`. Resolves when its socket is closed.
   */
  shutdown(peer: Peer, graceMs = 2000): Promise<void> {
    const { ws } = client(peer);
    return new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve();
      ws.once('close', () => resolve());
      this.markClosed(peer);
      ws.close(1001, 'Server shutting down');
      setTimeout(() => ws.terminate(), graceMs).unref();
    });
  }
}

function mib(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}
