import { describe, expect, it } from 'vitest';
import { ClientBuilder } from '../../../src/client/core/builder.js';
import { ModuleError } from '../../../src/client/core/errors.js';
import type { InboundFrame } from '../../../src/client/core/frame.js';
import type { ApiModule, LightweightModule, ModuleContext } from '../../../src/client/core/module.js';
import { Subscriptions } from '../../../src/client/modules/subscriptions.js';
import { Trades } from '../../../src/client/modules/trades.js';
import { connected } from '../support/harness.js';

const order: string[] = [];

class Recorder implements LightweightModule {
  static readonly moduleName = 'Recorder';
  constructor(
    _ctx: ModuleContext,
    private readonly options: { channel: string } = { channel: 'x' },
  ) {}
  rule(frame: InboundFrame): boolean {
    return frame.channel === this.options.channel;
  }
  onFrame(frame: InboundFrame): void {
    order.push(`lightweight:${frame.channel}`);
  }
}

/** An API module that throws on frames whose data is "boom", counting its instances. */
class Fragile implements ApiModule<{ seen(): string[]; generation: number }> {
  static readonly moduleName = 'Fragile';
  static instances = 0;
  static stops: string[] = [];
  readonly handle;
  private readonly seen: string[] = [];
  constructor(readonly ctx: ModuleContext) {
    const generation = ++Fragile.instances;
    this.handle = { seen: () => this.seen, generation };
  }
  rule(frame: InboundFrame): boolean {
    return frame.channel === 'x';
  }
  onFrame(frame: InboundFrame): void {
    order.push('api:x');
    if (frame.data === 'boom') throw new Error('boom');
    this.seen.push(String(frame.data));
  }
  stop(reason: Error): void {
    Fragile.stops.push(reason.message);
  }
}

describe('Client', () => {
  it('routes in the seed order: middleware, handlers, lightweight modules, API modules', async () => {
    order.length = 0;
    Fragile.instances = 0;
    const h = await connected((b) =>
      b
        .withModule(Fragile)
        .withLightweightModule(Recorder, { channel: 'x' })
        .withHandler((f) => order.push(`handler1:${f.channel}`))
        .withHandler((f) => order.push(`handler2:${f.channel}`))
        .withMiddleware({ name: 'tag', onReceive: (f) => (order.push(`middleware:${f.channel}`), undefined) }),
    );
    h.socket.receive({ channel: 'x', data: 'a' });
    expect(order).toEqual(['middleware:x', 'handler1:x', 'handler2:x', 'lightweight:x', 'api:x']);
    order.length = 0;
    h.socket.receive({ channel: 'y', data: 'a' });
    expect(order).toEqual(['middleware:y', 'handler1:y', 'handler2:y']);
  });

  it('middleware can rewrite or drop frames both ways', async () => {
    Fragile.instances = 0;
    const h = await connected((b) =>
      b.withModule(Fragile).withMiddleware({
        onReceive: (f) => (f.data === 'drop' ? null : f.data === 'rewrite' ? { ...f, data: 'rewritten' } : undefined),
        onSend: (m) => (m.method === 'secret' ? null : { ...m, stamped: true }),
      }),
    );
    h.socket.receive({ channel: 'x', data: 'drop' });
    h.socket.receive({ channel: 'x', data: 'rewrite' });
    expect(h.client.getHandle(Fragile).seen()).toEqual(['rewritten']);
    h.client.send({ method: 'secret' });
    h.client.send({ method: 'ping' });
    expect(h.socket.messages()).toEqual([{ method: 'ping', stamped: true }]);
  });

  it('a middleware that throws is logged and the frame passes on unchanged', async () => {
    Fragile.instances = 0;
    const h = await connected((b) =>
      b.withModule(Fragile).withMiddleware({
        name: 'broken',
        onReceive: () => {
          throw new Error('middleware bug');
        },
      }),
    );
    h.socket.receive({ channel: 'x', data: 'a' });
    expect(h.client.getHandle(Fragile).seen()).toEqual(['a']);
    expect(h.logger.messages('error')).toEqual(['middleware threw; frame passed on unchanged']);
  });

  it('restarts a module that throws, logs it, and the handle reaches the new instance', async () => {
    Fragile.instances = 0;
    Fragile.stops = [];
    const h = await connected((b) => b.withModule(Fragile).withRestartPolicy({ maxRestarts: 2, windowMs: 60_000 }));
    const failures: [string, boolean][] = [];
    h.client.events.on('moduleError', (name, _e, restarted) => failures.push([name, restarted]));
    const handle = h.client.getHandle(Fragile);
    expect(handle.generation).toBe(1);
    h.socket.receive({ channel: 'x', data: 'boom' });
    expect(handle.generation).toBe(2);
    expect(Fragile.stops).toEqual(['boom']);
    h.socket.receive({ channel: 'x', data: 'after' });
    expect(handle.seen()).toEqual(['after']);
    expect(failures).toEqual([['Fragile', true]]);
    expect(h.logger.messages('error')).toEqual(['module threw; restarting it']);
  });

  it('stops a module that throws more than maxRestarts times in the window; the client keeps running', async () => {
    Fragile.instances = 0;
    const h = await connected((b) => b.withModule(Fragile).withModule(Subscriptions).withRestartPolicy({ maxRestarts: 2, windowMs: 60_000 }));
    for (let i = 0; i < 3; i++) h.socket.receive({ channel: 'x', data: 'boom' });
    expect(Fragile.instances).toBe(3);
    expect(() => h.client.getHandle(Fragile).seen()).toThrow(ModuleError);
    expect(h.client.moduleStopped(Fragile)?.message).toContain('stopped after 2 restarts within 60000 ms');
    expect(h.client.state).toBe('open');
    // Other modules still work.
    expect(h.client.getHandle(Subscriptions).list()).toEqual([]);
  });

  it('counts restarts within the window only', async () => {
    Fragile.instances = 0;
    const h = await connected((b) => b.withModule(Fragile).withRestartPolicy({ maxRestarts: 1, windowMs: 1_000 }));
    h.socket.receive({ channel: 'x', data: 'boom' });
    h.clock.advance(1_000);
    h.socket.receive({ channel: 'x', data: 'boom' });
    expect(h.client.moduleStopped(Fragile)).toBeUndefined();
    expect(Fragile.instances).toBe(3);
  });

  it('calls onConnect on every open and onReconnect only after the first', async () => {
    const calls: string[] = [];
    const h = await connected((b) => b.onConnect((info) => calls.push(`connect ${info.opens}`)).onReconnect((info) => calls.push(`reconnect ${info.opens}`)));
    await h.reconnect();
    expect(calls).toEqual(['connect 1', 'connect 2', 'reconnect 2']);
  });

  it('registers required modules and refuses handles of unregistered ones', async () => {
    const client = new ClientBuilder('ws://x').withModule(Trades).build();
    expect(client.hasModule(Subscriptions)).toBe(true);
    expect(() => client.getHandle(Fragile)).toThrow(/module Fragile: not registered/);
    await client.close();
  });

  it('refuses a module registered twice', () => {
    expect(() => new ClientBuilder('ws://x').withModule(Subscriptions).withModule(Subscriptions)).toThrow(/registered twice/);
  });
});
