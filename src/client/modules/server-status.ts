/**
 * `ServerStatus`: this server's `serverStatus` channel (its `/health` JSON on every state
 * change): the latest status, a `change` event, and `waitFor(state)` for code that must
 * not start before the server is `ready`.
 */
import { asError } from '../core/errors.js';
import type { InboundFrame } from '../core/frame.js';
import { Emitter } from '../core/listeners.js';
import type { ApiModule, ModuleContext } from '../core/module.js';
import { isRecord, type ServerStatusData } from '../protocol.js';
import { Subscriptions, type ActiveSubscription, type SubscribeOptions } from './subscriptions.js';
import { checkFrame, ServerStatusSchema } from '../core/inbound.js';
import { untilEvent } from '../../util/abort.js';

export interface ServerStatusHandle {
  /** Subscribes (once); resolves when acknowledged. */
  watch(options?: SubscribeOptions): Promise<void>;
  /** The latest status, or undefined before the first. */
  readonly latest: ServerStatusData | undefined;
  on(event: 'change', listener: (status: ServerStatusData) => void): () => void;
  /** Resolves with the first status (the latest included) whose `state` is one of `states`. */
  waitFor(states: string | string[], signal?: AbortSignal): Promise<ServerStatusData>;
}

export class ServerStatus implements ApiModule<ServerStatusHandle> {
  static readonly moduleName = 'ServerStatus';
  static readonly requires = [Subscriptions];

  readonly handle: ServerStatusHandle;
  private latest: ServerStatusData | undefined;
  private subscription: Promise<ActiveSubscription> | undefined;
  private readonly events: Emitter<{ change: [status: ServerStatusData] }>;

  constructor(
    private readonly ctx: ModuleContext,
    _options: Record<string, never> = {},
  ) {
    this.events = new Emitter((error) => ctx.logger.error({ err: asError(error) }, 'ServerStatus listener threw'));
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.handle = {
      watch: async (options) => {
        this.subscription ??= ctx.getHandle(Subscriptions).subscribe({ type: 'serverStatus' }, undefined, options);
        try {
          await this.subscription;
        } catch (error) {
          this.subscription = undefined;
          throw error;
        }
      },
      get latest() {
        return self.latest;
      },
      on: (event, listener) => this.events.on(event, listener),
      waitFor: (states, signal) => {
        const wanted = Array.isArray(states) ? states : [states];
        if (this.latest && wanted.includes(this.latest.state)) return Promise.resolve(this.latest);
        return untilEvent<ServerStatusData>(
          (resolve) =>
            this.events.on('change', (status) => {
              if (wanted.includes(status.state)) resolve(status);
            }),
          signal,
        );
      },
    };
  }

  rule(frame: InboundFrame): boolean {
    return frame.channel === 'serverStatus';
  }

  onFrame(frame: InboundFrame): void {
    const checked = checkFrame(ServerStatusSchema, frame);
    if (!checked.ok) {
      const stateless = !isRecord(frame.data) || typeof frame.data.state !== 'string';
      this.ctx.logger.warn(
        { data: frame.data, err: checked.error },
        stateless ? 'serverStatus frame without a state; ignored' : 'malformed serverStatus frame; ignored',
      );
      return;
    }
    this.latest = checked.value;
    this.events.emit('change', this.latest);
  }
}
