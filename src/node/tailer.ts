/**
 * `Tailer`: follows one stream's hourly files and emits each complete line with its file and
 * offset. The node appends; lines may arrive in pieces; a new file starts every hour (and a
 * new date folder every day) while the old file may still get a last write.
 *
 * Wake-ups come from `fs.watch` (inotify: fast) plus a short poll, because watchers coalesce
 * and miss events. Directory and stat calls are async, reads of new bytes synchronous (see
 * `readNow`); one pump runs at a time and re-runs if woken meanwhile. A watcher's
 * "changed" event for the current file reads the new bytes at once, without waiting for a
 * pump still busy with its directory and stat calls (those would add their thread-pool round
 * trips to a block's latency); anything else (a new file, a rename, no new bytes) wakes the pump.
 */
import { EventEmitter } from 'node:events';
import { readSync, watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ErrorCodes, HlobError } from '../errors.js';
import { newestFile, nextFile, type HourlyFile } from './hourly.js';

export interface LinePosition {
  file: string;
  /** Byte offset of the line's first byte in `file`. */
  offset: number;
}

export interface TailerEventMap {
  /** One complete line, without its newline (decoded as UTF-8). Not emitted with `bytes: true`. */
  line: [line: string, at: LinePosition];
  /**
   * With `bytes: true`, instead of `line`: one complete line's bytes, without its newline.
   * Valid only during the call (often a view of the read buffer, which the next read reuses).
   */
  bytes: [bytes: Buffer, at: LinePosition];
  /** Started reading `file` at `offset`. */
  file: [file: string, offset: number];
  /** Something unusual but survivable (truncation, replacement, an oversized line…). */
  warning: [err: HlobError];
}

export interface TailerOptions {
  /** The stream's directory, e.g. `~/hl/data/node_raw_book_diffs_by_block` (files are `hourly/{YYYYMMDD}/{H}` under it). */
  dir: string;
  /**
   * At start, begin this many bytes before the end of the newest file (the first, partial line
   * is skipped), so that a snapshot slightly older than "now" can still be caught up.
   * Default 0: only what is appended from now on. Files that appear later are read whole.
   */
  backfillBytes?: number;
  /** Safety-net poll interval, ms. Default 100. */
  pollMs?: number;
  /** After moving on to the next file, keep reading the old one this long for a last write, ms. Default 60,000. */
  lateWriteMs?: number;
  /**
   * How long an incomplete last line of the old file may hold back moving to the next file
   * (a writer that died mid-line never finishes it), ms. Default 5,000.
   */
  partialLineMs?: number;
  /** A line longer than this is skipped as corrupt. Default 256 MiB. */
  maxLineBytes?: number;
  /** Read size. Default 4 MiB: a busy block's statuses line (0.5-2.5 MB) then fits in one read, with no piece copied and joined. */
  readBytes?: number;
  /** Clock (ms) for the time limits above. Default `Date.now`. */
  now?: () => number;
  /** Watch the directories (on by default; the poll alone still works). */
  watch?: boolean;
  /** Emit `bytes` events (the line undecoded, for a reader that decodes it its own way) instead of `line`. Default false. */
  bytes?: boolean;
}

interface OpenFile {
  hourly: HourlyFile;
  fh: FileHandle;
  ino: number;
  /** Next byte to read. */
  offset: number;
  /** Offset of the first byte of the line being assembled. */
  lineStart: number;
  /** Pieces of the line being assembled (copies: the read buffer is reused). */
  partial: Buffer[];
  partialBytes: number;
  /**
   * Bytes of an incomplete last line left unread at `offset` (to be read again whole once
   * its newline comes: no copy), as of the last read.
   */
  tailBytes: number;
  /** Drop bytes up to the next newline (started mid-line, or an oversized line). */
  skipping: boolean;
}

const NEWLINE = 0x0a;

