import { describe, expect, it } from 'vitest';
import { parseClientFrame } from '../../src/server/frames.js';

describe('parseClientFrame', () => {
  it('keeps the subscription object exactly as sent (order, nulls, unknown keys)', () => {
    const r = parseClientFrame('{"method":"subscribe","subscription":{"coin":"BTC","type":"l2Book","nSigFigs":null,"x":1}}');
    expect(r.ok && r.request.method === 'subscribe' && JSON.stringify(r.request.subscription)).toBe('{"coin":"BTC","type":"l2Book","nSigFigs":null,"x":1}');
  });

  it('parses ping, unsubscribe and post', () => {
    expect(parseClientFrame('{"method":"ping"}')).toEqual({ ok: true, request: { method: 'ping' } });
    expect(parseClientFrame('{"method":"unsubscribe","subscription":{"type":"bbo","coin":"ETH"}}')).toEqual({
      ok: true,
      request: { method: 'unsubscribe', subscription: { type: 'bbo', coin: 'ETH' } },
    });
    expect(parseClientFrame('{"method":"post","id":7,"request":{"type":"info","payload":{"type":"meta"}}}')).toEqual({
      ok: true,
      request: { method: 'post', id: 7, request: { type: 'info', payload: { type: 'meta' } } },
    });
  });

  it('refuses text that is not JSON or not a known method with the public API error text', () => {
    for (const text of [
      'nope',
      '{"method":"dance"}',
      '[]',
      'null',
      '{"method":"subscribe"}',
      '{"method":"subscribe","subscription":"BTC"}',
      '{"method":"post","id":"x","request":{"type":"info"}}',
    ]) {
      expect(parseClientFrame(text)).toEqual({ ok: false, error: `Error parsing JSON into valid websocket request: ${text}` });
    }
  });

  it('quotes at most 1,000 characters of a bad frame', () => {
    const text = 'x'.repeat(5000);
    const r = parseClientFrame(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe(`Error parsing JSON into valid websocket request: ${'x'.repeat(1000)}`);
  });
});
