/**
 * Owns the connection: an explicit state machine
 *
 *     idle ──connect()──► connecting ──opened──► open
 *       ▲                  │    ▲                  │ lost, or reconnect()
 *       │ disconnect()     │    └──── timer ───────┤
 *       │ (from any)       └──── failed ────► backoff
 *     closed ◄── close() (from any), or maxAttempts failures in a row
 *
 * with one `AbortController` per connection: aborting it cancels a half-open attempt, and
 * every callback of a superseded connection is ignored. Delays come from `backoffDelay`;
 * time comes from the injected `Clock`, so tests drive the runner itself, not a copy of
 * its arithmetic.
 */
import { backoffDelay, reconnectPolicy, type ReconnectPolicy } from './backoff.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import type { Connector, Transport } from './connector.js';
import { asError, ClientClosedError, DisconnectedError, TimeoutError } from './errors.js';
import { Emitter } from './listeners.js';
import { silentLogger, type ClientLogger } from './logger.js';
import { codedError } from '../../errors.js';
import { abortAfter, untilEvent } from '../../util/abort.js';

export type RunnerState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

export interface OpenInfo {
  /** How many times a connection has opened, this one included. */
  opens: number;
  /** Whether a connection had opened before this one. */
  reconnect: boolean;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** Closed by this client (`disconnect`, `close`, `reconnect`) rather than lost. */
  byClient: boolean;
}

export type RunnerEvents = {
  state: [state: RunnerState, previous: RunnerState];
  open: [info: OpenInfo];
  message: [text: string];
  /** An open connection ended. */
  connectionClosed: [info: CloseInfo];
  /** An attempt failed (could not open, or an open connection was lost). */
  attemptFailed: [error: Error, failures: number];
  /** Waiting `delayMs` before the next attempt. */
  backoff: [delayMs: number, failures: number];
  /** Final: the runner will not connect again. */
  closed: [reason: Error];
};

export interface RunnerOptions {
  url: string;
  connector: Connector;
  /** Reconnect policy; see `ReconnectPolicy` for each default. */
  policy?: Partial<ReconnectPolicy>;
  /** Default: the system clock. */
  clock?: Clock;
  /** Random source in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
  /** An attempt that has not opened after this many ms fails. Default 10,000. */
  connectTimeoutMs?: number;
  logger?: ClientLogger;
}

interface Connection {
  readonly controller: AbortController;
  transport?: Transport;
  openedAt?: number;
}

export class Runner {
  readonly url: string;
  readonly policy: ReconnectPolicy;
  readonly events: Emitter<RunnerEvents>;
  private readonly connector: Connector;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly connectTimeoutMs: number;
  private readonly logger: ClientLogger;
  private current: RunnerState = 'idle';
  private failureCount = 0;
  private opens = 0;
  private connection: Connection | undefined;
  private backoffTimer: TimerHandle | undefined;
  private closeReason: Error | undefined;

  constructor(options: RunnerOptions) {
    this.url = options.url;
    this.connector = options.connector;
    this.policy = reconnectPolicy(options.policy);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.logger = options.logger ?? silentLogger;
    this.events = new Emitter<RunnerEvents>((error, event) => this.logger.error({ err: asError(error), event }, 'runner listener threw'));
  }

  get state(): RunnerState {
    return this.current;
  }

  /** Failed attempts in a row since the last stable connection. */
  get failures(): number {
    return this.failureCount;
  }

  /**
   * Starts connecting (at once, also from `backoff`) and resolves when a connection is
   * open; rejects when the runner is closed or disconnected before that.
   */
  connect(): Promise<void> {
    if (this.current === 'closed') return Promise.reject(this.closedError());
    const opened = this.whenOpen();
    if (this.current === 'idle' || this.current === 'backoff') this.attempt();
    return opened;
  }

  /** Resolves at the next `open` (at once if open); rejects on `idle` or `closed`. */
  whenOpen(signal?: AbortSignal): Promise<void> {
    if (this.current === 'open') return Promise.resolve();
    if (this.current === 'closed') return Promise.reject(this.closedError());
    return untilEvent<void>(
      (resolve, reject) =>
        this.events.on('state', (state) => {
          if (state === 'open') resolve();
          else if (state === 'closed') reject(this.closedError());
          else if (state === 'idle') reject(new DisconnectedError('connect', 'disconnect() was called'));
        }),
      signal,
    );
  }

  /** Sends a text frame; throws `DisconnectedError` unless open. */
  send(text: string): void {
    const transport = this.connection?.transport;
    if (this.current !== 'open' || !transport) throw new DisconnectedError('send');
    transport.send(text);
  }

