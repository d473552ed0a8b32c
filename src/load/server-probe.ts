/**
 * The server's own CPU time and resident memory, read before and after the measuring
 * window so that the load report can say what one delivered frame cost the server.
 * Two sources: `/proc/<pid>/stat` (`--server-pid`, exact and free), or the server's
 * Prometheus `/metrics` (`hlob_process_cpu_seconds_total`, `hlob_process_resident_memory_bytes`).
 */
import { readFile } from 'node:fs/promises';
import { ErrorCodes, HlobError } from '../errors.js';

export interface ServerSample {
  cpuSeconds: number;
  rssBytes: number | null;
}

/** Linux's USER_HZ: /proc times are in these ticks (100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/**
 * Parses `/proc/<pid>/stat`: utime and stime are fields 14 and 15, rss (pages) field 24.
 * The command name (field 2) is in parentheses and may hold spaces or parentheses, so the
 * fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ServerSample {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new HlobError(ErrorCodes.CONFIG, `not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  // After ") ": field 3 (state) is index 0.
  const f = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(f[14 - 3]);
  const stime = Number(f[15 - 3]);
  const rssPages = Number(f[24 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new HlobError(ErrorCodes.CONFIG, `/proc stat without utime/stime: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return {
    cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND,
    rssBytes: Number.isFinite(rssPages) ? rssPages * PAGE_BYTES : null,
  };
}

/** Reads one metric's value (no labels) from Prometheus text, or null. */
export function metricValue(text: string, name: string): number | null {
  const re = new RegExp(`^${name}(?:\\{\\})?\\s+([-+0-9.eE]+|NaN)\\s*$`, 'm');
  const m = re.exec(text);
  if (!m?.[1]) return null;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : null;
}

export function parseMetrics(text: string): ServerSample | null {
  // prom-client's default metrics keep their own `process_` after our prefix: the server
  // exports `hlob_process_process_cpu_seconds_total`; the shorter name is kept for others.
  const cpu = metricValue(text, 'hlob_process_process_cpu_seconds_total') ?? metricValue(text, 'hlob_process_cpu_seconds_total');
  if (cpu === null) return null;
  return {
    cpuSeconds: cpu,
    rssBytes: metricValue(text, 'hlob_process_process_resident_memory_bytes') ?? metricValue(text, 'hlob_process_resident_memory_bytes'),
  };
}

export interface ServerProbe {
  readonly source: 'proc' | 'metrics';
  /** The current totals, or null when the source does not answer. */
  sample(): Promise<ServerSample | null>;
}

export function procProbe(pid: number): ServerProbe {
  return {
    source: 'proc',
    async sample() {
      try {
        return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return null;
      }
    },
  };
}

export function metricsProbe(url: string, timeoutMs = 3000): ServerProbe {
  return {
    source: 'metrics',
    async sample() {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (!res.ok) return null;
        return parseMetrics(await res.text());
      } catch {
        return null;
      }
    },
  };
}

/** The server's `/metrics` URL on the same host and port as its WebSocket URL. */
export function metricsUrlFor(wsUrl: URL): string {
  const u = new URL(wsUrl.href);
  u.protocol = wsUrl.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/metrics';
  u.search = '';
  u.hash = '';
  return u.href;
}
