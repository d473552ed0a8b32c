import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { watchHealth } from '../../src/load/health-watch.js';

describe('watching /health back to back', () => {
  it('reports the states in order, when ready came, and the slowest answer', async () => {
    // The watcher's clock is this test's: the server moves it forward while it "works" on a
    // call, so each answer takes exactly the time the script says, whatever the machine's load.
    let clock = 1_000;
    const script: [state: string, tookMs: number][] = [
      ['starting', 5],
      ['starting', 0],
      ['resyncing', 60],
      ['ready', 2],
      ['ready', 0],
    ];
    let call = 0;
    const http = createServer((_req, res) => {
      const [state, tookMs] = script[Math.min(call, script.length - 1)]!;
      call++;
      // The third answer comes 60 ms late, as from a stalled loop.
      clock += tookMs;
      res.end(JSON.stringify({ state }));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/health`;
    const r = await watchHealth({ url, signal: AbortSignal.timeout(20_000), untilReady: true, now: () => clock });
    http.close();
    expect(r.states).toEqual(['starting', 'resyncing', 'ready']);
    expect(r.calls).toBe(4);
    expect(r.failures).toBe(0);
    expect(r.maxResponseMs).toBe(60);
    // Ready came after the four answers' 5 + 0 + 60 + 2 ms, at the watcher's clock.
    expect(r.readyAfterMs).toBe(67);
    expect(r.readyAt).toBe(1_067);
    expect(r.readyAfterMs).toBeGreaterThanOrEqual(r.maxResponseMs);
  });

  it('counts calls to a server not listening yet as failures, and stops on abort', async () => {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    await new Promise<void>((resolve) => http.close(() => resolve()));
    const ac = new AbortController();
    let clockReads = 0;
    const r = await watchHealth({
      url: `http://127.0.0.1:${port}/health`,
      signal: ac.signal,
      retryMs: 1,
      now: () => {
        // The clock is read at the start and once per call: abort on the fourth call.
        if (++clockReads === 5) ac.abort();
        return 0;
      },
    });
    expect(r.readyAfterMs).toBeNull();
    expect(r.failures).toBe(3);
    expect(r.calls).toBe(0);
  });
});
