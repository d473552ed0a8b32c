/**
 * A pool of load-test WebSocket clients in one process: opens them at a bounded rate,
 * subscribes each to its plan, and counts what arrives. Per frame it does the least it
 * can (count, read the channel from the bytes; on sampled frames, read the block time) so
 * that on a small machine the tool measures the server, not itself.
 */
import { EventEmitter } from 'node:events';
import { OPCODE } from './frame-reader.js';
import { scanChannel, scanFrame } from './frame-scan.js';
import { type HistogramData, LatencyHistogram } from './histogram.js';
import { seededRandom } from '../util/rng.js';
import { RawWebSocket } from './raw-ws.js';
import { type Subscription, SubscriptionPlan } from './subscriptions.js';

/** Everything a pool needs, serializable (sent to worker processes as is). */
export interface ClientPoolOptions {
  /** The server's WebSocket URL (checked for loopback by the caller). */
  url: string;
  /** How many clients this pool runs. */
  clients: number;
  /** Global index of this pool's first client, so that `*` coins go round robin across workers. Default 0. */
  firstIndex?: number;
  /** The `--subscribe` list. */
  subscribe: string;
  /** The `--coins` list for `*`. Default none. */
  coins?: string[];
  /** Connections being opened at once during the ramp. Default 200. */
  connectConcurrency?: number;
  /** Latency is read from one frame in this many, per connection. Default 1 (every frame). */
  sampleEvery?: number;
  /**
   * Mean lifetime of a connection, ms: when set, each client closes after a random
   * (exponential) time and reconnects at once, with the same subscriptions. Default 0: never.
   */
  churnMs?: number;
  /** Seed of the churn lifetimes. Default 1. */
  seed?: number;
  /** How long a client waits for its subscription acknowledgements, ms. Default 30000. */
  subscribeTimeoutMs?: number;
  /** Wall clock, ms (a seam for tests; not sent to workers). Default `Date.now`. */
  now?: () => number;
}

/** What the clients counted: connections, acknowledgements and errors; frames and bytes (also the load report's figures). */
export interface ClientCounts {
  /** Connections open now. */
  open: number;
  /** Clients whose every subscription was answered (ack or error), now open. */
  subscribed: number;
  /** Successful opens, reconnects included. */
  connects: number;
  connectFailures: number;
  /** Closes the tool did not ask for (the server closed, or the socket broke). */
  disconnects: number;
  /** Those closes by close code (1006 = broken without a close frame). */
  closeCodes: Record<string, number>;
  /** Closes and reopens done on purpose by churn. */
  churned: number;
  frames: number;
  bytes: number;
  framesByChannel: Record<string, number>;
  acks: number;
  /** `{"channel":"error"}` frames received. */
  errorFrames: number;
  /** Socket errors (refused, reset, handshake failures…). */
  socketErrors: number;
  /** A few error texts, for the report. */
  errorSamples: string[];
}

/**
 * What a pool counted: connections, acknowledgements and errors over the whole run; frames,
 * bytes and latency since `startWindow()`.
 */
export interface PoolStats extends ClientCounts {
  clients: number;
  latency: HistogramData;
  /** CPU time this process used since `startWindow()`, seconds. */
  cpuSeconds: number;
  /** Wall time since `startWindow()`, seconds. */
  windowSeconds: number;
}

const MAX_ERROR_SAMPLES = 5;

/** The text of an error frame (rare, small: parsed whole). */
function errorText(buf: Buffer): string {
  try {
    const m = JSON.parse(buf.toString('utf8')) as { data?: unknown };
    return typeof m.data === 'string' ? m.data.slice(0, 300) : JSON.stringify(m.data).slice(0, 300);
  } catch {
    return buf.toString('utf8', 0, Math.min(buf.length, 300));
  }
}

