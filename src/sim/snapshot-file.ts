/**
 * Reading the node's L4 snapshot file (`[height,[[coin,[[[user,order]…],[…]]]…]]`), plain or
 * gzip-compressed, with a clear error when it does not have that shape.
 */
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { L4SnapshotFile } from '../book/events.js';
import { ErrorCodes, HlobError } from '../errors.js';

const gunzipAsync = promisify(gunzip);

/** The file's text (gunzipped when it starts with the gzip magic bytes). */
export async function readSnapshotText(path: string): Promise<string> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `cannot read snapshot ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
    });
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = await gunzipAsync(buf);
  return buf.toString('utf8');
}

/** Check the outer shape of a parsed snapshot (height, then per coin two sides of [user, order]). */
export function assertSnapshotShape(v: unknown, where: string): asserts v is L4SnapshotFile {
  const bad = (why: string): never => {
    throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `${where} is not an L4 snapshot with height: ${why}`);
  };
  if (!Array.isArray(v) || v.length !== 2) bad('expected [height, coins]');
  const [height, coins] = v as unknown[];
  if (!Number.isSafeInteger(height)) bad(`height ${JSON.stringify(height)} is not an integer`);
  if (!Array.isArray(coins)) bad('coins is not an array');
  for (const entry of coins as unknown[]) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1]) || entry[1].length !== 2) {
      bad(`bad coin entry ${JSON.stringify(entry).slice(0, 100)}`);
    }
    const [coin, sides] = entry as [string, unknown[]];
    for (const side of sides) {
      if (!Array.isArray(side)) bad(`a side of ${coin} is not an array`);
      const first = (side as unknown[])[0];
      if (first !== undefined && (!Array.isArray(first) || typeof first[0] !== 'string' || typeof first[1] !== 'object'))
        bad(`orders of ${coin} are not [user, order]`);
    }
  }
}

export async function readSnapshotFile(path: string): Promise<L4SnapshotFile> {
  const text = await readSnapshotText(path);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `snapshot ${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  assertSnapshotShape(v, `snapshot ${path}`);
  return v;
}
