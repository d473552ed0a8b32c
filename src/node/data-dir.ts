/**
 * Which of the node's by-block directories exist under a data dir, and what to run the node
 * with when one is missing.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes, HlobError } from '../errors.js';
import { STREAMS, type StreamName } from './types.js';

/** A missing stream directory and the node flags that make the node write it. */
export interface MissingDir {
  stream: StreamName;
  path: string;
  flags: string[];
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The by-block directories missing under `dataDir` (empty when all three are there). */
export async function checkDataDir(dataDir: string): Promise<MissingDir[]> {
  const missing: MissingDir[] = [];
  for (const stream of Object.keys(STREAMS) as StreamName[]) {
    const path = join(dataDir, STREAMS[stream].dir);
    if (!(await isDir(path))) missing.push({ stream, path, flags: [STREAMS[stream].flag, '--batch-by-block'] });
  }
  return missing;
}

/** One line per missing directory: `missing directory <path>: run the node with <flags>`. */
export function describeMissing(missing: readonly MissingDir[]): string {
  return missing.map((m) => `missing directory ${m.path}: run the node with ${m.flags.join(' ')}`).join('; ');
}

export function missingDirError(missing: readonly MissingDir[]): HlobError {
  return new HlobError(ErrorCodes.MISSING_DIR, describeMissing(missing));
}
