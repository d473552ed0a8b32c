/**
 * One stream's events of one block, written straight into a reused byte buffer as they are
 * produced. A stress block holds ~5,000 statuses (~2 MB): kept as strings they would pile up
 * in the old generation and spend half the time in the garbage collector; bytes don't.
 */
export class EventSink {
  private buf: Buffer;
  private len = 0;
  /** Byte offset where each event starts (for the streaming layout and for tests). */
  private starts: number[] = [];

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Events added since the last reset. */
  get count(): number {
    return this.starts.length;
  }

  /**
   * Append one event (its JSON text); events are comma-separated. The text must be ASCII
   * (everything the simulator writes is: coin names are checked when the market is built):
   * it is written as one byte per character, the fastest encoding.
   */
  add(json: string): void {
    const need = this.len + 1 + json.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    if (this.starts.length > 0) this.buf[this.len++] = 44; // ','
    this.starts.push(this.len);
    this.len += this.buf.write(json, this.len, 'latin1');
  }

  reset(): void {
    this.len = 0;
    this.starts = [];
  }

  /** `e1,e2,…` as bytes (a view: valid until the next `add` or `reset`). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Event `i` as bytes (a view). */
  event(i: number): Buffer {
    const end = i + 1 < this.starts.length ? this.starts[i + 1]! - 1 : this.len;
    return this.buf.subarray(this.starts[i], end);
  }

  /** The events as strings (copies; for tests and tools). */
  strings(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.starts.length; i++) out.push(this.event(i).toString('latin1'));
    return out;
  }
}
