import { describe, expect, it } from 'vitest';
import { metricValue, metricsUrlFor, parseMetrics, parseProcStat, procProbe } from '../../src/load/server-probe.js';

describe("reading the server's CPU and memory", () => {
  it('parses /proc/<pid>/stat counting fields after the last parenthesis', () => {
    // comm "(a) b)" holds spaces and parentheses; utime 250, stime 50 ticks, rss 1000 pages.
    const fields = ['S', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '250', '50', '0', '0', '20', '0', '4', '0', '99', '123456', '1000'];
    const s = parseProcStat(`4242 ((a) b)) ${fields.join(' ')} 0 0\n`);
    expect(s).toEqual({ cpuSeconds: 3, rssBytes: 1000 * 4096 });
    expect(() => parseProcStat('garbage')).toThrow(/not a \/proc/);
  });

  it('reads this process from /proc, and null for a pid that does not exist', async () => {
    const mine = await procProbe(process.pid).sample();
    expect(mine?.cpuSeconds).toBeGreaterThan(0);
    expect(mine?.rssBytes).toBeGreaterThan(1e6);
    expect(await procProbe(2 ** 22 + 1).sample()).toBeNull();
  });

  it('reads the process metrics from Prometheus text', () => {
    const text = '# HELP x\nhlob_process_cpu_seconds_total_x 9\nhlob_process_cpu_seconds_total 12.5\nhlob_process_resident_memory_bytes 1.5e8\n';
    expect(metricValue(text, 'hlob_process_cpu_seconds_total')).toBe(12.5);
    expect(parseMetrics(text)).toEqual({ cpuSeconds: 12.5, rssBytes: 1.5e8 });
    expect(parseMetrics('nothing 1\n')).toBeNull();
    // What the server exports (prom-client's default names after our prefix).
    expect(parseMetrics('hlob_process_process_cpu_seconds_total 3.5\nhlob_process_process_resident_memory_bytes 2e8\n')).toEqual({
      cpuSeconds: 3.5,
      rssBytes: 2e8,
    });
  });

  it("finds /metrics on the WebSocket URL's host and port", () => {
    expect(metricsUrlFor(new URL('ws://127.0.0.1:8000/ws?x=1'))).toBe('http://127.0.0.1:8000/metrics');
    expect(metricsUrlFor(new URL('wss://localhost/ws'))).toBe('https://localhost/metrics');
  });
});
