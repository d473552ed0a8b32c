/**
 * Hostile clients against a real server: thousands of random and mutated frames (bad JSON,
 * wrong types, huge numbers, deep nesting), a flood past the rate limit, 1,000+
 * subscriptions, binary frames, a frame over 64 KiB, invalid UTF-8 and a client that never
 * reads. The server must answer every frame with one of protocol.md's answers or close that
 * client, and a well-behaved client on the same server must get every block.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { BlockChange } from '../../src/book/index.js';
import { harness, type Harness } from '../server/helpers/harness.js';
import { makeMarket } from '../server/helpers/market.js';
import { MAX_NESTING, nestsDeeperThan } from '../../src/server/frames.js';
import { hostileFrames } from './hostile-frames.js';

/** Every error text protocol.md allows. */
const ERROR_TEXT =
  /^(Invalid subscription |Already subscribed: |Already unsubscribed: |Error parsing JSON into valid websocket request: |Too many subscriptions: |Rate limit exceeded$|Binary frames are not supported$)/;
/** Channels that answer a request (one per request). */
const ANSWERS = new Set(['subscriptionResponse', 'error', 'pong', 'post']);
/** Channels that carry data of a subscription. */
const DATA = new Set(['l2Book', 'trades', 'bbo', 'allMids', 'l4Book', 'serverStatus']);

