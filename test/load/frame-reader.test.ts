import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader, OPCODE, clientFrame } from '../../src/load/frame-reader.js';

/** A server frame (unmasked). */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const h = Buffer.alloc(2 + ext);
  h[0] = (fin ? 0x80 : 0) | opcode;
  h[1] = ext === 0 ? len : ext === 2 ? 126 : 127;
  if (ext === 2) h.writeUInt16BE(len, 2);
  if (ext === 8) h.writeBigUInt64BE(BigInt(len), 2);
  return Buffer.concat([h, payload]);
}

interface Seen {
  opcode: number;
  length: number;
  prefix: string;
}

function read(chunks: Buffer[], prefixBytes = 16): { seen: Seen[]; errors: string[] } {
  const seen: Seen[] = [];
  const errors: string[] = [];
  const r = new FrameReader(
    { onMessage: (opcode, length, prefix) => seen.push({ opcode, length, prefix: prefix.toString('latin1') }), onProtocolError: (e) => errors.push(e) },
    prefixBytes,
  );
  for (const c of chunks) r.push(c);
  return { seen, errors };
}

/** Splits `buf` at the given cut points. */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(buf.subarray(from, p));
    from = p;
  }
  out.push(buf.subarray(from));
  return out;
}

describe('reading WebSocket frames from a byte stream', () => {
  const text = (n: number, c = 'x'): Buffer => Buffer.from(`{"channel":"l2Book"${c.repeat(Math.max(0, n - 19))}`.slice(0, n));

  it("reports each message's opcode, length and first bytes whatever the chunking, for 7, 16 and 64-bit lengths", () => {
    const messages = [text(5), text(125), text(126), text(65_535), text(65_536), text(200_000), Buffer.alloc(0)];
    const stream = Buffer.concat([
      ...messages.map((m) => serverFrame(OPCODE.text, m)),
      serverFrame(OPCODE.binary, Buffer.from([1, 2, 3])),
      serverFrame(OPCODE.ping, Buffer.from('hi')),
    ]);
    const expected = [
      ...messages.map((m) => ({ opcode: OPCODE.text, length: m.length, prefix: m.subarray(0, 16).toString('latin1') })),
      { opcode: OPCODE.binary, length: 3, prefix: '\u0001\u0002\u0003' },
      { opcode: OPCODE.ping, length: 2, prefix: 'hi' },
    ];
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        expect(read(split(stream, cuts))).toEqual({ seen: expected, errors: [] });
      }),
      { seed: 3, numRuns: 200 },
    );
    // One byte at a time.
    expect(read([...stream].map((b) => Buffer.from([b]))).seen).toEqual(expected);
  });

  it('joins a fragmented message, with a control frame between its fragments', () => {
    const stream = Buffer.concat([
      serverFrame(OPCODE.text, Buffer.from('{"chan'), false),
      serverFrame(OPCODE.ping, Buffer.from('p')),
      serverFrame(OPCODE.continuation, Buffer.from('nel":"bbo"'), false),
      serverFrame(OPCODE.continuation, Buffer.from('}'), true),
    ]);
    expect(read([stream], 64).seen).toEqual([
      { opcode: OPCODE.ping, length: 1, prefix: 'p' },
      { opcode: OPCODE.text, length: 17, prefix: '{"channel":"bbo"}' },
    ]);
  });

  it('reports protocol errors: a masked server frame, a reserved opcode, an oversized control frame, a stray continuation', () => {
    expect(read([clientFrame(OPCODE.text, Buffer.from('x'))]).errors).toEqual(['a masked frame from the server']);
    expect(read([serverFrame(0x3, Buffer.from('x'))]).errors).toEqual(['reserved data opcode 3']);
    expect(read([serverFrame(OPCODE.ping, Buffer.alloc(126))]).errors).toEqual(['a control frame over 125 bytes or fragmented']);
    expect(read([serverFrame(OPCODE.continuation, Buffer.from('x'))]).errors).toEqual(['a continuation frame without a message']);
  });

  it('masks client frames so that unmasking gives the payload back', () => {
    for (const len of [0, 5, 125, 126, 70_000]) {
      const payload = Buffer.from(Array.from({ length: len }, (_, i) => i % 251));
      const f = clientFrame(OPCODE.text, payload, 0xdeadbeef);
      const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
      expect(f[0]).toBe(0x81);
      expect((f[1] ?? 0) & 0x80).toBe(0x80);
      const mask = f.subarray(2 + ext, 6 + ext);
      const body = f.subarray(6 + ext);
      expect(Buffer.from(body.map((b, i) => b ^ (mask[i & 3] ?? 0)))).toEqual(payload);
    }
  });
});
