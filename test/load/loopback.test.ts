import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseLoopbackWsUrl } from '../../src/load/loopback.js';

describe('the load tool targets only this machine', () => {
  it('accepts 127.0.0.0/8, localhost and ::1', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '[::1]', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    expect(parseLoopbackWsUrl('ws://[::1]:8000/ws').port).toBe('8000');
  });

  it('refuses every other host with an error that says why', () => {
    for (const h of ['128.0.0.1', '10.0.0.1', '0.0.0.0', 'example.com', 'localhost.example.com', '127.example.com', '::2']) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
    expect(() => parseLoopbackWsUrl('ws://api.hyperliquid.xyz/ws')).toThrow(/refusing host api\.hyperliquid\.xyz: the load tool only targets this machine/);
    expect(() => parseLoopbackWsUrl('http://127.0.0.1:8000/ws')).toThrow(/not a ws:\/\/ or wss:\/\/ URL/);
    expect(() => parseLoopbackWsUrl('127.0.0.1:8000')).toThrow(/not a URL|not a ws/);
    expect(() => parseLoopbackWsUrl('nonsense')).toThrow(/not a URL/);
  });
});
