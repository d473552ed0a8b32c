/**
 * The node's hourly file layout: `<streamDir>/hourly/{YYYYMMDD}/{H}`, the hour without
 * zero padding. Finding the newest file and the one after a given file, in time order.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** One hourly file: its path and a sortable key (`YYYYMMDD * 100 + H`). */
export interface HourlyFile {
  path: string;
  date: string;
  hour: number;
  key: number;
}

const DATE = /^\d{8}$/;
const HOUR = /^(?:[0-9]|1[0-9]|2[0-3])$/;

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    // Missing (not created yet, or pruned under us): the caller waits and looks again.
    return [];
  }
}

async function dates(hourlyDir: string): Promise<string[]> {
  return (await names(hourlyDir)).filter((n) => DATE.test(n)).sort();
}

async function hours(hourlyDir: string, date: string): Promise<number[]> {
  return (await names(join(hourlyDir, date)))
    .filter((n) => HOUR.test(n))
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

/** The path of the file for a UTC time (for writers: the simulator and tests). */
export function hourlyPath(streamDir: string, timeMs: number): string {
  const d = new Date(timeMs);
  const date = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return join(streamDir, 'hourly', date, String(d.getUTCHours()));
}
