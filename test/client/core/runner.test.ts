import { describe, expect, it } from 'vitest';
import { Runner, type RunnerState } from '../../../src/client/core/runner.js';
import { ClientClosedError, DisconnectedError, TimeoutError } from '../../../src/client/core/errors.js';
import { FakeConnector, flush } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

function setup(policy: Partial<Runner['policy']> = {}, random: () => number = () => 0) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const runner = new Runner({
    url: 'ws://test/ws',
    connector,
    clock,
    random,
    connectTimeoutMs: 5_000,
    policy: { baseMs: 100, maxMs: 1_000, jitter: 0, stablePeriodMs: 10_000, ...policy },
  });
  const states: RunnerState[] = [];
  const delays: number[] = [];
  runner.events.on('state', (s) => states.push(s));
  runner.events.on('backoff', (d) => delays.push(d));
  return { clock, connector, runner, states, delays };
}

/** Resolves when the runner enters `state`. */
function reach(runner: Runner, state: RunnerState): Promise<void> {
  if (runner.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const off = runner.events.on('state', (s) => {
      if (s === state) {
        off();
        resolve();
      }
    });
  });
}

describe('Runner', () => {
  it('walks idle → connecting → open and reports each state', async () => {
    const { connector, runner, states } = setup();
    expect(runner.state).toBe('idle');
    const opened = runner.connect();
    expect(runner.state).toBe('connecting');
    (await connector.attempt(0)).accept();
    await opened;
    expect(states).toEqual(['connecting', 'open']);
  });

  it('backs off exponentially from baseMs, capped at maxMs, and waits exactly that long before each attempt', async () => {
    const { clock, connector, runner, delays } = setup();
    void runner.connect().catch(() => {});
    for (let i = 0; i < 6; i++) {
      const socket = await connector.attempt(i);
      socket.refuse();
      await reach(runner, 'backoff');
      const delay = delays[i] as number;
      clock.advance(delay - 1);
      expect(connector.sockets).toHaveLength(i + 1);
      clock.advance(1);
      expect(connector.sockets).toHaveLength(i + 2);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(runner.failures).toBe(6);
    await runner.close();
  });

  it('removes a random share of up to `jitter` from each delay', async () => {
    const draws = [0.5, 0, 0.999];
    const { clock, connector, runner, delays } = setup({ jitter: 0.5 }, () => draws.shift() ?? 0);
    void runner.connect().catch(() => {});
    for (let i = 0; i < 3; i++) {
      (await connector.attempt(i)).refuse();
      await reach(runner, 'backoff');
      clock.advance(delays[i] as number);
    }
    // 100 × (1 − 0.5 × 0.5), 200 × (1 − 0), 400 × (1 − 0.5 × 0.999)
    expect(delays).toEqual([75, 200, 200]);
    await runner.close();
  });

  it('resets the attempt count when a connection stayed open for the stable period', async () => {
    const { clock, connector, runner, delays } = setup({ stablePeriodMs: 10_000 });
    void runner.connect().catch(() => {});
    (await connector.attempt(0)).refuse();
    await reach(runner, 'backoff');
    clock.advance(100);
    (await connector.attempt(1)).refuse();
    await reach(runner, 'backoff');
    clock.advance(200);
    const third = await connector.attempt(2);
    third.accept();
    await reach(runner, 'open');
    expect(runner.failures).toBe(2);
    clock.advance(10_000);
    third.drop(1006);
    await reach(runner, 'backoff');
    // The stable connection reset the count: this loss is failure 1 again.
    expect(delays).toEqual([100, 200, 100]);
    expect(runner.failures).toBe(1);
    await runner.close();
  });

  it('keeps counting when a connection drops before the stable period', async () => {
    const { clock, connector, runner, delays } = setup({ stablePeriodMs: 10_000 });
    void runner.connect().catch(() => {});
    (await connector.attempt(0)).refuse();
    await reach(runner, 'backoff');
    clock.advance(100);
    const second = await connector.attempt(1);
    second.accept();
    await reach(runner, 'open');
    clock.advance(9_999);
    second.drop(1006);
    await reach(runner, 'backoff');
    expect(delays).toEqual([100, 200]);
    await runner.close();
  });

  it('closes for good after maxAttempts failures in a row and rejects connect()', async () => {
    const { clock, connector, runner, delays, states } = setup({ maxAttempts: 3 });
    const closed = new Promise<Error>((resolve) => runner.events.on('closed', resolve));
    const opened = runner.connect();
    for (let i = 0; i < 3; i++) {
      (await connector.attempt(i)).refuse(`refused ${i}`);
      if (i < 2) {
        await reach(runner, 'backoff');
        clock.advance(delays[i] as number);
      }
    }
    const reason = await closed;
    expect(reason).toBeInstanceOf(ClientClosedError);
    expect(reason.message).toContain('gave up after 3 failed attempts in a row');
    expect(reason.message).toContain('refused 2');
    await expect(opened).rejects.toBeInstanceOf(ClientClosedError);
    expect(runner.state).toBe('closed');
    expect(states.at(-1)).toBe('closed');
    clock.advance(60_000);
    expect(connector.sockets).toHaveLength(3);
    await expect(runner.connect()).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('aborts a half-open attempt on disconnect() and ignores it if it opens later', async () => {
    const { connector, runner } = setup();
    const opened = runner.connect();
    const socket = await connector.attempt(0);
    await runner.disconnect();
    expect(runner.state).toBe('idle');
    expect(socket.signal.aborted).toBe(true);
    await expect(opened).rejects.toBeInstanceOf(DisconnectedError);
    socket.accept();
    await flush();
    expect(runner.state).toBe('idle');
  });

  it('fails an attempt that does not open within connectTimeoutMs, then backs off', async () => {
    const { clock, connector, runner, delays } = setup();
    const failures: Error[] = [];
    runner.events.on('attemptFailed', (e) => failures.push(e));
    void runner.connect().catch(() => {});
    const socket = await connector.attempt(0);
    clock.advance(4_999);
    expect(socket.signal.aborted).toBe(false);
    clock.advance(1);
    expect(socket.signal.aborted).toBe(true);
    await reach(runner, 'backoff');
    expect(failures[0]).toBeInstanceOf(TimeoutError);
    expect(delays).toEqual([100]);
    await runner.close();
  });

  it('stops retrying on close() during backoff', async () => {
    const { clock, connector, runner } = setup();
    void runner.connect().catch(() => {});
    (await connector.attempt(0)).refuse();
    await reach(runner, 'backoff');
    await runner.close();
    clock.advance(60_000);
    expect(connector.sockets).toHaveLength(1);
    expect(runner.state).toBe('closed');
  });

  it('connect() during backoff tries at once', async () => {
    const { connector, runner } = setup();
    void runner.connect().catch(() => {});
    (await connector.attempt(0)).refuse();
    await reach(runner, 'backoff');
    const opened = runner.connect();
    (await connector.attempt(1)).accept();
    await opened;
    expect(runner.state).toBe('open');
  });

  it('reconnect() closes the open socket with 4000 and goes through backoff', async () => {
    const { clock, connector, runner, delays } = setup();
    const closes: { code: number; byClient: boolean }[] = [];
    runner.events.on('connectionClosed', (info) => closes.push(info));
    const opened = runner.connect();
    const first = await connector.attempt(0);
    first.accept();
    await opened;
    runner.reconnect('no pong');
    expect(first.closedByClient).toEqual({ code: 4000, reason: 'no pong' });
    expect(closes).toEqual([{ code: 4000, reason: 'no pong', byClient: true }]);
    expect(runner.state).toBe('backoff');
    clock.advance(delays[0] as number);
    (await connector.attempt(1)).accept();
    await reach(runner, 'open');
  });

  it('delivers messages only from the current connection', async () => {
    const { connector, runner } = setup();
    const texts: string[] = [];
    runner.events.on('message', (t) => texts.push(t));
    const opened = runner.connect();
    const socket = await connector.attempt(0);
    socket.accept();
    await opened;
    socket.receive('{"channel":"pong"}');
    runner.reconnect('test');
    // A late frame from the dropped socket must not be routed.
    (socket as unknown as { events: { onMessage(t: string): void } }).events.onMessage('late');
    expect(texts).toEqual(['{"channel":"pong"}']);
    await runner.close();
  });

  it('refuses sends unless open', async () => {
    const { connector, runner } = setup();
    expect(() => runner.send('x')).toThrow(DisconnectedError);
    const opened = runner.connect();
    const socket = await connector.attempt(0);
    socket.accept();
    await opened;
    runner.send('{"method":"ping"}');
    expect(socket.sent).toEqual(['{"method":"ping"}']);
  });
});
