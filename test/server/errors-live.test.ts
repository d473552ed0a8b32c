/**
 * Every error of protocol.md over a real socket: the exact text, and that the connection
 * stays open after it (a ping still gets its pong), except where the protocol closes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestClient } from './helpers/client.js';
import { harness, type Harness } from './helpers/harness.js';
import { makeMarket } from './helpers/market.js';

let h: Harness;
let c: TestClient;

beforeEach(async () => {
  const m = makeMarket({ seed: 3, blocks: 1 });
  h = await harness();
  h.feed.load(m.snapshot, m.snapshotTime);
  c = await h.client();
});
afterEach(async () => {
  await h.close();
});

/** Send raw text, expect exactly one error frame with `text`, and the connection still serving. */
async function expectError(sent: string, text: string): Promise<void> {
  c.send(sent);
  const frames = await c.untilPong();
  expect(frames).toEqual([{ channel: 'error', data: text }]);
  expect(c.closed).toBeNull();
}

describe('bad requests get an error frame and the connection stays open', () => {
  it('Invalid subscription: unknown type, unknown coin, bad parameters (object quoted as sent)', async () => {
    await expectError(
      '{"method":"subscribe","subscription":{"type":"candle","coin":"ETH","interval":"2m"}}',
      'Invalid subscription {"type":"candle","coin":"ETH","interval":"2m"}',
    );
    await expectError(
      '{"method":"subscribe","subscription":{"type":"candle","coin":"DOGE","interval":"1m"}}',
      'Invalid subscription {"type":"candle","coin":"DOGE","interval":"1m"}',
    );
    await expectError('{"method":"subscribe","subscription":{"type":"l2Book","coin":"DOGE"}}', 'Invalid subscription {"type":"l2Book","coin":"DOGE"}');
    await expectError(
      '{"method":"subscribe","subscription":{"coin":"ETH","type":"l2Book","nSigFigs":7,"mantissa":null}}',
      'Invalid subscription {"coin":"ETH","type":"l2Book","nSigFigs":7,"mantissa":null}',
    );
    await expectError(
      '{"method":"subscribe","subscription":{"type":"l2Book","coin":"ETH","nSigFigs":4,"mantissa":2}}',
      'Invalid subscription {"type":"l2Book","coin":"ETH","nSigFigs":4,"mantissa":2}',
    );
    await expectError('{"method":"subscribe","subscription":{"type":"l4Book","coin":"@9999"}}', 'Invalid subscription {"type":"l4Book","coin":"@9999"}');
    await expectError(
      '{"method":"subscribe","subscription":{"type":"l2Book","coin":"ETH","nLevels":101}}',
      'Invalid subscription {"type":"l2Book","coin":"ETH","nLevels":101}',
    );
  });

  it('Already subscribed, also for the same view written differently', async () => {
    c.send({ method: 'subscribe', subscription: { type: 'trades', coin: 'PURR/USDC' } });
    c.send({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'ETH' } });
    await c.untilPong();
    await expectError('{"method":"subscribe","subscription":{"type":"trades","coin":"PURR/USDC"}}', 'Already subscribed: {"type":"trades","coin":"PURR/USDC"}');
    await expectError(
      '{"method":"subscribe","subscription":{"type":"l2Book","coin":"ETH","nSigFigs":null,"nLevels":20}}',
      'Already subscribed: {"type":"l2Book","coin":"ETH","nSigFigs":null,"nLevels":20}',
    );
  });

  it('Already unsubscribed', async () => {
    await expectError('{"method":"unsubscribe","subscription":{"type":"bbo","coin":"ETH"}}', 'Already unsubscribed: {"type":"bbo","coin":"ETH"}');
    c.send({ method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } });
    c.send({ method: 'unsubscribe', subscription: { type: 'bbo', coin: 'ETH' } });
    await c.untilPong();
    await expectError('{"method":"unsubscribe","subscription":{"type":"bbo","coin":"ETH"}}', 'Already unsubscribed: {"type":"bbo","coin":"ETH"}');
  });

  it('Error parsing JSON: not JSON, unknown method, missing subscription; quoted up to 1,000 characters', async () => {
    await expectError('hello', 'Error parsing JSON into valid websocket request: hello');
    await expectError('{"method":"dance"}', 'Error parsing JSON into valid websocket request: {"method":"dance"}');
    await expectError('{"method":"subscribe"}', 'Error parsing JSON into valid websocket request: {"method":"subscribe"}');
    const long = `{"method":"subscribe","junk":"${'z'.repeat(3000)}"`;
    await expectError(long, `Error parsing JSON into valid websocket request: ${long.slice(0, 1000)}`);
  });

  it('Too many subscriptions past 1,000 on one connection', async () => {
    const coins = ['ETH', '@107', 'PURR/USDC', 'xyz:ABC'];
    const figs = [null, 2, 3, 4, 5];
    let n = 0;
    outer: for (const coin of coins) {
      for (const nSigFigs of figs) {
        for (let nLevels = 1; nLevels <= 100; nLevels++) {
          c.send({ method: 'subscribe', subscription: { type: 'l2Book', coin, nSigFigs, nLevels } });
          if (++n === 1000) break outer;
        }
      }
    }
    const frames = await c.untilPong();
    expect(frames.filter((f) => f.channel === 'subscriptionResponse')).toHaveLength(1000);
    expect(frames.filter((f) => f.channel === 'error')).toEqual([]);
    await expectError('{"method":"subscribe","subscription":{"type":"bbo","coin":"ETH"}}', 'Too many subscriptions: {"type":"bbo","coin":"ETH"}');
    // Unsubscribing makes room again.
    c.send({ method: 'unsubscribe', subscription: { type: 'l2Book', coin: 'ETH', nSigFigs: null, nLevels: 1 } });
    c.send({ method: 'subscribe', subscription: { type: 'bbo', coin: 'ETH' } });
    const after = await c.untilPong();
    expect(after.filter((f) => f.channel === 'subscriptionResponse')).toHaveLength(2);
  });

  it('Binary frames are not supported', async () => {
    c.ws.send(Buffer.from('{"method":"ping"}'), { binary: true });
    const frames = await c.untilPong();
    expect(frames).toEqual([{ channel: 'error', data: 'Binary frames are not supported' }]);
  });

  it('answers ping with pong', async () => {
    const r = await c.request({ method: 'ping' }, () => true);
    expect(r).toEqual({ channel: 'pong' });
    expect(c.texts.at(-1)).toBe('{"channel":"pong"}');
  });
});