/** One load client; reopened in place when churning. */
interface LoadClient {
  readonly index: number;
  readonly subscriptions: Subscription[];
  /** Resolves a pending `close()` when this client's socket is gone. */
  onGone: (() => void) | null;
  ws: RawWebSocket | null;
  /** Subscriptions not yet answered on the current connection. */
  pending: number;
  /** Wall time the subscriptions were sent: frames with older block times are snapshots, not live data. */
  subscribedAt: number;
  /** Frames since open, to pick the sampled ones. */
  seen: number;
  /** Newest block time per channel+coin: a frame not newer is a re-send (L2 heartbeat). */
  lastTime: Map<string, number>;
  /** Closed on purpose (churn or stop), so not a disconnect. */
  closingByUs: boolean;
  churnTimer: NodeJS.Timeout | null;
  subscribeTimer: NodeJS.Timeout | null;
  /** Counted once in the initial ramp (answered, failed or timed out). */
  settled: boolean;
}

/** One connection attempt of a client (a client reconnects when churned). */
interface Connection {
  handshaking: boolean;
  /** It counted in `subscribed` (taken back when it closes). */
  wasSubscribed: boolean;
  /** The handshake ended, either way (once). */
  handshakeDone: () => void;
}

export class ClientPool extends EventEmitter {
  private readonly opts: Required<ClientPoolOptions>;
  private readonly plan: SubscriptionPlan;
  private readonly random: () => number;
  private readonly clients: LoadClient[] = [];
  private readonly histogram = new LatencyHistogram();
  private readonly url: URL;
  private stopping = false;
  private waitingOpen = 0;
  private settledInitial = 0;
  private initialDone: (() => void) | null = null;

  private open_ = 0;
  private subscribed_ = 0;
  private connects = 0;
  private connectFailures = 0;
  private disconnects = 0;
  private churned = 0;
  private closeCodes = new Map<number, number>();
  private socketErrors = 0;
  private errorSamples: string[] = [];
  private frames = 0;
  private bytes = 0;
  private byChannel = new Map<string, number>();
  private acks = 0;
  private errorFrames = 0;
  private windowCpu = process.cpuUsage();
  private windowStart = Date.now();

  constructor(options: ClientPoolOptions) {
    super();
    this.opts = {
      firstIndex: 0,
      coins: [],
      connectConcurrency: 200,
      sampleEvery: 1,
      churnMs: 0,
      seed: 1,
      subscribeTimeoutMs: 30_000,
      now: Date.now,
      ...options,
    };
    this.plan = new SubscriptionPlan(this.opts.subscribe, this.opts.coins);
    this.url = new URL(this.opts.url);
    this.random = seededRandom(this.opts.seed + this.opts.firstIndex);
  }

  /**
   * Opens every client (at most `connectConcurrency` handshakes at once) and resolves when
   * each has been answered on all its subscriptions, failed, or timed out.
   */
  async open(): Promise<void> {
    const queue: number[] = [];
    for (let i = 0; i < this.opts.clients; i++) {
      const index = this.opts.firstIndex + i;
      this.clients.push({
        index,
        subscriptions: this.plan.forClient(index),
        ws: null,
        pending: 0,
        subscribedAt: 0,
        seen: 0,
        lastTime: new Map(),
        closingByUs: false,
        churnTimer: null,
        subscribeTimer: null,
        settled: false,
        onGone: null,
      });
      queue.push(i);
    }
    if (queue.length === 0) return;
    await new Promise<void>((resolve) => {
      this.initialDone = resolve;
      const next = (): void => {
        while (!this.stopping && this.waitingOpen < this.opts.connectConcurrency && queue.length > 0) {
          const i = queue.shift() ?? 0;
          const c = this.clients[i];
          if (c) this.connect(c, next);
        }
        if (this.stopping) resolve();
      };
      next();
    });
  }

