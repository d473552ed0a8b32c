/**
 * What a hostile or broken client sends, generated from a seed: bad JSON, wrong types,
 * huge numbers, deep nesting, unknown methods and mutations of valid frames. Each frame is
 * at most `maxBytes` long (the server's 64 KiB inbound bound is tested separately).
 */
import { seededRandom } from '../../src/util/rng.js';

export type Rng = () => number;

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const WEIRD_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  2 ** 64,
  '',
  ' ',
  'BTC',
  'btc',
  '@107',
  'PURR/USDC',
  'xyz:ABC',
  '\u0000',
  '\uD800',
  '😀'.repeat(10),
  'x'.repeat(5000),
  [],
  {},
  [1, 2, 3],
  { a: { b: { c: 1 } } },
  '__proto__',
  'constructor',
  'toString',
  'l2Book',
  'NaN',
  'Infinity',
  '-0',
  '0x10',
  '1e5',
];

const TYPES = ['l2Book', 'trades', 'bbo', 'allMids', 'l4Book', 'serverStatus', 'candle', 'userFills', 'notification', 'webData2', ''];
const METHODS = ['subscribe', 'unsubscribe', 'ping', 'post', 'SUBSCRIBE', 'subscribe ', 'pong', 'hello', ''];
const KEYS = ['type', 'coin', 'nSigFigs', 'mantissa', 'nLevels', 'fast', 'dex', 'bookOnly', 'user', 'interval', '__proto__', 'constructor'];

function weird(r: Rng): unknown {
  return pick(r, WEIRD_VALUES);
}

/** A subscription that is plausible but often wrong: types, coins, parameters. */
export function mangledSubscription(r: Rng): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  s.type = r() < 0.8 ? pick(r, TYPES) : weird(r);
  if (r() < 0.8) s.coin = r() < 0.5 ? pick(r, ['BTC', 'ETH', 'SOL', '@107', 'NOPE', 'xyz:ABC']) : weird(r);
  const extra = Math.floor(r() * 3);
  for (let i = 0; i < extra; i++) {
    const k = pick(r, KEYS);
    // JSON.stringify writes an own "__proto__" key when defined this way.
    Object.defineProperty(s, k, { value: r() < 0.5 ? Math.floor(r() * 12) - 2 : weird(r), enumerable: true, configurable: true, writable: true });
  }
  return s;
}

function nested(depth: number, open: string, close: string, inner: string): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

/** One hostile text frame. */
export function hostileFrame(r: Rng, maxBytes = 60_000): string {
  // Deep nesting (6, 7) is costly to parse: a third as often as the other kinds.
  const roll = Math.floor(r() * 32);
  const kind = roll < 30 ? ([0, 1, 2, 3, 4, 5, 8, 9, 10, 11][roll % 10] ?? 0) : roll - 24;
  let f: string;
  switch (kind) {
    case 0: // not JSON at all
      f = pick(r, [
        '',
        ' ',
        'null',
        'true',
        '42',
        '"subscribe"',
        '[]',
        '{',
        '}',
        '{"method":',
        'undefined',
        '\u0000\u0001',
        '{method:"ping"}',
        "{'method':'ping'}",
      ]);
      break;
    case 1: // random printable garbage
      f = Array.from({ length: 1 + Math.floor(r() * 200) }, () => String.fromCharCode(32 + Math.floor(r() * 95))).join('');
      break;
    case 2: // wrong method or shape
      f = JSON.stringify({ method: r() < 0.7 ? pick(r, METHODS) : weird(r), subscription: r() < 0.5 ? weird(r) : mangledSubscription(r) });
      break;
    case 3: // subscription with wrong types
    case 4:
      f = JSON.stringify({ method: pick(r, ['subscribe', 'unsubscribe']), subscription: mangledSubscription(r) });
      break;
    case 5: // huge numbers, as text the JSON parser has to take
      f = `{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC","nSigFigs":${pick(r, ['1e400', '-1e400', '123456789012345678901234567890', '5.0000000000000001', '-0', '1E-400'])}}}`;
      break;
    case 6: // deep nesting
      f = JSON.stringify({ method: 'subscribe', subscription: 'X' }).replace('"X"', nested(Math.floor(r() * 20_000), '[', ']', '1'));
      break;
    case 7: // deep objects: the parser takes them, a recursive JSON.stringify may not
      f = `{"method":"${pick(r, ['subscribe', 'unsubscribe'])}","subscription":{"type":"bbo","coin":"ETH","x":${nested(Math.floor(r() * 8000), '{"a":', '}', '1')}}}`;
      break;
    case 8: // post with bad payloads
      f = JSON.stringify({
        method: 'post',
        id: r() < 0.5 ? weird(r) : Math.floor(r() * 1e6),
        request: r() < 0.3 ? weird(r) : { type: pick(r, ['info', 'action', 'x']), payload: r() < 0.5 ? weird(r) : mangledSubscription(r) },
      });
      break;
    case 9: // duplicate keys and prototype pollution attempts
      f = `{"method":"subscribe","method":"unsubscribe","subscription":{"type":"bbo","coin":"BTC","__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}}`;
      break;
    case 10: // a valid frame, mutated
      f = mutate(r, JSON.stringify({ method: 'subscribe', subscription: { type: pick(r, ['l2Book', 'bbo', 'trades']), coin: 'BTC' } }));
      break;
    default: // ping with junk around it
      f = JSON.stringify({ method: 'ping', junk: weird(r) });
  }
  while (Buffer.byteLength(f) > maxBytes) f = f.slice(0, Math.floor(f.length * 0.9));
  return f;
}

/** Flips, deletes, duplicates or inserts a few characters. */
export function mutate(r: Rng, s: string): string {
  let out = s;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n && out.length > 0; i++) {
    const at = Math.floor(r() * out.length);
    const op = Math.floor(r() * 4);
    if (op === 0) out = out.slice(0, at) + out.slice(at + 1);
    else if (op === 1) out = out.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + out.slice(at + 1);
    else if (op === 2) out = out.slice(0, at) + out.slice(at, at + 5) + out.slice(at);
    else out = out.slice(0, at) + pick(r, ['"', '{', '}', '[', ']', ',', ':', '\\', 'null', '1e999']) + out.slice(at);
  }
  return out;
}

/** `count` hostile frames from `seed`. */
export function hostileFrames(seed: number, count: number): string[] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => hostileFrame(r));
}
