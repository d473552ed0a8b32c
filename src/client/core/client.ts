/**
 * The client users hold: built by `ClientBuilder`, it joins the runner (connection), the
 * router (inbound), the middleware (both ways) and the module slots, and gives out
 * module handles. It owns no protocol knowledge: that lives in the modules.
 */
import type { Clock } from './clock.js';
import { asError, ModuleError } from './errors.js';
import type { OutboundMessage } from './frame.js';
import { Emitter } from './listeners.js';
import type { ClientLogger } from './logger.js';
import type { MiddlewareStack } from './middleware.js';
import type { ApiModuleClass, HandleOf, LightweightModule, ModuleClass } from './module.js';
import { ModuleSlot, type RestartPolicy, type SlotHost } from './module-slot.js';
import { Router, type Handler } from './router.js';
import type { CloseInfo, OpenInfo, Runner, RunnerState } from './runner.js';

export type ConnectCallback = (info: OpenInfo, client: Client) => void;

export type ClientEvents = {
  state: [state: RunnerState, previous: RunnerState];
  open: [info: OpenInfo];
  connectionClosed: [info: CloseInfo];
  backoff: [delayMs: number, failures: number];
  /** Final close. */
  closed: [reason: Error];
  /** A module threw; `restarted` false means it is stopped for good. */
  moduleError: [module: string, error: Error, restarted: boolean];
};

export interface ClientParts {
  runner: Runner;
  clock: Clock;
  logger: ClientLogger;
  middleware: MiddlewareStack;
  handlers: Handler[];
  lightweight: { moduleClass: ModuleClass<LightweightModule, never>; options: unknown }[];
  api: { moduleClass: ApiModuleClass<unknown, never>; options: unknown }[];
  onConnect: ConnectCallback[];
  onReconnect: ConnectCallback[];
  restartPolicy: RestartPolicy;
}

export class Client {
  readonly events: Emitter<ClientEvents>;
  private readonly runner: Runner;
  private readonly logger: ClientLogger;
  private readonly middleware: MiddlewareStack;
  private readonly slots = new Map<ModuleClass<LightweightModule, never>, ModuleSlot>();
  private readonly lightweight: ModuleSlot[] = [];
  private readonly api: ModuleSlot[] = [];
  private readonly router: Router;
  private lastOpen: OpenInfo | undefined;

  constructor(parts: ClientParts) {
    this.runner = parts.runner;
    this.logger = parts.logger;
    this.middleware = parts.middleware;
    this.events = new Emitter<ClientEvents>((error, event) => this.logger.error({ err: asError(error), event }, 'client event listener threw'));
    const host: SlotHost = {
      clock: parts.clock,
      logger: parts.logger,
      restartPolicy: parts.restartPolicy,
      state: () => this.runner.state,
      openInfo: () => (this.runner.state === 'open' ? this.lastOpen : undefined),
      send: (message) => this.send(message),
      reconnect: (reason) => this.runner.reconnect(reason),
      getHandle: (module) => this.getHandle(module),
      moduleFailed: (name, error, restarted) => this.events.emit('moduleError', name, error, restarted),
    };
    for (const { moduleClass, options } of parts.lightweight) {
      const slot = new ModuleSlot(moduleClass, options, host);
      this.slots.set(moduleClass, slot);
      this.lightweight.push(slot);
    }
    for (const { moduleClass, options } of parts.api) {
      const slot = new ModuleSlot(moduleClass, options, host);
      this.slots.set(moduleClass, slot);
      this.api.push(slot);
    }
    this.router = new Router(this.middleware, parts.handlers, this.lightweight, this.api, { send: (m) => this.send(m) }, this.logger);

    const runnerEvents = this.runner.events;
    runnerEvents.on('message', (text) => this.router.route(text));
    runnerEvents.on('state', (state, previous) => this.events.emit('state', state, previous));
    runnerEvents.on('backoff', (delay, failures) => this.events.emit('backoff', delay, failures));
    runnerEvents.on('open', (info) => {
      this.lastOpen = info;
      this.middleware.connected(info);
      for (const slot of this.api) slot.opened(info);
      for (const slot of this.lightweight) slot.opened(info);
      this.callBack(parts.onConnect, info, 'onConnect');
      if (info.reconnect) this.callBack(parts.onReconnect, info, 'onReconnect');
      this.events.emit('open', info);
    });
    runnerEvents.on('connectionClosed', (info) => {
      this.lastOpen = undefined;
      for (const slot of this.lightweight) slot.closed(info);
      for (const slot of this.api) slot.closed(info);
      this.middleware.disconnected(info);
      this.events.emit('connectionClosed', info);
    });
    runnerEvents.on('closed', (reason) => {
      for (const slot of [...this.lightweight, ...this.api]) slot.stop(reason);
      this.events.emit('closed', reason);
    });

    for (const slot of [...this.api, ...this.lightweight]) slot.start();
  }

  get url(): string {
    return this.runner.url;
  }

  get state(): RunnerState {
    return this.runner.state;
  }

  /** Failed attempts in a row since the last stable connection. */
  get failures(): number {
    return this.runner.failures;
  }

  /** Connects (retrying by the reconnect policy); resolves once open. */
  connect(): Promise<void> {
    return this.runner.connect();
  }

  /** Resolves at the next `open` (at once if open). */
  whenOpen(signal?: AbortSignal): Promise<void> {
    return this.runner.whenOpen(signal);
  }

  /** Closes the connection; `connect()` may be called again. Modules keep their state. */
  disconnect(): Promise<void> {
    return this.runner.disconnect();
  }

  /** Closes for good; every module stops and every waiting command fails. */
  close(): Promise<void> {
    return this.runner.close();
  }

  /** Sends a message through the middleware; throws `DisconnectedError` unless open. */
  send(message: OutboundMessage): void {
    const out = this.middleware.send(message);
    if (out === null) return;
    this.runner.send(JSON.stringify(out));
  }

  /** The handle of a registered API module. */
  getHandle<C extends ApiModuleClass<unknown, never>>(module: C): HandleOf<C> {
    const slot = this.slots.get(module);
    if (!slot) {
      throw new ModuleError(module.moduleName, 'not registered: add it with ClientBuilder.withModule');
    }
    return slot.handle<HandleOf<C>>();
  }

  /** Whether a module is registered (API or lightweight). */
  hasModule(module: ModuleClass<LightweightModule, never>): boolean {
    return this.slots.has(module);
  }

  /** Why a module is stopped for good, or undefined while it runs. */
  moduleStopped(module: ModuleClass<LightweightModule, never>): Error | undefined {
    return this.slots.get(module)?.stopped;
  }

  private callBack(callbacks: ConnectCallback[], info: OpenInfo, what: string): void {
    for (const cb of callbacks) {
      try {
        cb(info, this);
      } catch (error) {
        this.logger.error({ err: asError(error) }, `${what} callback threw`);
      }
    }
  }
}
