/**
 * The pieces of access control on their own: token matching (any of several, never a missing
 * or a near one), where a token is read from, loopback addresses, the start-up warnings and
 * the per-IP count against a naive model.
 */
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectionsPerIp, TokenSet, clientIp, exposureWarnings, isLoopback, loggableUrl, presentedToken } from '../../src/server/access.js';

function req(url: string, authorization?: string): IncomingMessage {
  return { url, headers: authorization === undefined ? {} : { authorization } } as IncomingMessage;
}

describe('TokenSet', () => {
  const set = new TokenSet(['alpha-token-0123456789', 'beta-token-9876543210']);

  it('accepts each configured token and nothing else', () => {
    expect(set.enabled).toBe(true);
    expect(set.accepts('alpha-token-0123456789')).toBe(true);
    expect(set.accepts('beta-token-9876543210')).toBe(true);
    for (const bad of [undefined, '', 'alpha-token-012345678', 'alpha-token-01234567890', 'ALPHA-TOKEN-0123456789', 'beta-token-9876543210 '])
      expect(set.accepts(bad)).toBe(false);
  });

  it('matches exactly what a naive comparison matches, for any strings', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { maxLength: 4 }), fc.string(), (tokens, presented) => {
        const s = new TokenSet(tokens);
        expect(s.accepts(presented)).toBe(tokens.includes(presented));
        expect(s.enabled).toBe(tokens.length > 0);
      }),
    );
  });

  it('without tokens allows every request; with tokens only a request presenting one', () => {
    expect(new TokenSet([]).allows(req('/info'))).toBe(true);
    expect(set.allows(req('/info'))).toBe(false);
    expect(set.allows(req('/info', 'Bearer alpha-token-0123456789'))).toBe(true);
    expect(set.allows(req('/ws?token=beta-token-9876543210'))).toBe(true);
    expect(set.allows(req('/ws?token=nope'))).toBe(false);
  });
});

describe('presentedToken', () => {
  it('reads Authorization: Bearer (any case, spaces around), else ?token=', () => {
    expect(presentedToken(req('/ws', 'Bearer abc'))).toBe('abc');
    expect(presentedToken(req('/ws', 'bearer \tabc '))).toBe('abc');
    expect(presentedToken(req('/ws?x=1&token=a%2Bb'))).toBe('a+b');
    expect(presentedToken(req('/ws?token=q', 'Bearer h'))).toBe('h');
    // Another scheme is no bearer token; the query still counts.
    expect(presentedToken(req('/ws?token=q', 'Basic dXNlcjpwYXNz'))).toBe('q');
    expect(presentedToken(req('/ws', 'Basic dXNlcjpwYXNz'))).toBeUndefined();
    expect(presentedToken(req('/ws?token='))).toBeUndefined();
    expect(presentedToken(req('/ws'))).toBeUndefined();
    expect(presentedToken(req('/ws', 'Bearer a b'))).toBeUndefined();
  });

  it('never lets a token reach a log line through the URL', () => {
    expect(loggableUrl('/ws?token=secret')).toBe('/ws?…');
    expect(loggableUrl('/info')).toBe('/info');
  });
});

describe('where the server listens', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '::ffff:10.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('warns when listening beyond loopback without a token, and about short tokens', () => {
    expect(exposureWarnings('127.0.0.1', [])).toEqual([]);
    const [w] = exposureWarnings('0.0.0.0', []);
    expect(w).toMatch(/listening on 0\.0\.0\.0.*without --auth-token/);
    expect(exposureWarnings('0.0.0.0', ['a-long-enough-token-1234'])).toEqual([]);
    expect(exposureWarnings('127.0.0.1', ['short'])[0]).toMatch(/shorter than 16/);
  });

  it('counts IPv4-mapped IPv6 addresses as their IPv4', () => {
    expect(clientIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientIp('::1')).toBe('::1');
    expect(clientIp(undefined)).toBe('unknown');
  });
});

describe('ConnectionsPerIp', () => {
  it('agrees with a naive count over any sequence of opens and closes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.array(fc.tuple(fc.boolean(), fc.constantFrom('a', 'b', 'c')), { maxLength: 60 }), (max, ops) => {
        const c = new ConnectionsPerIp(max);
        const model = new Map<string, number>();
        for (const [open, ip] of ops) {
          const n = model.get(ip) ?? 0;
          if (open) {
            const ok = max === 0 || n < max;
            expect(c.acquire(ip)).toBe(ok);
            if (ok) model.set(ip, n + 1);
          } else if (n > 0) {
            c.release(ip);
            model.set(ip, n - 1);
          }
          expect(c.count(ip)).toBe(model.get(ip) ?? 0);
        }
      }),
    );
  });
});
