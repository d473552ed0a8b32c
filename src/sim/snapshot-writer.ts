/**
 * Writes the node's L4 snapshot file (`[height,[[coin,[[[user,order]…bids],[…asks]]]…]]`)
 * from a capture of the books, streaming: a 500,000-order snapshot (~180 MB) goes out in
 * chunks without holding the whole text or blocking the event loop for long. The file appears
 * under its final name only once complete (written aside, then renamed).
 *
 * Fast because it was the larger half of a server's time to `ready` on a big book: each
 * order's text is encoded straight into one of two 1 MiB buffers (no long string built and
 * flattened, no many small writes), one buffer is written while the other fills; the text of
 * an order after its size is made once and kept on the order (`restingOrderTail`, warmed when
 * the simulator starts), and the text before it once per price level.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { formatScaled } from '../book/decimal.js';
import { orderJsonHead, restingOrderTail, SIDE } from './node-json.js';
import type { CapturedBooks } from './book-capture.js';

const CHUNK = 1 << 20;
/** Room always kept for the few brackets written between two {@link ChunkedWriter.fits} checks. */
const SLACK = 64;
let counter = 0;

/** Text encoded into two alternating buffers; a full one is written while the other fills. */
class ChunkedWriter {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);
  private spare: Buffer | null = null;
  private off = 0;
  /** The write of the other buffer, if under way. */
  private pending: Promise<void> | null = null;

  constructor(private readonly handle: FileHandle) {}

  /** Does `s` surely fit in what is left of the buffer (at most 3 UTF-8 bytes per UTF-16 unit)? */
  fits(s: string): boolean {
    return this.off + 3 * s.length <= CHUNK - SLACK;
  }

  /** Append `s`: one that {@link fits}, or a bracket or two (within the slack left by the last check). */
  put(s: string): void {
    this.off += this.buf.write(s, this.off, 'utf8');
  }

  /** Append `s`, however long, flushing as needed. */
  async putAny(s: string): Promise<void> {
    if (!this.fits(s)) await this.flush();
    if (this.fits(s)) this.put(s);
    else {
      await this.settle();
      await writeAll(this.handle, Buffer.from(s, 'utf8'));
    }
  }

  /** Start writing the filled buffer and switch to the other one (once its own write is done). */
  async flush(): Promise<void> {
    if (this.off === 0) return;
    // Only one write at a time: the handle writes at its position, in order.
    await this.settle();
    const full = this.buf;
    this.pending = writeAll(this.handle, full.subarray(0, this.off));
    this.buf = this.spare ?? Buffer.allocUnsafe(CHUNK);
    this.spare = full;
    this.off = 0;
    // The pending write may be done by the next flush (awaiting it then would not let the
    // event loop turn): give the rest of the process (blocks, the info server) a turn now.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Wait for the write under way, if any. */
  async settle(): Promise<void> {
    const p = this.pending;
    this.pending = null;
    if (p !== null) await p;
  }

  /** Write what is left and wait for every write. */
  async end(): Promise<void> {
    await this.flush();
    await this.settle();
  }
}

async function writeAll(handle: FileHandle, buf: Buffer): Promise<void> {
  for (let at = 0; at < buf.length;) {
    const { bytesWritten } = await handle.write(buf, at, buf.length - at);
    at += bytesWritten;
  }
}

export async function writeSnapshotFile(cap: CapturedBooks, outPath: string, includeHeight: boolean): Promise<void> {
  const tmp = `${outPath}.partial-${process.pid}-${++counter}`;
  const handle = await open(tmp, 'w');
  let ok = false;
  const out = new ChunkedWriter(handle);
  try {
    // `["<user>",` once per user, not once per order.
    const userStart = cap.users.map((u) => `["${u}",`);
    out.put(includeHeight ? `[${cap.height},[` : '[');
    for (let ci = 0; ci < cap.coins.length; ci++) {
      const { coin, sides, lots } = cap.coins[ci]!;
      await out.putAny(`${ci > 0 ? ',' : ''}[${coin.json},[`);
      for (let s = 0; s < 2; s++) {
        out.put(s === 0 ? '[' : ',[');
        const orders = sides[s]!;
        const sizes = lots[s]!;
        const side = SIDE[s]!;
        let lastPx = Number.NaN;
        let head = '';
        let lastLots = Number.NaN;
        let sz = '';
        for (let i = 0; i < orders.length; i++) {
          const o = orders[i]!;
          const n = sizes[i]!;
          if (o.px !== lastPx) {
            lastPx = o.px;
            head = orderJsonHead(coin.json, side, formatScaled(o.px, coin.pxDecimals));
          }
          if (n !== lastLots) {
            lastLots = n;
            sz = formatScaled(n, coin.szDecimals);
          }
          const text = `${i > 0 ? ',' : ''}${userStart[o.user]!}${head}${sz}${o.snapshotTail ?? restingOrderTail(coin, o)}]`;
          if (!out.fits(text)) await out.flush();
          out.put(text);
        }
        out.put(']');
      }
      out.put(']]');
    }
    out.put(includeHeight ? ']]' : ']');
    await out.end();
    ok = true;
  } finally {
    // A failed write may still be under way: let it end before closing.
    await out.settle().catch(() => undefined);
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
