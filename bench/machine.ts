/** What a figure was measured on: absolute figures mean little without it (see docs/benchmarks.md). */
import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memGb: number;
  node: string;
  /** 1-, 5- and 15-minute load averages when read (the machine may be shared). */
  loadavg: number[];
}

export function machine(): Machine {
  const r = (x: number): number => Math.round(x * 100) / 100;
  return { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, memGb: r(totalmem() / 2 ** 30), node: process.version, loadavg: loadavg().map(r) };
}
