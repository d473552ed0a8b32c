import { describe, expect, it } from 'vitest';
import { parseProcStatus, readProcMemory } from '../../src/load/proc-status.js';

describe("a process's memory from /proc", () => {
  it('reads VmRSS and VmHWM in kB', () => {
    expect(parseProcStatus('Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n')).toEqual({ rssBytes: 102400 * 1024, peakRssBytes: 204800 * 1024 });
    expect(parseProcStatus('Name:\tkthreadd\n')).toBeNull();
  });

  it('reads this process, peak at least the current, and null for a pid that does not exist', async () => {
    const m = await readProcMemory(process.pid);
    expect(m?.rssBytes).toBeGreaterThan(1e6);
    expect(m?.peakRssBytes).toBeGreaterThanOrEqual(m?.rssBytes ?? Infinity);
    expect(await readProcMemory(2 ** 22 + 1)).toBeNull();
  });
});