export class Tailer extends EventEmitter<TailerEventMap> {
  readonly dir: string;
  private readonly hourlyDir: string;
  private readonly backfillBytes: number;
  private readonly pollMs: number;
  private readonly lateWriteMs: number;
  private readonly partialLineMs: number;
  private readonly maxLineBytes: number;
  private readonly now: () => number;
  private readonly useWatch: boolean;
  private readonly emitBytes: boolean;
  private readonly buf: Buffer;

  private cur: OpenFile | undefined;
  /** The previous file, still read for a last write until `oldUntil`. */
  private old: OpenFile | undefined;
  private oldUntil = 0;
  /** When the next file was first seen while the current one ended mid-line. */
  private nextSeenAt: number | undefined;
  /** True until the first file is opened: files that exist at start are read from their end. */
  private atStart = true;
  private started = false;
  private stopped = false;
  private pumping: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private watchers = new Map<string, FSWatcher>();
  /** Set while `cur` is being closed and reopened: its descriptor must not be read meanwhile. */
  private switching = false;

  constructor(opts: TailerOptions) {
    super();
    this.dir = opts.dir;
    this.hourlyDir = join(opts.dir, 'hourly');
    this.backfillBytes = opts.backfillBytes ?? 0;
    this.pollMs = opts.pollMs ?? 100;
    this.lateWriteMs = opts.lateWriteMs ?? 60_000;
    this.partialLineMs = opts.partialLineMs ?? 5_000;
    this.maxLineBytes = opts.maxLineBytes ?? 256 * 1024 * 1024;
    this.now = opts.now ?? Date.now;
    this.useWatch = opts.watch ?? true;
    this.emitBytes = opts.bytes ?? false;
    this.buf = Buffer.allocUnsafe(opts.readBytes ?? 4 * 1024 * 1024);
  }

  /** The file being read and the next offset, for diagnostics. */
  position(): LinePosition | undefined {
    return this.cur === undefined ? undefined : { file: this.cur.hourly.path, offset: this.cur.offset };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.wake();
  }