describe('limits that close the connection', () => {
  it('closes a frame over 64 KiB with 1009 "Message too big"', async () => {
    c.send(`{"method":"ping","pad":"${'x'.repeat(64 * 1024)}"}`);
    expect(await c.waitClosed()).toEqual({ code: 1009, reason: 'Message too big' });
    // Others are unaffected.
    const other = await h.client();
    expect(await other.request({ method: 'ping' }, () => true)).toEqual({ channel: 'pong' });
  });

  it('takes a frame of exactly 64 KiB', async () => {
    const head = '{"method":"ping","pad":"';
    const text = head + 'x'.repeat(64 * 1024 - head.length - 2) + '"}';
    expect(Buffer.byteLength(text)).toBe(64 * 1024);
    c.send(text);
    expect(await c.channel('pong')).toEqual({ channel: 'pong' });
  });

  it('refuses frames past 2,000 a minute with "Rate limit exceeded", then closes with 1008 if they continue', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 2050; i++) c.send('{"method":"ping"}');
    const first = await c.next((f) => f.channel === 'error');
    expect(first).toEqual({ channel: 'error', data: 'Rate limit exceeded' });
    expect(c.closed).toBeNull();
    for (let i = 0; i < 300 && c.ws.readyState === c.ws.OPEN; i++) c.send('{"method":"ping"}');
    expect(await c.waitClosed()).toEqual({ code: 1008, reason: 'Rate limit exceeded' });
    // The budget is 2,000 a minute, refilled continuously.
    const pongs = c.frames.filter((f) => f.channel === 'pong').length;
    expect(pongs).toBeGreaterThanOrEqual(2000);
    expect(pongs).toBeLessThanOrEqual(2001 + Math.ceil(((Date.now() - t0) * 2000) / 60_000));
  });
});
