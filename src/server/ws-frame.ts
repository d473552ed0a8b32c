/**
 * A server→client WebSocket text frame (RFC 6455 §5.2: FIN, opcode 1, unmasked), built
 * once for all the clients that get it: server frames are unmasked, so the bytes on the
 * wire are the same for every client.
 */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const headLen = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headLen + n);
  out[0] = 0x81;
  if (n < 126) {
    out[1] = n;
  } else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(out, headLen);
  return out;
}