/** A client that records what the server did with it, and anything outside the protocol. */
class Recorder {
  answers = 0;
  errors: string[] = [];
  violations: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];
  pongs = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return this.violate('a binary frame from the server');
      let f: { channel?: unknown; data?: unknown };
      try {
        f = JSON.parse(data.toString('utf8')) as typeof f;
      } catch {
        return this.violate(`not JSON: ${data.toString('utf8', 0, 200)}`);
      }
      const channel = String(f.channel);
      if (ANSWERS.has(channel)) this.answers++;
      else if (!DATA.has(channel)) this.violate(`unknown channel ${channel}`);
      if (channel === 'pong') this.pongs++;
      if (channel === 'error') {
        const text = String(f.data);
        this.errors.push(text);
        if (!ERROR_TEXT.test(text)) this.violate(`error text not in protocol.md: ${text.slice(0, 200)}`);
      }
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  static open(url: string): Promise<Recorder> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const r = new Recorder(ws);
      ws.once('open', () => resolve(r));
      ws.once('error', reject);
    });
  }

  private violate(what: string): void {
    if (this.violations.length < 10) this.violations.push(what);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `cond` holds or the socket closed (waits for frames, never sleeps). */
  async until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond() && this.closed === null) {
      if (Date.now() > deadline) throw new Error(`timed out: ${this.answers} answers, last errors ${this.errors.slice(-2).join(' | ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(frame: string | Buffer, binary = false): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame, { binary });
  }
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

let h: Harness | null = null;
const recorders: Recorder[] = [];
afterEach(async () => {
  for (const r of recorders.splice(0)) r.ws.terminate();
  await h?.close();
  h = null;
});

describe('hostile clients', () => {
  it('get an answer from protocol.md for every frame or are closed, while a good client gets every block', async () => {
    const BLOCKS = 80;
    const FUZZERS = 10;
    const PER_BLOCK = 5;
    const m = makeMarket({ seed: 11, blocks: BLOCKS });
    // Info requests the server forwards go to a port nobody listens on: they fail fast.
    h = await harness({ infoUrl: `http://127.0.0.1:${await closedPort()}/info`, maxClientUnsentBytes: 4 * 1024 * 1024 });
    h.feed.load(m.snapshot, m.snapshotTime);
    const url = h.server.url;

    const good = await h.client();
    for (const subscription of [
      { type: 'l4Book', coin: 'ETH' },
      { type: 'trades', coin: 'ETH' },
      { type: 'l2Book', coin: 'xyz:ABC' },
      { type: 'bbo', coin: '@107' },
    ]) {
      await good.request({ method: 'subscribe', subscription }, (f) => f.channel === 'subscriptionResponse');
    }
    good.skipAll();
    const firstFrame = good.frames.length;

    const open = async (): Promise<Recorder> => {
      const r = await Recorder.open(url);
      recorders.push(r);
      return r;
    };
    const fuzzers = await Promise.all(Array.from({ length: FUZZERS }, open));
    const frames = fuzzers.map((_, i) => hostileFrames(1000 + i, BLOCKS * PER_BLOCK));
    const flooder = await open();
    const hoarder = await open();
    const binary = await open();
    const tooBig = await open();
    const badUtf8 = await open();
    // Subscribes to much and never reads its socket.
    const sluggard = await open();
    (sluggard.ws as unknown as { _socket: Socket })._socket.pause();
    const markets = ['ETH', '@107', 'PURR/USDC', 'xyz:ABC', 'xyz:DEF'];
    for (const coin of markets) sluggard.send(JSON.stringify({ method: 'subscribe', subscription: { type: 'l4Book', coin } }));
    for (const coin of markets) {
      for (let nLevels = 1; nLevels <= 100; nLevels++) sluggard.send(JSON.stringify({ method: 'subscribe', subscription: { type: 'l2Book', coin, nLevels } }));
    }

    const changes: BlockChange[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const block = m.blocks[b];
      if (!block) break;
      changes.push(h.feed.apply(block));
      fuzzers.forEach((f, i) => {
        for (const text of frames[i]?.slice(b * PER_BLOCK, (b + 1) * PER_BLOCK) ?? []) f.send(text);
      });
      if (b === 10) for (let i = 0; i < 2300; i++) flooder.send('{"method":"ping"}');
      if (b === 20) {
        let n = 0;
        outer: for (const coin of markets) {
          for (const nSigFigs of [null, 2, 3, 4, 5]) {
            for (let nLevels = 1; nLevels <= 100; nLevels++) {
              hoarder.send(JSON.stringify({ method: 'subscribe', subscription: { type: 'l2Book', coin, nSigFigs, nLevels } }));
              if (++n === 1005) break outer;
            }
          }
        }
      }
      if (b === 30) for (let i = 0; i < 3; i++) binary.send(Buffer.from([0x7b, 0x7d, i]), true);
      if (b === 40) tooBig.send(JSON.stringify({ method: 'ping', pad: 'x'.repeat(70 * 1024) }));
      if (b === 50) badUtf8.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
      // A round trip per block lets the server read everything sent so far.
      await good.sync();
    }

    // The good client: every ETH block as an l4Book update, in order; every ETH trade.
    await good.sync();
    const got = good.frames.slice(firstFrame);
    expect(good.closed).toBeNull();
    expect(got.filter((f) => f.channel === 'error')).toEqual([]);
    const updates = got.filter((f) => f.channel === 'l4Book').map((f) => (f.data as { Updates?: { height: number } }).Updates?.height);
    const ethHeights = changes.filter((c) => c.coins.has('ETH')).map((c) => c.height);
    expect(ethHeights.length).toBeGreaterThan(BLOCKS / 2);
    expect(updates).toEqual(ethHeights);
    const tids = got.filter((f) => f.channel === 'trades').flatMap((f) => (f.data as Array<{ tid: number }>).map((t) => t.tid));
    expect(tids).toEqual(changes.flatMap((c) => (c.trades.get('ETH') ?? []).map((t) => t.tid)));
    expect(tids.length).toBeGreaterThan(0);

    // Each fuzzer: one answer per frame (a final ping included), or closed with a reason.
    let sent = 0;
    for (const [i, f] of fuzzers.entries()) {
      f.send('{"method":"ping"}');
      const expected = (frames[i]?.length ?? 0) + 1;
      sent += expected;
      await f.until(() => f.answers >= expected);
      expect(f.violations, `fuzzer ${i}`).toEqual([]);
      if (f.closed) expect([1008, 1009], `fuzzer ${i} closed ${JSON.stringify(f.closed)}`).toContain(f.closed.code);
      else expect(f.answers, `fuzzer ${i}`).toBe(expected);
    }
    expect(sent).toBeGreaterThanOrEqual(FUZZERS * BLOCKS * PER_BLOCK);
    expect(fuzzers.filter((f) => f.closed === null).length).toBeGreaterThan(FUZZERS / 2);

    // The flood: closed with 1008 (what it had queued may go with it), about 2,000 pongs at most (the budget refills at 2,000 a minute).
    await flooder.until(() => false);
    expect(flooder.closed).toEqual({ code: 1008, reason: 'Rate limit exceeded' });
    expect(flooder.pongs).toBeLessThan(2100);
    expect(flooder.errors.every((e) => e === 'Rate limit exceeded')).toBe(true);

    // 1,005 subscriptions: 1,000 acknowledged, then refused one by one.
    await hoarder.until(() => hoarder.answers >= 1005);
    expect(hoarder.errors).toHaveLength(5);
    expect(hoarder.errors.every((e) => e.startsWith('Too many subscriptions: {"type":"l2Book"'))).toBe(true);

    for (const r of [binary, hoarder]) {
      const before = r.pongs;
      r.send('{"method":"ping"}');
      await r.until(() => r.pongs > before);
      expect(r.closed).toBeNull();
    }
    expect(binary.errors).toEqual(Array(3).fill('Binary frames are not supported'));
    await tooBig.until(() => false);
    expect(tooBig.closed).toEqual({ code: 1009, reason: 'Message too big' });
    await badUtf8.until(() => false);
    expect(badUtf8.closed?.code).toBe(1007);

    for (const r of [...fuzzers, flooder, hoarder, binary, tooBig, badUtf8]) expect(r.violations).toEqual([]);

    // The server still serves, ready, to a newcomer.
    const res = await fetch(`${h.server.httpUrl}/health`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { state: string }).state).toBe('ready');
    const late = await h.client();
    const l2 = await late.request({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'ETH' } }, (f) => f.channel === 'l2Book');
    expect((l2.data as { coin: string }).coin).toBe('ETH');
  });

  it('answers a request nested thousands deep with the parse error instead of crashing (a recursive JSON.stringify overflowed the stack)', async () => {
    const m = makeMarket({ seed: 2, blocks: 2 });
    h = await harness({ infoUrl: `http://127.0.0.1:${await closedPort()}/info` });
    h.feed.load(m.snapshot, m.snapshotTime);
    const c = await Recorder.open(h.server.url);
    recorders.push(c);
    const deep = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    const frames = [
      `{"method":"subscribe","subscription":{"type":"bbo","coin":"ETH","x":${deep(6000)}}}`,
      `{"method":"unsubscribe","subscription":{"type":"bbo","x":${deep(6000)}}}`,
      `{"method":"post","id":1,"request":{"type":"info","payload":{"type":"l3","x":${deep(6000)}}}}`,
      `{"method":"subscribe","subscription":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
    ];
    for (const f of frames) c.send(f);
    c.send('{"method":"ping"}');
    await c.until(() => c.pongs === 1);
    expect(c.closed).toBeNull();
    expect(c.errors).toEqual(frames.map((f) => `Error parsing JSON into valid websocket request: ${f.slice(0, 1000)}`));
    // Nesting a real request uses stays accepted.
    expect(nestsDeeperThan('{"method":"post","id":1,"request":{"type":"info","payload":{"type":"l2Book","coin":"ETH"}}}', MAX_NESTING)).toBe(false);
    expect(nestsDeeperThan(`{"a":"${'{'.repeat(100)}"}`, MAX_NESTING)).toBe(false);
    // An escaped quote does not end the string; an escaped backslash before a quote does.
    expect(nestsDeeperThan(`{"a":"\\"${'{'.repeat(100)}"}`, MAX_NESTING)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\\\"${'{'.repeat(100)}`, MAX_NESTING)).toBe(true);
    const ok = await h.client();
    const f = await ok.request({ method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } }, (x) => x.channel === 'bbo');
    expect((f.data as { coin: string }).coin).toBe('ETH');
  });
});
