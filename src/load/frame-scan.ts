/**
 * What the load tool needs from a server frame, read straight from its bytes: the channel,
 * the coin and the block time. A frame is never decoded or parsed whole (a BTC l4Book
 * frame is megabytes, and thousands of clients each receive every frame): `Buffer.indexOf`
 * finds the keys with memchr speed, and only the few bytes of the values become strings.
 *
 * It relies on the server's field order (`channel` first; the data's own `coin` and `time`
 * before any nested object's), which protocol.md's shapes have: `{"coin","time",…}` for
 * l2Book and bbo, `[{"coin",…,"time",…}]` for trades, `{"Updates":{"time",…}}` for l4Book.
 */

const CHANNEL = Buffer.from('"channel":');
const COIN = Buffer.from('"coin":');
const TIME = Buffer.from('"time":');

const QUOTE = 0x22;
const SPACE = 0x20;
const ZERO = 0x30;
const NINE = 0x39;

export interface FrameFacts {
  /** The `channel` value, or '' when absent. */
  channel: string;
  /** The first `coin` value, or '' when absent (l4Book Updates, allMids…). */
  coin: string;
  /** The first numeric `time` value (ms), or -1 when absent or not a number. */
  time: number;
}

/** Index of the first byte after `key` and any spaces, or -1. */
function valueStart(buf: Buffer, key: Buffer, from = 0): number {
  const at = buf.indexOf(key, from);
  if (at < 0) return -1;
  let i = at + key.length;
  while (i < buf.length && buf[i] === SPACE) i++;
  return i;
}

/** A short JSON string value at `start` (which must be the opening quote); '' if not. */
function stringAt(buf: Buffer, start: number, maxLen = 128): string {
  if (start < 0 || buf[start] !== QUOTE) return '';
  const end = buf.indexOf(QUOTE, start + 1);
  if (end < 0 || end - start - 1 > maxLen) return '';
  return buf.toString('latin1', start + 1, end);
}

/** The channel only (cheapest: for counting frames by kind). */
export function scanChannel(buf: Buffer): string {
  return stringAt(buf, valueStart(buf, CHANNEL));
}

/** The block time of a frame in ms, or -1. */
export function scanTime(buf: Buffer): number {
  let i = valueStart(buf, TIME);
  if (i < 0) return -1;
  let t = 0;
  let digits = 0;
  for (; i < buf.length; i++) {
    const c = buf[i] ?? 0;
    if (c < ZERO || c > NINE) break;
    t = t * 10 + (c - ZERO);
    digits++;
  }
  // Not a number (node statuses carry an ISO string `time`), or implausibly long.
  return digits === 0 || digits > 16 ? -1 : t;
}

export function scanFrame(buf: Buffer): FrameFacts {
  return {
    channel: scanChannel(buf),
    coin: stringAt(buf, valueStart(buf, COIN)),
    time: scanTime(buf),
  };
}
