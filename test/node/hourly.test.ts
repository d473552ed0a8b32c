import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hourlyPath } from '../../src/node/format.js';
import { newestFile, nextFile } from '../../src/node/hourly.js';
import { tempDir } from './files.js';

function touch(hourly: string, date: string, hour: string): void {
  mkdirSync(join(hourly, date), { recursive: true });
  writeFileSync(join(hourly, date, hour), '');
}

describe('the hourly layout', () => {
  it('finds the newest file by date, then by unpadded hour (9 before 10)', async () => {
    const hourly = join(tempDir(), 'hourly');
    expect(await newestFile(hourly)).toBeUndefined();
    touch(hourly, '20260430', '9');
    touch(hourly, '20260430', '10');
    touch(hourly, '20260430', '2');
    expect((await newestFile(hourly))?.path).toBe(join(hourly, '20260430', '10'));
    touch(hourly, '20260501', '0');
    expect((await newestFile(hourly))?.path).toBe(join(hourly, '20260501', '0'));
  });

  it('ignores an empty newest date folder and names that are not hours', async () => {
    const hourly = join(tempDir(), 'hourly');
    touch(hourly, '20260430', '23');
    touch(hourly, '20260430', '23.tmp');
    mkdirSync(join(hourly, '20260501'));
    expect((await newestFile(hourly))?.hour).toBe(23);
  });

  it('gives the next file in time order, across date folders', async () => {
    const hourly = join(tempDir(), 'hourly');
    touch(hourly, '20260430', '22');
    touch(hourly, '20260430', '23');
    const f22 = (await newestFile(hourly))!;
    expect(f22.hour).toBe(23);
    expect(await nextFile(hourly, f22)).toBeUndefined();
    touch(hourly, '20260501', '0');
    touch(hourly, '20260501', '1');
    expect((await nextFile(hourly, f22))?.path).toBe(join(hourly, '20260501', '0'));
  });

  it('names the file of a UTC time without zero padding', () => {
    expect(hourlyPath('/d/s', Date.UTC(2026, 3, 30, 9, 59))).toBe('/d/s/hourly/20260430/9');
  });
});
