/**
 * Finding a stream's hourly files (layout in `format.ts`): the newest, and the one after a
 * given file, in time order.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DATE_DIR, HOUR_FILE } from './format.js';

/** One hourly file: its path and a sortable key (`YYYYMMDD * 100 + H`). */
export interface HourlyFile {
  path: string;
  date: string;
  hour: number;
  key: number;
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    // Missing (not created yet, or pruned under us): the caller waits and looks again.
    return [];
  }
}

async function dates(hourlyDir: string): Promise<string[]> {
  return (await names(hourlyDir)).filter((n) => DATE_DIR.test(n)).sort();
}

async function hours(hourlyDir: string, date: string): Promise<number[]> {
  return (await names(join(hourlyDir, date)))
    .filter((n) => HOUR_FILE.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

function file(hourlyDir: string, date: string, hour: number): HourlyFile {
  return { path: join(hourlyDir, date, String(hour)), date, hour, key: Number(date) * 100 + hour };
}

/** The newest hourly file, or undefined when there is none yet. */
export async function newestFile(hourlyDir: string): Promise<HourlyFile | undefined> {
  const ds = await dates(hourlyDir);
  // A date folder may exist before its first file: fall back to earlier dates.
  for (let i = ds.length - 1; i >= 0; i--) {
    const date = ds[i]!;
    const hs = await hours(hourlyDir, date);
    const h = hs[hs.length - 1];
    if (h !== undefined) return file(hourlyDir, date, h);
  }
  return undefined;
}

/** The first hourly file after `current` in time order (not necessarily the next hour), if any. */
export async function nextFile(hourlyDir: string, current: HourlyFile): Promise<HourlyFile | undefined> {
  const later = (await hours(hourlyDir, current.date)).find((h) => h > current.hour);
  if (later !== undefined) return file(hourlyDir, current.date, later);
  for (const date of await dates(hourlyDir)) {
    if (date <= current.date) continue;
    const hs = await hours(hourlyDir, date);
    if (hs[0] !== undefined) return file(hourlyDir, date, hs[0]);
  }
  return undefined;
}
