import { describe, expect, it } from 'vitest';
import { KeepAlive } from '../../../src/client/modules/keep-alive.js';
import { connected } from '../support/harness.js';

const pings = (sent: string[]) => sent.filter((s) => s === '{"method":"ping"}').length;

describe('KeepAlive', () => {
  it('pings every intervalMs while open', async () => {
    const { socket, clock } = await connected((b) => b.withLightweightModule(KeepAlive, { intervalMs: 30_000, pongTimeoutMs: 10_000 }));
    clock.advance(29_999);
    expect(pings(socket.sent)).toBe(0);
    clock.advance(1);
    expect(pings(socket.sent)).toBe(1);
    socket.receive({ channel: 'pong' });
    clock.advance(30_000);
    expect(pings(socket.sent)).toBe(2);
    socket.receive({ channel: 'pong' });
    expect(socket.isOpen).toBe(true);
  });

  it('reconnects when no pong comes within pongTimeoutMs', async () => {
    const h = await connected((b) => b.withLightweightModule(KeepAlive, { intervalMs: 1_000, pongTimeoutMs: 500 }));
    const first = h.socket;
    h.clock.advance(1_000);
    expect(pings(first.sent)).toBe(1);
    h.clock.advance(499);
    expect(first.closedByClient).toBeUndefined();
    h.clock.advance(1);
    expect(first.closedByClient).toEqual({ code: 4000, reason: 'no pong within 500 ms' });
    expect(h.client.state).toBe('backoff');
    expect(h.logger.messages('warn')).toContain('no pong in time; reconnecting');
    h.clock.advance(100);
    const second = await h.connector.attempt(1);
    second.accept();
    await h.client.whenOpen();
    // The keep-alive starts over on the new connection.
    h.clock.advance(1_000);
    expect(pings(second.sent)).toBe(1);
  });

  it('stops pinging while disconnected', async () => {
    const h = await connected((b) => b.withLightweightModule(KeepAlive, { intervalMs: 1_000 }));
    h.socket.drop(1006);
    h.clock.advance(50);
    expect(h.clock.pendingDelays()).toEqual([50]);
  });

  it('refuses a zero interval', async () => {
    const h = await connected((b) => b.withLightweightModule(KeepAlive, { intervalMs: 0 }));
    expect(h.client.moduleStopped(KeepAlive)?.message).toContain('intervalMs and pongTimeoutMs must be > 0');
  });
});
