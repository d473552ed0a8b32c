/**
 * One registered module and its supervision: it builds the instance, offers it frames,
 * and when the instance throws (in its rule, `onFrame`, `onOpen`, a guarded callback, or
 * through `ctx.fail`) logs the error, stops that instance and builds a fresh one, at most
 * `maxRestarts` times per `windowMs`. Past that the module stays stopped (its handle
 * throws `ModuleError`) and the rest of the client carries on.
 */
import type { Clock } from './clock.js';
import { asError, ModuleError } from './errors.js';
import type { InboundFrame, OutboundMessage } from './frame.js';
import type { ClientLogger } from './logger.js';
import type { ApiModule, ApiModuleClass, HandleOf, LightweightModule, ModuleClass, ModuleContext } from './module.js';
import type { CloseInfo, OpenInfo, RunnerState } from './runner.js';

export interface RestartPolicy {
  /** Restarts allowed within `windowMs` before the module is stopped for good. Default 5. */
  maxRestarts: number;
  /** Window over which restarts are counted, ms. Default 60,000. */
  windowMs: number;
}

export const defaultRestartPolicy: RestartPolicy = { maxRestarts: 5, windowMs: 60_000 };

/** What a slot needs from the client. */
export interface SlotHost {
  readonly clock: Clock;
  readonly logger: ClientLogger;
  readonly restartPolicy: RestartPolicy;
  state(): RunnerState;
  /** The open connection's info, or undefined when not open. */
  openInfo(): OpenInfo | undefined;
  send(message: OutboundMessage): void;
  reconnect(reason: string): void;
  getHandle<C extends ApiModuleClass<unknown, never>>(module: C): HandleOf<C>;
  moduleFailed(name: string, error: Error, restarted: boolean): void;
}

export class ModuleSlot<M extends LightweightModule = LightweightModule> {
  readonly name: string;
  private instance: M | undefined;
  private generation = 0;
  private restarts: number[] = [];
  private stoppedWith: Error | undefined;
  private handleProxy: unknown;

  constructor(
    readonly moduleClass: ModuleClass<M, never>,
    private readonly options: unknown,
    private readonly host: SlotHost,
  ) {
    this.name = moduleClass.moduleName;
  }

  get running(): boolean {
    return this.instance !== undefined;
  }

  /** Why the module is stopped for good, if it is. */
  get stopped(): Error | undefined {
    return this.stoppedWith;
  }

  start(): void {
    if (this.instance || this.stoppedWith) return;
    this.build();
  }

  /** Gives `frame` to the module if its rule takes it. */
  offer(frame: InboundFrame): void {
    const instance = this.instance;
    if (!instance) return;
    const generation = this.generation;
    try {
      if (instance.rule(frame)) instance.onFrame(frame);
    } catch (error) {
      this.fail(error, generation);
    }
  }

  opened(info: OpenInfo): void {
    this.call((m) => m.onOpen?.(info));
  }

  closed(info: CloseInfo): void {
    this.call((m) => m.onClose?.(info));
  }

  /** Stops for good (client closed). */
  stop(reason: Error): void {
    const instance = this.instance;
    this.instance = undefined;
    this.generation++;
    this.stoppedWith = reason;
    if (instance) this.safeStop(instance, reason);
  }

  /** A stable handle: forwards to whichever instance is current. */
  handle<H>(): H {
    if (!this.handleProxy) {
      this.handleProxy = new Proxy(
        {},
        {
          get: (_target, prop) => {
            const instance = this.instance as ApiModule<object> | undefined;
            if (!instance) {
              // Let `await handle` and inspection see a plain object rather than throw.
              if (prop === 'then' || typeof prop === 'symbol') return undefined;
              throw this.stoppedWith ?? new ModuleError(this.name, 'not running');
            }
            const target = instance.handle;
            const value: unknown = Reflect.get(target, prop);
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
          has: (_target, prop) => {
            const instance = this.instance as ApiModule<object> | undefined;
            return instance !== undefined && prop in instance.handle;
          },
        },
      );
    }
    return this.handleProxy as H;
  }

  private call(fn: (m: M) => void): void {
    const instance = this.instance;
    if (!instance) return;
    const generation = this.generation;
    try {
      fn(instance);
    } catch (error) {
      this.fail(error, generation);
    }
  }

  private build(): void {
    const generation = ++this.generation;
    const ctx = this.context(generation);
    const Ctor = this.moduleClass as unknown as new (ctx: ModuleContext, options: unknown) => M;
    try {
      this.instance = new Ctor(ctx, this.options);
    } catch (error) {
      // A constructor that throws would throw again: stop at once rather than loop.
      const err = new ModuleError(this.name, `constructor threw: ${asError(error).message}`, { cause: error });
      this.stoppedWith = err;
      this.host.logger.error({ err, module: this.name }, 'module could not start');
      this.host.moduleFailed(this.name, err, false);
      return;
    }
    const info = this.host.openInfo();
    if (info) this.opened(info);
  }

  private fail(error: unknown, generation: number): void {
    if (generation !== this.generation || !this.instance) return;
    const err = asError(error);
    const instance = this.instance;
    this.instance = undefined;
    this.generation++;
    const now = this.host.clock.now();
    const { maxRestarts, windowMs } = this.host.restartPolicy;
    this.restarts = this.restarts.filter((t) => now - t < windowMs);
    const restart = this.restarts.length < maxRestarts;
    this.safeStop(instance, err);
    if (restart) {
      this.restarts.push(now);
      this.host.logger.error({ err, module: this.name, restarts: this.restarts.length }, 'module threw; restarting it');
      this.host.moduleFailed(this.name, err, true);
      this.build();
    } else {
      this.stoppedWith = new ModuleError(this.name, `stopped after ${maxRestarts} restarts within ${windowMs} ms; last error: ${err.message}`, {
        cause: err,
      });
      this.host.logger.error({ err, module: this.name }, 'module threw too often; stopped');
      this.host.moduleFailed(this.name, err, false);
    }
  }

  private safeStop(instance: M, reason: Error): void {
    try {
      instance.stop?.(reason);
    } catch (error) {
      this.host.logger.error({ err: asError(error), module: this.name }, 'module threw while stopping');
    }
  }

  private context(generation: number): ModuleContext {
    const host = this.host;
    const current = (): boolean => generation === this.generation;
    return {
      moduleName: this.name,
      clock: host.clock,
      logger: host.logger,
      get state() {
        return host.state();
      },
      send: (message) => host.send(message),
      getHandle: (module) => host.getHandle(module),
      reconnect: (reason) => {
        if (current()) host.reconnect(reason);
      },
      fail: (error) => this.fail(error, generation),
      guard:
        <A extends unknown[]>(fn: (...args: A) => void) =>
        (...args: A): void => {
          if (!current()) return;
          try {
            fn(...args);
          } catch (error) {
            this.fail(error, generation);
          }
        },
    };
  }
}