  /** Stop reading; resolves once the current read finished and files are closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.pumping;
    await this.closeFile(this.old);
    await this.closeFile(this.cur);
    this.old = this.cur = undefined;
  }

  /** Read whatever is new (also called by watchers and the poll). */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping !== undefined) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  /** Resolves once everything written so far has been read (for tests and benchmarks). */
  async settle(): Promise<void> {
    this.wake();
    while (this.pumping !== undefined) await this.pumping;
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.step();
      } catch (err) {
        // An I/O error (a file pruned under us…) must not stop tailing: warn and retry on the next wake.
        this.emit('warning', new HlobError(ErrorCodes.NODE_FILES, `tailing ${this.dir}: ${(err as Error).message}`, { cause: err }));
      }
    } while (this.again && !this.stopped);
  }

  private async step(): Promise<void> {
    this.watchDirs(this.cur?.hourly);
    if (this.cur === undefined) {
      const first = await newestFile(this.hourlyDir);
      this.watchDirs(undefined);
      if (this.stopped) return;
      if (first === undefined) {
        // Nothing yet: whatever appears later is new, read it whole.
        this.atStart = false;
        return;
      }
      await this.openCurrent(first, this.atStart);
      this.atStart = false;
    }
    if (this.old !== undefined) {
      this.readNow(this.old);
      if (this.now() >= this.oldUntil) {
        await this.closeFile(this.old);
        this.old = undefined;
      }
    }
    // The current file can move on several times in one step when catching up.
    while (!this.stopped && this.cur !== undefined) {
      const cur = this.cur;
      this.readNow(cur);
      if (this.stopped) return;
      if (await this.checkReplaced(cur)) continue;
      const next = await nextFile(this.hourlyDir, cur.hourly);
      if (next === undefined) {
        this.nextSeenAt = undefined;
        return;
      }
      // Drain what the old file got meanwhile, then move on unless its last line is incomplete.
      this.readNow(cur);
      if (cur.partialBytes > 0 || cur.tailBytes > 0) {
        this.nextSeenAt ??= this.now();
        if (this.now() - this.nextSeenAt < this.partialLineMs) return;
        this.emit(
          'warning',
          new HlobError(
            ErrorCodes.BAD_LINE,
            `${cur.hourly.path}: incomplete last line at offset ${cur.lineStart} (${cur.partialBytes + cur.tailBytes} bytes) dropped when moving to ${next.path}`,
          ),
        );
        this.dropPartial(cur);
        // Left unread: step over it, as if it had been read and dropped.
        cur.offset += cur.tailBytes;
        cur.lineStart = cur.offset;
        cur.tailBytes = 0;
      }
      this.nextSeenAt = undefined;
      await this.closeFile(this.old);
      this.old = cur;
      this.oldUntil = this.now() + this.lateWriteMs;
      await this.openCurrent(next, false);
    }
  }

  /** Open `f`: from its end (minus the backfill) at start, else from its beginning. */
  private async openCurrent(f: HourlyFile, fromEnd: boolean): Promise<void> {
    const fh = await open(f.path, 'r');
    const st = await fh.stat();
    let offset = 0;
    let skipping = false;
    if (fromEnd && st.size > 0) {
      offset = Math.max(0, st.size - this.backfillBytes);
      if (offset > 0) {
        // Start at a line boundary: only if the byte before is a newline, else skip to the next one.
        const one = Buffer.alloc(1);
        await fh.read(one, 0, 1, offset - 1);
        skipping = one[0] !== NEWLINE;
      }
    }
    this.cur = { hourly: f, fh, ino: st.ino, offset, lineStart: offset, partial: [], partialBytes: 0, tailBytes: 0, skipping };
    this.watchDirs(f);
    this.emit('file', f.path, offset);
  }

  private async closeFile(f: OpenFile | undefined): Promise<void> {
    if (f === undefined) return;
    await f.fh.close().catch(() => undefined);
  }

  /**
   * Truncated (size below our offset) or replaced (the path names another file): start the
   * path over from its beginning. True when it did.
   */
  private async checkReplaced(cur: OpenFile): Promise<boolean> {
    // Compare with the offset from before the stat: a watcher may read new bytes while it
    // runs (offsets only grow), and those must not read as a truncation.
    const offset = cur.offset;
    const mine = await cur.fh.stat();
    let replaced = false;
    const truncated = mine.size < offset;
    if (!truncated) {
      try {
        const there = await stat(cur.hourly.path);
        replaced = there.ino !== cur.ino;
      } catch {
        // Pruned: keep reading what we have; nextFile() moves on when a newer file appears.
        return false;
      }
    }
    if (!truncated && !replaced) return false;
    this.emit(
      'warning',
      new HlobError(
        ErrorCodes.NODE_FILES,
        `${cur.hourly.path} was ${truncated ? `truncated (size ${mine.size} < offset ${offset})` : 'replaced by another file'}: reading it again from the beginning`,
      ),
    );
    this.switching = true;
    try {
      await this.closeFile(cur);
      await this.openCurrent(cur.hourly, false);
    } finally {
      this.switching = false;
    }
    return true;
  }

  private dropPartial(f: OpenFile): void {
    f.partial = [];
    f.partialBytes = 0;
  }

  private consume(f: OpenFile, n: number): void {
    const buf = n === this.buf.length ? this.buf : this.buf.subarray(0, n);
    let pos = 0;
    const base = f.offset;
    f.offset += n;
    f.tailBytes = 0;
    while (pos < n) {
      const nl = buf.indexOf(NEWLINE, pos);
      const end = nl === -1 ? n : nl;
      if (f.skipping) {
        if (end === n) return;
        f.skipping = false;
        pos = end + 1;
        f.lineStart = base + pos;
        continue;
      }
      if (end === n) {
        // No newline yet. A line that fits in the read buffer is left unread and read again
        // whole once its newline comes (the kernel's copy is cheaper than ours and a join);
        // a longer one is kept in pieces until its newline.
        if (f.partialBytes === 0 && n - pos < this.buf.length) {
          f.offset = base + pos;
          f.tailBytes = n - pos;
          return;
        }
        if (f.partialBytes + (n - pos) > this.maxLineBytes) {
          this.emit(
            'warning',
            new HlobError(ErrorCodes.BAD_LINE, `${f.hourly.path}: line at offset ${f.lineStart} longer than ${this.maxLineBytes} bytes skipped`),
          );
          this.dropPartial(f);
          f.skipping = true;
          return;
        }
        f.partial.push(Buffer.from(buf.subarray(pos, n)));
        f.partialBytes += n - pos;
        return;
      }
      let bytes: Buffer;
      if (f.partialBytes > 0) {
        f.partial.push(buf.subarray(pos, end));
        bytes = Buffer.concat(f.partial, f.partialBytes + (end - pos));
        this.dropPartial(f);
      } else {
        bytes = buf.subarray(pos, end);
      }
      const at: LinePosition = { file: f.hourly.path, offset: f.lineStart };
      pos = end + 1;
      f.lineStart = base + pos;
      if (bytes.length === 0) continue;
      try {
        if (this.emitBytes) this.emit('bytes', bytes, at);
        else this.emit('line', bytes.toString('utf8'), at);
      } catch (err) {
        // A listener's failure must not lose the rest of this read (the offset already moved on).
        this.emit(
          'warning',
          new HlobError(ErrorCodes.NODE_FILES, `${at.file} offset ${at.offset}: line listener failed: ${(err as Error).message}`, { cause: err }),
        );
      }
    }
  }

  /**
   * A watcher's event. Bytes appended to the current file are read now (the fast path); a
   * change that brought no bytes (a truncation?) or any other event goes to the pump.
   */
  private onWatch(dir: string, event: string, name: string | Buffer | null): void {
    const cur = this.cur;
    if (
      event === 'change' &&
      cur !== undefined &&
      !this.switching &&
      !this.stopped &&
      typeof name === 'string' &&
      name === basename(cur.hourly.path) &&
      dir === join(this.hourlyDir, cur.hourly.date)
    ) {
      let read = 0;
      try {
        read = this.readNow(cur);
      } catch (err) {
        this.emit('warning', new HlobError(ErrorCodes.NODE_FILES, `reading ${cur.hourly.path}: ${(err as Error).message}`, { cause: err }));
      }
      if (read > 0) return;
    }
    this.wake();
  }

  /**
   * Read `f` from its offset to the current end, emitting complete lines; the bytes read
   * (an incomplete last line is counted but left at `offset`).
   * Synchronous reads: what was just appended is in the page cache, and a read through the
   * thread pool would add a round trip (~0.1–1 ms under load) to every block's latency,
   * three streams a block. A short read means the end as of now; the next wake-up reads more.
   */
  private readNow(f: OpenFile): number {
    let total = 0;
    while (!this.stopped) {
      const bytesRead = readSync(f.fh.fd, this.buf, 0, this.buf.length, f.offset);
      if (bytesRead === 0) break;
      total += bytesRead;
      this.consume(f, bytesRead);
      if (bytesRead < this.buf.length) break;
    }
    return total;
  }

  /** Watch the hourly dir (new date folders) and the current date folder (appends, new hours). */
  private watchDirs(f: HourlyFile | undefined): void {
    if (!this.useWatch || this.stopped) return;
    const want = new Set<string>([this.hourlyDir]);
    if (f !== undefined) want.add(join(this.hourlyDir, f.date));
    for (const [dir, w] of this.watchers) {
      if (!want.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of want) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (event, name) => this.onWatch(dir, event, name));
        w.on('error', () => {
          // The folder went away: forget the watcher; the poll looks again and re-watches.
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch {
        // Not there yet: the poll covers it and we try again on the next file change.
      }
    }
  }
}
