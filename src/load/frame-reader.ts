/**
 * A WebSocket frame reader for the load tool's clients (RFC 6455 §5.2), pure: fed the
 * socket's chunks, it reports each message's opcode, length and first bytes. It never
 * assembles a payload: a data frame's bytes are skipped past after its first `prefixBytes`
 * (enough for the channel, coin and block time), so a megabyte frame costs no copy. Control
 * frames (at most 125 bytes) come whole.
 */

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FrameSink {
  /**
   * One complete message (fragments joined): its opcode (of the first fragment), total
   * payload length, and its first bytes (at most `prefixBytes`; a view valid only during
   * the call).
   */
  onMessage(opcode: number, length: number, prefix: Buffer): void;
  /** A protocol error (reserved opcode, oversized control frame…): the connection is unusable. */
  onProtocolError(reason: string): void;
}

/** Default bytes kept from the start of each message. */
export const DEFAULT_PREFIX_BYTES = 512;

export class FrameReader {
  private readonly header = Buffer.alloc(14);
  private headerHave = 0;
  private headerNeed = 2;
  /** Payload bytes of the current frame still to come; -1 while reading a header. */
  private remaining = -1;
  private frameOpcode = 0;
  private frameFin = false;
  private frameControl = false;
  /** The message being read (continues across fragments). */
  private messageOpcode = -1;
  private messageLength = 0;
  private readonly prefix: Buffer;
  private prefixHave = 0;
  /** A control frame interleaved within a fragmented message keeps its own bytes. */
  private readonly control = Buffer.alloc(125);
  private controlHave = 0;
  private failed = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly prefixBytes = DEFAULT_PREFIX_BYTES,
  ) {
    this.prefix = Buffer.alloc(prefixBytes);
  }

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.failed) {
      if (this.remaining < 0) {
        pos = this.readHeader(chunk, pos);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - pos);
      if (this.frameControl) {
        chunk.copy(this.control, this.controlHave, pos, pos + take);
        this.controlHave += take;
      } else if (this.prefixHave < this.prefixBytes) {
        const keep = Math.min(take, this.prefixBytes - this.prefixHave);
        chunk.copy(this.prefix, this.prefixHave, pos, pos + keep);
        this.prefixHave += keep;
      }
      pos += take;
      this.remaining -= take;
      if (this.remaining === 0) this.endFrame();
    }
  }

  private readHeader(chunk: Buffer, pos: number): number {
    while (this.headerHave < this.headerNeed && pos < chunk.length) {
      this.header[this.headerHave++] = chunk[pos++] ?? 0;
      if (this.headerHave === 2) {
        const len7 = (this.header[1] ?? 0) & 0x7f;
        const masked = ((this.header[1] ?? 0) & 0x80) !== 0;
        this.headerNeed = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
      }
    }
    if (this.headerHave < this.headerNeed) return pos;
    const b0 = this.header[0] ?? 0;
    const b1 = this.header[1] ?? 0;
    if ((b1 & 0x80) !== 0) return this.fail('a masked frame from the server');
    const len7 = b1 & 0x7f;
    let length = len7;
    if (len7 === 126) length = this.header.readUInt16BE(2);
    else if (len7 === 127) length = Number(this.header.readBigUInt64BE(2));
    this.frameFin = (b0 & 0x80) !== 0;
    this.frameOpcode = b0 & 0x0f;
    this.frameControl = this.frameOpcode >= 0x8;
    if (this.frameControl) {
      if (this.frameOpcode > OPCODE.pong) return this.fail(`reserved control opcode ${this.frameOpcode}`);
      if (length > 125 || !this.frameFin) return this.fail('a control frame over 125 bytes or fragmented');
      this.controlHave = 0;
    } else if (this.frameOpcode === OPCODE.continuation) {
      if (this.messageOpcode < 0) return this.fail('a continuation frame without a message');
    } else if (this.frameOpcode === OPCODE.text || this.frameOpcode === OPCODE.binary) {
      if (this.messageOpcode >= 0) return this.fail('a new message inside a fragmented one');
      this.messageOpcode = this.frameOpcode;
      this.messageLength = 0;
      this.prefixHave = 0;
    } else {
      return this.fail(`reserved data opcode ${this.frameOpcode}`);
    }
    if (!this.frameControl) this.messageLength += length;
    this.headerHave = 0;
    this.headerNeed = 2;
    this.remaining = length;
    if (length === 0) this.endFrame();
    return pos;
  }

  private endFrame(): void {
    this.remaining = -1;
    if (this.frameControl) {
      this.sink.onMessage(this.frameOpcode, this.controlHave, this.control.subarray(0, this.controlHave));
      return;
    }
    if (!this.frameFin) return;
    const opcode = this.messageOpcode;
    this.messageOpcode = -1;
    this.sink.onMessage(opcode, this.messageLength, this.prefix.subarray(0, this.prefixHave));
  }

  private fail(reason: string): number {
    this.failed = true;
    this.sink.onProtocolError(reason);
    return Number.MAX_SAFE_INTEGER;
  }
}

/** A client frame (masked, as RFC 6455 requires of clients) carrying `payload`. */
export function clientFrame(opcode: number, payload: Buffer, mask = Math.floor(Math.random() * 0xffffffff)): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + ext + 4 + len);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) out.writeUInt16BE(len, 2);
  else if (ext === 8) out.writeBigUInt64BE(BigInt(len), 2);
  const m = 2 + ext;
  out.writeUInt32BE(mask >>> 0, m);
  for (let i = 0; i < len; i++) out[m + 4 + i] = (payload[i] ?? 0) ^ (out[m + (i & 3)] ?? 0);
  return out;
}