  /**
   * Drops the current connection as if it had been lost (counts as a failure, then
   * backoff): for a keep-alive that saw no pong. No effect unless connecting or open.
   */
  reconnect(reason: string): void {
    if (this.current !== 'open' && this.current !== 'connecting') return;
    const conn = this.connection;
    this.connection = undefined;
    if (conn) void this.endConnection(conn, 4000, reason, new DisconnectedError('reconnect', reason));
    this.failed(codedError('CLIENT_DISCONNECTED', 'reconnecting', reason));
  }

  /** Closes the connection and stays idle until `connect()`. */
  async disconnect(): Promise<void> {
    if (this.current === 'closed' || this.current === 'idle') return;
    await this.stop('idle', 'client disconnect');
  }

  /** Closes for good. Idempotent. */
  async close(reason = 'close() was called'): Promise<void> {
    if (this.current === 'closed') return;
    this.closeReason = new ClientClosedError(reason);
    await this.stop('closed', reason);
    this.events.emit('closed', this.closeReason);
  }

  private closedError(): Error {
    return this.closeReason ?? new ClientClosedError('closed');
  }

  private async stop(to: 'idle' | 'closed', reason: string): Promise<void> {
    this.clearBackoff();
    this.failureCount = 0;
    const conn = this.connection;
    this.connection = undefined;
    this.setState(to);
    if (conn) await this.endConnection(conn, 1000, reason, new DisconnectedError('connect', reason));
  }

  /** Aborts a connection; if it had opened, tells everyone it closed and closes the socket. */
  private endConnection(conn: Connection, code: number, reason: string, abortReason: Error): Promise<void> {
    conn.controller.abort(abortReason);
    const transport = conn.transport;
    if (!transport) return Promise.resolve();
    this.checkStable(conn);
    this.events.emit('connectionClosed', { code, reason, byClient: true });
    return transport.close(code, reason);
  }

  private checkStable(conn: Connection): void {
    if (conn.openedAt !== undefined && this.clock.now() - conn.openedAt >= this.policy.stablePeriodMs) {
      this.failureCount = 0;
    }
  }

  private attempt(): void {
    this.clearBackoff();
    const conn: Connection = { controller: new AbortController() };
    this.connection = conn;
    this.setState('connecting');
    const signal = conn.controller.signal;
    const cancelDeadline = abortAfter(
      conn.controller,
      this.connectTimeoutMs,
      () => new TimeoutError(`connect to ${this.url}`, this.connectTimeoutMs),
      this.clock,
    );
    let opening: Promise<Transport>;
    try {
      opening = this.connector.connect(
        this.url,
        {
          onMessage: (text) => {
            if (this.connection === conn && this.current === 'open') this.events.emit('message', text);
          },
          onClose: (info) => {
            if (this.connection === conn) this.lost(conn, info.code, info.reason);
          },
        },
        signal,
      );
    } catch (error) {
      opening = Promise.reject(error);
    }
    opening.then(
      (transport) => {
        cancelDeadline();
        if (this.connection !== conn || signal.aborted) {
          void transport.close(1000, 'superseded');
          return;
        }
        conn.transport = transport;
        conn.openedAt = this.clock.now();
        this.opens++;
        this.setState('open');
        this.events.emit('open', { opens: this.opens, reconnect: this.opens > 1 });
      },
      (error: unknown) => {
        cancelDeadline();
        if (this.connection !== conn) return;
        this.connection = undefined;
        const err = signal.aborted ? asError(signal.reason) : asError(error);
        this.failed(err);
      },
    );
  }

  private lost(conn: Connection, code: number, reason: string): void {
    this.connection = undefined;
    conn.controller.abort(new DisconnectedError('connection', `lost (${code} ${reason})`));
    this.checkStable(conn);
    this.events.emit('connectionClosed', { code, reason, byClient: false });
    this.failed(codedError('CLIENT_DISCONNECTED', 'connection lost', `code ${code}${reason ? ` (${reason})` : ''}`));
  }

  private failed(error: Error): void {
    this.failureCount++;
    this.logger.warn({ err: error, failures: this.failureCount, url: this.url }, 'connection attempt failed');
    this.events.emit('attemptFailed', error, this.failureCount);
    if (this.current === 'closed' || this.current === 'idle') return;
    if (this.failureCount >= this.policy.maxAttempts) {
      const n = this.failureCount;
      void this.close(`gave up after ${n} failed attempt${n === 1 ? '' : 's'} in a row; last: ${error.message}`);
      return;
    }
    const delay = backoffDelay(this.failureCount, this.policy, this.random);
    this.setState('backoff');
    this.events.emit('backoff', delay, this.failureCount);
    this.backoffTimer = this.clock.setTimeout(() => {
      this.backoffTimer = undefined;
      if (this.current === 'backoff') this.attempt();
    }, delay);
  }

  private clearBackoff(): void {
    if (this.backoffTimer !== undefined) this.clock.clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
  }

  private setState(next: RunnerState): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    this.logger.debug({ state: next, previous, url: this.url }, 'runner state');
    this.events.emit('state', next, previous);
  }
}
