/**
 * A process's resident memory now and at its peak, from `/proc/<pid>/status` (`VmRSS`,
 * `VmHWM`): what the scale and soak benches report for the server process.
 */
import { readFile } from 'node:fs/promises';

export interface ProcMemory {
  rssBytes: number;
  /** The peak resident set since the process started. */
  peakRssBytes: number;
}

/** Parses the `VmRSS` and `VmHWM` lines (kB) of a status file; null when absent. */
export function parseProcStatus(text: string): ProcMemory | null {
  const kb = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m?.[1] ? Number(m[1]) * 1024 : null;
  };
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  return rss === null || hwm === null ? null : { rssBytes: rss, peakRssBytes: hwm };
}

/** The memory of process `pid`, or null when it has exited. */
export async function readProcMemory(pid: number): Promise<ProcMemory | null> {
  try {
    return parseProcStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return null;
  }
}
