/**
 * `KeepAlive` (lightweight): sends `{"method":"ping"}` every `intervalMs` while open and
 * expects `{"channel":"pong"}` within `pongTimeoutMs`; when none comes the connection is
 * presumed dead (a half-open TCP connection can stay silent for minutes) and the client
 * reconnects through its backoff. The public API closes a socket that sent nothing for
 * 60 s, so the default interval stays well inside that.
 */
import type { TimerHandle } from '../core/clock.js';
import type { InboundFrame } from '../core/frame.js';
import type { LightweightModule, ModuleContext } from '../core/module.js';
import { codedError } from '../../errors.js';

export interface KeepAliveOptions {
  /** Ping period, ms. Default 30,000. */
  intervalMs?: number;
  /** How long to wait for the pong before reconnecting, ms. Default 10,000. */
  pongTimeoutMs?: number;
}

export class KeepAlive implements LightweightModule {
  static readonly moduleName = 'KeepAlive';

  private readonly intervalMs: number;
  private readonly pongTimeoutMs: number;
  private pingTimer: TimerHandle | undefined;
  private pongTimer: TimerHandle | undefined;

  constructor(
    private readonly ctx: ModuleContext,
    options: KeepAliveOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 30_000;
    this.pongTimeoutMs = options.pongTimeoutMs ?? 10_000;
    if (!(this.intervalMs > 0) || !(this.pongTimeoutMs > 0)) {
      throw codedError('USAGE', `KeepAlive: intervalMs and pongTimeoutMs must be > 0 (got ${this.intervalMs}, ${this.pongTimeoutMs})`);
    }
  }

  rule(frame: InboundFrame): boolean {
    return frame.channel === 'pong';
  }

  onFrame(): void {
    this.clearPong();
  }

  onOpen(): void {
    this.clearAll();
    this.schedulePing();
  }

  onClose(): void {
    this.clearAll();
  }

  stop(): void {
    this.clearAll();
  }

  private schedulePing(): void {
    this.pingTimer = this.ctx.clock.setTimeout(
      this.ctx.guard(() => {
        this.pingTimer = undefined;
        if (this.ctx.state !== 'open') return;
        this.ctx.send({ method: 'ping' });
        if (this.pongTimer === undefined) {
          this.pongTimer = this.ctx.clock.setTimeout(
            this.ctx.guard(() => {
              this.pongTimer = undefined;
              this.ctx.logger.warn({ pongTimeoutMs: this.pongTimeoutMs }, 'no pong in time; reconnecting');
              this.ctx.reconnect(`no pong within ${this.pongTimeoutMs} ms`);
            }),
            this.pongTimeoutMs,
          );
        }
        this.schedulePing();
      }),
      this.intervalMs,
    );
  }

  private clearPong(): void {
    if (this.pongTimer !== undefined) this.ctx.clock.clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }

  private clearAll(): void {
    this.clearPong();
    if (this.pingTimer !== undefined) this.ctx.clock.clearTimeout(this.pingTimer);
    this.pingTimer = undefined;
  }
}
