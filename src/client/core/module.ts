/**
 * What a module is. Seed 003's two kinds:
 *
 * - an **API module** has a rule (which inbound frames it wants), receives those frames,
 *   and exposes a typed handle (`client.getHandle(Subscriptions)`) whose methods send
 *   commands and return promises or async iterators;
 * - a **lightweight module** has a rule and receives frames but has no handle (keep-alive,
 *   status watch).
 *
 * Both are classes constructed with a `ModuleContext` and their options; the client may
 * construct one again (a restart) when it throws.
 */
import type { Clock } from './clock.js';
import type { InboundFrame, OutboundMessage } from './frame.js';
import type { ClientLogger } from './logger.js';
import type { CloseInfo, OpenInfo, RunnerState } from './runner.js';

/** Which frames a module receives. Called for every frame: keep it cheap. */
export type Rule = (frame: InboundFrame) => boolean;

export interface LightweightModule {
  rule(frame: InboundFrame): boolean;
  onFrame(frame: InboundFrame): void;
  /** A connection opened (first time or again). Re-subscribe, restart timers here. */
  onOpen?(info: OpenInfo): void;
  /** The open connection ended. */
  onClose?(info: CloseInfo): void;
  /** The module is being replaced (restart) or the client closed: release timers, fail waiters. */
  stop?(reason: Error): void;
}

export interface ApiModule<H> extends LightweightModule {
  /** The object users call. Read through a stable proxy, so a restart is invisible to holders. */
  readonly handle: H;
}

/** The constructor of a module, which is also its identity for `getHandle`. */
export interface ModuleClass<M extends LightweightModule = LightweightModule, O = never> {
  new (ctx: ModuleContext, options: O): M;
  /** Names the module in logs and errors. */
  readonly moduleName: string;
  /** API modules this one uses through `ctx.getHandle`; registered with defaults if missing. */
  readonly requires?: readonly ModuleClass<ApiModule<unknown>, never>[];
}

export type ApiModuleClass<H = unknown, O = never> = ModuleClass<ApiModule<H>, O>;

/** The handle type of an API module class. */
export type HandleOf<C> = C extends ModuleClass<infer M, never> ? (M extends ApiModule<infer H> ? H : never) : never;

/** The options type of a module class. */
export type OptionsOf<C> = C extends new (ctx: ModuleContext, options: infer O) => unknown ? O : never;

/** What a module may do: its view of the client. */
export interface ModuleContext {
  readonly moduleName: string;
  readonly clock: Clock;
  readonly logger: ClientLogger;
  /** The runner's state now. */
  readonly state: RunnerState;
  /** Sends through the middleware; throws `DisconnectedError` unless open. */
  send(message: OutboundMessage): void;
  /** Another API module's handle (declare it in `requires`). */
  getHandle<C extends ApiModuleClass<unknown, never>>(module: C): HandleOf<C>;
  /** Drops the connection and reconnects through backoff (the keep-alive's remedy). */
  reconnect(reason: string): void;
  /** Reports a failure found outside `onFrame` (in a timer, a promise): restarts the module by policy. */
  fail(error: unknown): void;
  /** Wraps a callback (timer, listener) so that a throw inside it restarts the module by policy. */
  guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
}
