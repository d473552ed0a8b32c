/**
 * Which of the node's two output layouts a data dir holds: `by-block` (`--batch-by-block`,
 * `node_*_by_block`) or `streaming` (`--stream-with-block-info`, `node_*_streaming`). With
 * `auto`, the one whose three directories are all there; when both are, the one written
 * last (its newest hourly file changed most recently), by-block on a tie.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkDataDir, type MissingDir } from './data-dir.js';
import { newestFile } from './hourly.js';
import { STREAMING_DIRS } from './stream-joiner.js';
import { STREAMS, type StreamName } from './types.js';

export type NodeLayout = 'by-block' | 'streaming';
export type LayoutChoice = NodeLayout | 'auto';

export const LAYOUT_CHOICES: readonly LayoutChoice[] = ['auto', 'by-block', 'streaming'];

/** The streams' directory names in a layout. */
export function layoutDirs(layout: NodeLayout): Record<StreamName, string> {
  return layout === 'streaming' ? STREAMING_DIRS : { statuses: STREAMS.statuses.dir, diffs: STREAMS.diffs.dir, fills: STREAMS.fills.dir };
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The streaming directories missing under `dataDir`. */
export async function checkStreamingDir(dataDir: string): Promise<MissingDir[]> {
  const missing: MissingDir[] = [];
  for (const stream of Object.keys(STREAMING_DIRS) as StreamName[]) {
    const path = join(dataDir, STREAMING_DIRS[stream]);
    if (!(await isDir(path))) missing.push({ stream, path, flags: [STREAMS[stream].flag, '--stream-with-block-info'] });
  }
  return missing;
}

/** The directories a layout lacks (for `by-block`, as `checkDataDir`). */
export function checkLayoutDirs(dataDir: string, layout: NodeLayout): Promise<MissingDir[]> {
  return layout === 'streaming' ? checkStreamingDir(dataDir) : checkDataDir(dataDir);
}

async function lastWrite(dataDir: string, layout: NodeLayout): Promise<number> {
  let latest = -1;
  for (const dir of Object.values(layoutDirs(layout))) {
    const f = await newestFile(join(dataDir, dir, 'hourly'));
    if (f === undefined) continue;
    const m = await stat(f.path).then(
      (s) => s.mtimeMs,
      () => -1,
    );
    if (m > latest) latest = m;
  }
  return latest;
}

export interface LayoutFound {
  layout: NodeLayout;
  /** What that layout lacks (empty when complete). With `auto` and neither complete: the by-block layout's. */
  missing: MissingDir[];
}

/** Decide the layout of `dataDir` for a choice. */
export async function detectLayout(dataDir: string, choice: LayoutChoice = 'auto'): Promise<LayoutFound> {
  if (choice !== 'auto') return { layout: choice, missing: await checkLayoutDirs(dataDir, choice) };
  const byBlock = await checkDataDir(dataDir);
  const streaming = await checkStreamingDir(dataDir);
  if (streaming.length === 0 && (byBlock.length > 0 || (await lastWrite(dataDir, 'streaming')) > (await lastWrite(dataDir, 'by-block')))) {
    return { layout: 'streaming', missing: [] };
  }
  return { layout: 'by-block', missing: byBlock };
}
