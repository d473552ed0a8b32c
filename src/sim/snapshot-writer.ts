/**
 * Writes the node's L4 snapshot file (`[height,[[coin,[[[user,order]…bids],[…asks]]]…]]`)
 * from a capture of the books, streaming: a 500,000-order snapshot (~180 MB) goes out in
 * chunks without holding the whole text or blocking the event loop for long. The file appears
 * under its final name only once complete (written aside, then renamed).
 */
import { open, rename, unlink } from 'node:fs/promises';
import { restingOrderJson } from './node-json.js';
import type { CapturedBooks } from './sim-market.js';

const CHUNK = 1 << 20;
let counter = 0;

export async function writeSnapshotFile(cap: CapturedBooks, outPath: string, includeHeight: boolean): Promise<void> {
  const tmp = `${outPath}.partial-${process.pid}-${++counter}`;
  const handle = await open(tmp, 'w');
  let ok = false;
  try {
    let buf = includeHeight ? `[${cap.height},[` : '[';
    const flush = async (): Promise<void> => {
      await handle.write(buf);
      buf = '';
    };
    for (let ci = 0; ci < cap.coins.length; ci++) {
      const { coin, sides, lots } = cap.coins[ci]!;
      buf += `${ci > 0 ? ',' : ''}[${coin.json},[`;
      for (let s = 0; s < 2; s++) {
        buf += s === 0 ? '[' : ',[';
        const orders = sides[s]!;
        const sizes = lots[s]!;
        for (let i = 0; i < orders.length; i++) {
          const o = orders[i]!;
          buf += `${i > 0 ? ',' : ''}["${cap.users[o.user]}",${restingOrderJson(coin, o, sizes[i]!)}]`;
          if (buf.length >= CHUNK) await flush();
        }
        buf += ']';
      }
      buf += ']]';
    }
    buf += includeHeight ? ']]' : ']';
    await flush();
    ok = true;
  } finally {
    await handle.close();
    if (!ok) await unlink(tmp).catch(() => undefined);
  }
  try {
    await rename(tmp, outPath);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
