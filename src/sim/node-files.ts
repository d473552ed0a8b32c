/**
 * Reading a node's data directory (real or simulated, plain or gzip-compressed copies): where
 * it is, its hourly files in time order, and their lines.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { ErrorCodes, HlobError } from '../errors.js';
import { DATE_DIR, STREAM_PREFIXES, type StreamPrefix } from '../node/format.js';

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * The directory holding the `node_*` stream directories: `dir` itself, or `dir/hl/data`, or
 * `dir/data` (so that both `~/hl/data` and a copy of `~` work).
 */
export async function resolveDataDir(dir: string): Promise<string> {
  for (const candidate of [dir, join(dir, 'hl', 'data'), join(dir, 'data')]) {
    const entries = await readdir(candidate).catch(() => [] as string[]);
    if (entries.some((e) => STREAM_PREFIXES.some((s) => e.startsWith(s)))) return candidate;
  }
  if (!(await isDir(dir))) throw new HlobError(ErrorCodes.MISSING_DIR, `no such directory: ${dir}`);
  throw new HlobError(
    ErrorCodes.MISSING_DIR,
    `no node data in ${dir}: expected node_order_statuses_by_block, node_raw_book_diffs_by_block and node_fills_by_block here or under hl/data`,
  );
}

/** `{H}` or `{H}.gz`: the hour, or undefined for other names. */
function hourOf(name: string): number | undefined {
  const m = /^(\d{1,2})(\.gz)?$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Hourly files of one stream directory (`…/hourly`), oldest first. Missing directory: none. */
export async function hourlyFiles(hourlyDir: string): Promise<string[]> {
  const dates = (await readdir(hourlyDir).catch(() => [] as string[])).filter((d) => DATE_DIR.test(d)).sort();
  const out: string[] = [];
  for (const date of dates) {
    const names = await readdir(join(hourlyDir, date)).catch(() => [] as string[]);
    const hours = names.filter((n) => hourOf(n) !== undefined).sort((a, b) => hourOf(a)! - hourOf(b)!);
    for (const h of hours) out.push(join(hourlyDir, date, h));
  }
  return out;
}

export interface FileLine {
  file: string;
  /** 1-based. */
  line: number;
  text: string;
}

/** Lines of one file (gunzipped when the name ends in `.gz`), without their newline. */
export async function* fileLines(file: string): AsyncGenerator<FileLine> {
  const raw = createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (err) => input.destroy(err));
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.length > 0) yield { file, line, text };
    }
  } finally {
    rl.close();
    raw.destroy();
  }
}

/** Every line of a stream's files in order. `layout` picks `_by_block` or `_streaming`. */
export async function* streamLines(dataDir: string, stream: StreamPrefix, layout: 'by_block' | 'streaming' = 'by_block'): AsyncGenerator<FileLine> {
  for (const file of await hourlyFiles(join(dataDir, `${stream}_${layout}`, 'hourly'))) yield* fileLines(file);
}
