import { describe, expect, it } from 'vitest';
import { ServerStatus } from '../../../src/client/modules/server-status.js';
import { ack, connected, sent } from '../support/harness.js';

const status = (state: string) => ({ state, height: 10, time: 1, lagMs: 0, clients: 1, subscriptions: 1, eventsPerSecond: 0, source: 'simulated' });

describe('ServerStatus', () => {
  it('keeps the latest status and resolves waitFor on the wanted state', async () => {
    const { socket, client } = await connected((b) => b.withModule(ServerStatus));
    const handle = client.getHandle(ServerStatus);
    const watching = handle.watch();
    await sent(socket, { method: 'subscribe', subscription: { type: 'serverStatus' } });
    socket.receive(ack({ type: 'serverStatus' }));
    await watching;
    const ready = handle.waitFor('ready');
    socket.receive({ channel: 'serverStatus', data: status('starting') });
    expect(handle.latest?.state).toBe('starting');
    socket.receive({ channel: 'serverStatus', data: status('ready') });
    expect((await ready).state).toBe('ready');
    await expect(handle.waitFor(['ready', 'degraded'])).resolves.toMatchObject({ state: 'ready' });
  });

  it('ignores a status without a state', async () => {
    const { socket, client, logger } = await connected((b) => b.withModule(ServerStatus));
    socket.receive({ channel: 'serverStatus', data: { height: 1 } });
    expect(client.getHandle(ServerStatus).latest).toBeUndefined();
    expect(logger.messages('warn')).toEqual(['serverStatus frame without a state; ignored']);
  });
});
