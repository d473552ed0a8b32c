import { afterEach, describe, expect, it } from 'vitest';
import { formatReport, runLoadTest, splitClients } from '../../src/load/load-test.js';
import { type TinyServer, startTinyServer } from './tiny-server.js';

let server: TinyServer | null = null;
let ticker: NodeJS.Timeout | null = null;

afterEach(async () => {
  if (ticker) clearInterval(ticker);
  ticker = null;
  await server?.close();
  server = null;
});

/** Pushes a live block to every subscription every 10 ms, written `ageMs` before it is sent. */
function feed(s: TinyServer, ageMs: number): void {
  ticker = setInterval(() => {
    const time = Date.now() - ageMs;
    s.push((sub) => ({ coin: sub.coin, time, levels: [[], []] }));
  }, 10);
}

describe('runLoadTest', () => {
  it('ramps, measures for the duration, and reports frames, latency and the server CPU per frame from /metrics', async () => {
    server = await startTinyServer();
    server.cpuScript = [10, 12.5];
    // Blocks stamped 0 ms old: anything older than the subscription is not live, so latency >= 0.
    feed(server, 0);
    const progress: string[] = [];
    const r = await runLoadTest({
      url: server.url,
      clients: 12,
      subscribe: 'l2Book:*,bbo:*',
      coins: ['BTC', 'ETH', 'SOL'],
      durationMs: 400,
      workers: 0,
      onProgress: (l) => progress.push(l),
    });
    expect(r).toMatchObject({ clients: 12, workers: 0, subscriptionsPerClient: 2, subscribed: 12, open: 12, acks: 24, errorFrames: 0, disconnects: 0 });
    expect(r.durationSeconds).toBeGreaterThanOrEqual(0.4);
    expect(r.frames).toBeGreaterThan(0);
    expect(r.framesByChannel.l2Book).toBe(r.frames / 2);
    expect(r.latencyMs.samples).toBeGreaterThan(0);
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(r.latencyMs.p99 ?? Infinity);
    expect(r.server).toEqual({
      source: 'metrics',
      cpuSeconds: 2.5,
      cpuPercent: Math.round((2.5 / r.durationSeconds) * 1000) / 10,
      cpuMicrosPerFrame: Math.round(2.5e9 / r.frames) / 1000,
      rssMb: 52.4,
    });
    expect(progress[0]).toMatch(/opening 12 clients \(2 subscriptions each\) from this process/);
    expect(formatReport(r)).toMatch(/latency +p50 \d+ ms, p90 \d+ ms, p99 \d+ ms, max \d+ ms/);
    // Every client is closed when the run ends.
    await expect.poll(() => server?.conns.size).toBe(0);
  });

  it('reads the server CPU from /proc when given its pid', async () => {
    server = await startTinyServer();
    const r = await runLoadTest({ url: server.url, clients: 2, subscribe: 'bbo:BTC', durationMs: 50, workers: 0, serverPid: process.pid });
    expect(r.server?.source).toBe('proc');
    expect(r.server?.rssMb).toBeGreaterThan(1);
    expect(r.latencyMs).toEqual({ samples: 0, p50: null, p90: null, p99: null, max: null });
  });

  it('refuses hosts other than loopback and out-of-bound counts before opening anything', async () => {
    server = await startTinyServer();
    const base = { subscribe: 'bbo:BTC', durationMs: 100, workers: 0 };
    await expect(runLoadTest({ ...base, url: 'ws://192.168.1.1:8000/ws', clients: 1 })).rejects.toThrow(/refusing host 192\.168\.1\.1/);
    await expect(runLoadTest({ ...base, url: server.url, clients: 20_001 })).rejects.toThrow(/--clients: 20001 is not a whole number from 1 to 20000/);
    await expect(runLoadTest({ ...base, url: server.url, clients: 0 })).rejects.toThrow(/--clients/);
    await expect(runLoadTest({ ...base, url: server.url, clients: 1, durationMs: 3 * 3_600_000 })).rejects.toThrow(/--duration/);
    await expect(runLoadTest({ ...base, url: server.url, clients: 1, metricsUrl: 'http://10.0.0.1:9000/metrics' })).rejects.toThrow(
      /refusing host 10\.0\.0\.1/,
    );
    expect(server.subscribes()).toBe(0);
  });

  it('ends the window early on abort and still reports', async () => {
    server = await startTinyServer();
    const ac = new AbortController();
    const started = Date.now();
    const run = runLoadTest({
      url: server.url,
      clients: 1,
      subscribe: 'bbo:BTC',
      durationMs: 60_000,
      workers: 0,
      signal: ac.signal,
      onProgress: (l) => {
        if (l.startsWith('ramp done')) setImmediate(() => ac.abort());
      },
    });
    const r = await run;
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.durationSeconds).toBeLessThan(30);
    expect(r.subscribed).toBe(1);
  });

  it('splits clients over workers as evenly as possible', () => {
    expect(splitClients(10, 3)).toEqual([4, 3, 3]);
    expect(splitClients(2, 4)).toEqual([1, 1, 0, 0]);
  });

  it('measures tail clients apart: opened last, in this process, with the next coins of the round robin', async () => {
    server = await startTinyServer();
    feed(server, 0);
    const r = await runLoadTest({ url: server.url, clients: 4, tailClients: 2, subscribe: 'bbo:*', coins: ['A', 'B', 'C'], durationMs: 300, workers: 0 });
    expect(r.tail).toMatchObject({ clients: 2, subscribed: 2, disconnects: 0, errorFrames: 0 });
    expect(r.tail?.frames).toBeGreaterThan(0);
    expect(r.tail?.latencyMs.samples).toBeGreaterThan(0);
    expect(r.subscribed).toBe(4);
    // Clients 0..3 (A B C A), then the tail's 4 and 5 (B C) once those are all in.
    const coins = server.history.map((s) => String(s.coin));
    expect(coins.slice(0, 4).sort()).toEqual(['A', 'A', 'B', 'C']);
    expect(coins.slice(4).sort()).toEqual(['B', 'C']);
    expect(formatReport(r)).toMatch(/tail +p50 \d+ ms, p99 \d+ ms, max \d+ ms on 2 clients opened last/);
    await expect(runLoadTest({ url: server.url, clients: 1, tailClients: 1001, subscribe: 'bbo:A', durationMs: 10, workers: 0 })).rejects.toThrow(
      /--tail-clients: 1001/,
    );
  });
});