  /** Starts the measuring window: traffic counters and the latency histogram restart. */
  startWindow(): void {
    this.frames = 0;
    this.bytes = 0;
    this.byChannel.clear();
    this.histogram.reset();
    this.windowCpu = process.cpuUsage();
    this.windowStart = Date.now();
  }

  stats(): PoolStats {
    const cpu = process.cpuUsage(this.windowCpu);
    return {
      clients: this.opts.clients,
      open: this.open_,
      subscribed: this.subscribed_,
      connects: this.connects,
      connectFailures: this.connectFailures,
      disconnects: this.disconnects,
      closeCodes: Object.fromEntries([...this.closeCodes].map(([k, v]) => [String(k), v])),
      churned: this.churned,
      frames: this.frames,
      bytes: this.bytes,
      framesByChannel: Object.fromEntries(this.byChannel),
      acks: this.acks,
      errorFrames: this.errorFrames,
      socketErrors: this.socketErrors,
      errorSamples: [...this.errorSamples],
      latency: this.histogram.toData(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      windowSeconds: (Date.now() - this.windowStart) / 1000,
    };
  }

  /** Closes every client (a close frame, then a hard close after `graceMs`). */
  async close(graceMs = 2000): Promise<void> {
    this.stopping = true;
    this.initialDone?.();
    const closing: Array<Promise<void>> = [];
    for (const c of this.clients) {
      if (c.churnTimer) clearTimeout(c.churnTimer);
      if (c.subscribeTimer) clearTimeout(c.subscribeTimer);
      const ws = c.ws;
      if (!ws || ws.state === 'closed') continue;
      c.closingByUs = true;
      closing.push(new Promise<void>((resolve) => (c.onGone = resolve)));
      ws.close(1000, graceMs);
    }
    await Promise.all(closing);
  }

  private noteError(text: string): void {
    if (this.errorSamples.length < MAX_ERROR_SAMPLES) this.errorSamples.push(text);
  }

  /** The initial ramp counts each client once, when it is answered or has failed. */
  private settleInitial(c: LoadClient): void {
    if (c.settled) return;
    c.settled = true;
    this.settledInitial++;
    if (this.settledInitial >= this.opts.clients) this.initialDone?.();
  }

  private connect(c: LoadClient, onHandshakeDone: () => void): void {
    this.waitingOpen++;
    const conn: Connection = {
      handshaking: true,
      wasSubscribed: false,
      handshakeDone: () => {
        if (!conn.handshaking) return;
        conn.handshaking = false;
        this.waitingOpen--;
        onHandshakeDone();
      },
    };
    c.closingByUs = false;
    c.seen = 0;
    c.lastTime.clear();
    c.pending = c.subscriptions.length;
    const ws: RawWebSocket = new RawWebSocket(
      this.url,
      {
        onOpen: () => this.opened(c, ws, conn),
        onMessage: (opcode, length, prefix) => this.received(c, conn, opcode, length, prefix),
        onError: (err) => {
          this.socketErrors++;
          this.noteError(`client ${c.index}: ${err.message}`);
        },
        onClose: (code, reason, wasOpen) => this.closed(c, ws, conn, code, reason, wasOpen),
      },
      { handshakeTimeoutMs: 15_000 },
    );
    c.ws = ws;
  }

  /** Connected: send every subscription; the ramp waits for their answers (or the timeout). */
  private opened(c: LoadClient, ws: RawWebSocket, conn: Connection): void {
    this.open_++;
    this.connects++;
    conn.handshakeDone();
    c.subscribedAt = this.opts.now();
    for (const s of c.subscriptions) ws.send(JSON.stringify({ method: 'subscribe', subscription: s }));
    if (c.pending === 0) {
      conn.wasSubscribed = true;
      this.markSubscribed(c);
    }
    c.subscribeTimer = setTimeout(() => {
      c.subscribeTimer = null;
      if (c.pending > 0) this.noteError(`client ${c.index}: ${c.pending} subscription(s) unanswered after ${this.opts.subscribeTimeoutMs} ms`);
      this.settleInitial(c);
    }, this.opts.subscribeTimeoutMs);
  }

  /** One frame: counted by channel; answers settle the subscriptions; every `sampleEvery`th data frame is a latency sample. */
  private received(c: LoadClient, conn: Connection, opcode: number, length: number, prefix: Buffer): void {
    this.frames++;
    this.bytes += length;
    if (opcode === OPCODE.binary) {
      this.bump('(binary)');
      return;
    }
    const channel = scanChannel(prefix);
    this.bump(channel);
    if (channel === 'subscriptionResponse' || channel === 'error') {
      if (channel === 'subscriptionResponse') this.acks++;
      else {
        this.errorFrames++;
        if (this.errorSamples.length < MAX_ERROR_SAMPLES) this.noteError(`client ${c.index}: ${errorText(prefix)}`);
      }
      if (c.pending > 0 && --c.pending === 0) {
        conn.wasSubscribed = true;
        this.markSubscribed(c);
      }
      return;
    }
    if (channel === 'pong' || channel === 'post') return;
    if (++c.seen % this.opts.sampleEvery !== 0) return;
    this.sampleLatency(c, channel, prefix);
  }

  /** Closed: a failed connect, our own churn (reconnect), or the server's doing (a disconnect, its code counted). */
  private closed(c: LoadClient, ws: RawWebSocket, conn: Connection, code: number, reason: string, wasOpen: boolean): void {
    if (c.subscribeTimer) {
      clearTimeout(c.subscribeTimer);
      c.subscribeTimer = null;
    }
    if (c.churnTimer) {
      clearTimeout(c.churnTimer);
      c.churnTimer = null;
    }
    if (c.ws === ws) c.ws = null;
    const gone = c.onGone;
    c.onGone = null;
    if (wasOpen) this.open_--;
    if (conn.wasSubscribed) this.subscribed_--;
    if (!wasOpen) {
      this.connectFailures++;
      conn.handshakeDone();
      this.settleInitial(c);
      gone?.();
      return;
    }
    this.settleInitial(c);
    if (c.closingByUs) {
      if (!this.stopping) {
        this.churned++;
        this.connect(c, () => undefined);
      }
      gone?.();
      return;
    }
    this.disconnects++;
    this.closeCodes.set(code, (this.closeCodes.get(code) ?? 0) + 1);
    if (reason && this.errorSamples.length < MAX_ERROR_SAMPLES) this.noteError(`client ${c.index}: closed by the server with ${code} ${reason}`);
    gone?.();
  }

  private markSubscribed(c: LoadClient): void {
    this.subscribed_++;
    if (c.subscribeTimer) {
      clearTimeout(c.subscribeTimer);
      c.subscribeTimer = null;
    }
    this.settleInitial(c);
    if (this.opts.churnMs > 0 && !this.stopping) {
      // Exponential lifetimes: connects and disconnects arrive at random, as from real users.
      const life = -Math.log(1 - this.random()) * this.opts.churnMs;
      c.churnTimer = setTimeout(() => {
        c.churnTimer = null;
        if (this.stopping || !c.ws) return;
        c.closingByUs = true;
        c.ws.close(1000);
      }, life);
    }
  }

  private bump(channel: string): void {
    this.byChannel.set(channel, (this.byChannel.get(channel) ?? 0) + 1);
  }

  private sampleLatency(c: LoadClient, channel: string, buf: Buffer): void {
    const f = scanFrame(buf);
    if (f.time < 0) return;
    const key = channel + '\u0000' + f.coin;
    const last = c.lastTime.get(key);
    if (last !== undefined && f.time <= last) return;
    c.lastTime.set(key, f.time);
    // A block written before we subscribed arrives as the snapshot sent at once: not live.
    if (f.time < c.subscribedAt) return;
    this.histogram.record(this.opts.now() - f.time);
  }
}
