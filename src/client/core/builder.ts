/**
 * Collects everything a client is made of, then `build()` wires it. Dependencies that a
 * module declares in `requires` are registered with default options when missing.
 *
 *     const client = new ClientBuilder('ws://127.0.0.1:8000/ws')
 *       .withModule(Subscriptions)
 *       .withModule(L4BookTracker)
 *       .withLightweightModule(KeepAlive, { intervalMs: 30_000 })
 *       .withReconnectPolicy({ baseMs: 250 })
 *       .build();
 *     await client.connect();
 */
import type { ReconnectPolicy } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { Client, type ConnectCallback } from './client.js';
import { WebSocketConnector, type Connector } from './connector.js';
import { ModuleError } from './errors.js';
import { consoleLogger, type ClientLogger } from './logger.js';
import { MiddlewareStack, type Middleware } from './middleware.js';
import type { ApiModuleClass, LightweightModule, ModuleClass, OptionsOf } from './module.js';
import { defaultRestartPolicy, type RestartPolicy } from './module-slot.js';
import type { Handler } from './router.js';
import { Runner } from './runner.js';

interface Registration<C> {
  moduleClass: C;
  options: unknown;
}

export class ClientBuilder {
  private readonly api: Registration<ApiModuleClass<unknown, never>>[] = [];
  private readonly lightweight: Registration<ModuleClass<LightweightModule, never>>[] = [];
  private readonly handlers: Handler[] = [];
  private readonly middleware: Middleware[] = [];
  private readonly connectCallbacks: ConnectCallback[] = [];
  private readonly reconnectCallbacks: ConnectCallback[] = [];
  private policy: Partial<ReconnectPolicy> = {};
  private restart: RestartPolicy = defaultRestartPolicy;
  private connector: Connector | undefined;
  private clock: Clock = systemClock;
  private random: () => number = Math.random;
  private logger: ClientLogger = consoleLogger;
  private connectTimeoutMs = 10_000;

  /** `url`: the server's WebSocket endpoint, e.g. `ws://127.0.0.1:8000/ws` or `wss://api.hyperliquid.xyz/ws`. */
  constructor(private readonly url: string) {}

  /** Registers an API module (its handle: `client.getHandle(Module)`). Once per class. */
  withModule<C extends ApiModuleClass<unknown, never>>(module: C, options?: OptionsOf<C>): this {
    if (this.api.some((r) => r.moduleClass === module)) {
      throw new ModuleError(module.moduleName, 'registered twice');
    }
    this.api.push({ moduleClass: module, options });
    return this;
  }

  /** Registers a lightweight module (a rule and a loop, no handle). */
  withLightweightModule<C extends ModuleClass<LightweightModule, never>>(module: C, options?: OptionsOf<C>): this {
    if (this.lightweight.some((r) => r.moduleClass === module)) {
      throw new ModuleError(module.moduleName, 'registered twice');
    }
    this.lightweight.push({ moduleClass: module, options });
    return this;
  }

  /** Registers a handler: called with every inbound frame, after the middleware. */
  withHandler(handler: Handler): this {
    this.handlers.push(handler);
    return this;
  }

  /** Adds a middleware; they run in the order added, both ways. */
  withMiddleware(middleware: Middleware): this {
    this.middleware.push(middleware);
    return this;
  }

  /** Called on every open, the first and each reconnect. */
  onConnect(callback: ConnectCallback): this {
    this.connectCallbacks.push(callback);
    return this;
  }

  /** Called on each open after the first. */
  onReconnect(callback: ConnectCallback): this {
    this.reconnectCallbacks.push(callback);
    return this;
  }

  /** Reconnect policy: `{baseMs, maxMs, jitter, maxAttempts, stablePeriodMs}` (defaults in `ReconnectPolicy`). */
  withReconnectPolicy(policy: Partial<ReconnectPolicy>): this {
    this.policy = { ...this.policy, ...policy };
    return this;
  }

  /** How often a throwing module is rebuilt before it stays stopped. Default 5 per 60 s. */
  withRestartPolicy(policy: Partial<RestartPolicy>): this {
    this.restart = { ...this.restart, ...policy };
    return this;
  }

  /** The socket opener. Default: `WebSocketConnector` (`ws` in Node, global `WebSocket` elsewhere). */
  withConnector(connector: Connector): this {
    this.connector = connector;
    return this;
  }

  /** The time seam. Default: the system clock. */
  withClock(clock: Clock): this {
    this.clock = clock;
    return this;
  }

  /** Random source in [0, 1) for jitter. Default `Math.random`. */
  withRandom(random: () => number): this {
    this.random = random;
    return this;
  }

  /** A pino-compatible logger. Default: warnings and errors to the console. */
  withLogger(logger: ClientLogger): this {
    this.logger = logger;
    return this;
  }

  /** An attempt that has not opened after this many ms fails. Default 10,000. */
  withConnectTimeout(ms: number): this {
    this.connectTimeoutMs = ms;
    return this;
  }

  build(): Client {
    this.addRequirements();
    const runner = new Runner({
      url: this.url,
      connector: this.connector ?? new WebSocketConnector(),
      policy: this.policy,
      clock: this.clock,
      random: this.random,
      connectTimeoutMs: this.connectTimeoutMs,
      logger: this.logger,
    });
    return new Client({
      runner,
      clock: this.clock,
      logger: this.logger,
      middleware: new MiddlewareStack([...this.middleware], this.logger),
      handlers: [...this.handlers],
      lightweight: [...this.lightweight],
      api: [...this.api],
      onConnect: [...this.connectCallbacks],
      onReconnect: [...this.reconnectCallbacks],
      restartPolicy: this.restart,
    });
  }

  /** Registers missing dependencies (depth first), ahead of the modules that need them. */
  private addRequirements(): void {
    const ordered: Registration<ApiModuleClass<unknown, never>>[] = [];
    const seen = new Set<unknown>();
    const visit = (module: ApiModuleClass<unknown, never>, options: unknown, path: string[]): void => {
      if (seen.has(module)) return;
      if (path.includes(module.moduleName)) throw new ModuleError(module.moduleName, `modules require each other: ${[...path, module.moduleName].join(' → ')}`);
      for (const dep of module.requires ?? []) {
        const registered = this.api.find((r) => r.moduleClass === dep);
        visit(dep, registered?.options, [...path, module.moduleName]);
      }
      seen.add(module);
      ordered.push({ moduleClass: module, options });
    };
    for (const r of this.api) visit(r.moduleClass, r.options, []);
    for (const r of this.lightweight) {
      for (const dep of r.moduleClass.requires ?? []) {
        const registered = this.api.find((x) => x.moduleClass === dep);
        visit(dep, registered?.options, [r.moduleClass.moduleName]);
      }
    }
    this.api.splice(0, this.api.length, ...ordered);
  }
}
