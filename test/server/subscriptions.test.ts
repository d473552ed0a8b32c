import { describe, expect, it } from 'vitest';
import { dexOf, parseSubscription, viewKey } from '../../src/server/subscriptions.js';

describe('parseSubscription', () => {
  it('fills l2Book defaults: full precision, 20 levels, 5 with fast', () => {
    expect(parseSubscription({ type: 'l2Book', coin: 'BTC' })).toEqual({ type: 'l2Book', coin: 'BTC', nSigFigs: null, mantissa: null, nLevels: 20 });
    expect(parseSubscription({ type: 'l2Book', coin: 'BTC', fast: true })).toMatchObject({ nLevels: 5 });
    expect(parseSubscription({ type: 'l2Book', coin: 'BTC', fast: true, nLevels: 7 })).toMatchObject({ nLevels: 7 });
    expect(parseSubscription({ type: 'l2Book', coin: 'BTC', nSigFigs: 5, mantissa: 2 })).toMatchObject({ nSigFigs: 5, mantissa: 2 });
  });

  it('accepts nLevels 20 (the Rust server refuses it, a bug) and up to 100', () => {
    expect(parseSubscription({ type: 'l2Book', coin: 'BTC', nLevels: 20 })).toMatchObject({ nLevels: 20 });
    expect(parseSubscription({ type: 'l2Book', coin: 'BTC', nLevels: 100 })).toMatchObject({ nLevels: 100 });
  });

  it('refuses bad l2Book parameters', () => {
    for (const bad of [
      { type: 'l2Book', coin: 'BTC', nSigFigs: 1 },
      { type: 'l2Book', coin: 'BTC', nSigFigs: 6 },
      { type: 'l2Book', coin: 'BTC', nSigFigs: 4, mantissa: 2 },
      { type: 'l2Book', coin: 'BTC', mantissa: 2 },
      { type: 'l2Book', coin: 'BTC', nSigFigs: 5, mantissa: 3 },
      { type: 'l2Book', coin: 'BTC', nLevels: 0 },
      { type: 'l2Book', coin: 'BTC', nLevels: 101 },
      { type: 'l2Book', coin: 'BTC', nLevels: 2.5 },
      { type: 'l2Book', coin: 'BTC', fast: 'yes' },
      { type: 'l2Book', coin: 'BTC', nSigFig: 5 },
      { type: 'l2Book' },
      { type: 'l2Book', coin: '' },
      { type: 'l2Book', coin: 5 },
    ]) {
      expect(parseSubscription(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it('parses every other type and refuses unknown ones', () => {
    expect(parseSubscription({ type: 'trades', coin: '@107' })).toEqual({ type: 'trades', coin: '@107' });
    expect(parseSubscription({ type: 'bbo', coin: 'PURR/USDC' })).toEqual({ type: 'bbo', coin: 'PURR/USDC' });
    expect(parseSubscription({ type: 'allMids' })).toEqual({ type: 'allMids', dex: null });
    expect(parseSubscription({ type: 'allMids', dex: 'xyz' })).toEqual({ type: 'allMids', dex: 'xyz' });
    expect(parseSubscription({ type: 'l4Book', coin: 'xyz:ABC' })).toEqual({ type: 'l4Book', coin: 'xyz:ABC', bookOnly: false });
    expect(parseSubscription({ type: 'l4Book', coin: 'BTC', bookOnly: true })).toEqual({ type: 'l4Book', coin: 'BTC', bookOnly: true });
    expect(parseSubscription({ type: 'serverStatus' })).toEqual({ type: 'serverStatus' });
    expect(parseSubscription({ type: 'candle', coin: 'BTC', interval: '1m' })).toEqual({ type: 'candle', coin: 'BTC', interval: '1m' });
    expect(parseSubscription({ type: 'candle', coin: 'BTC', interval: '2m' })).toBeNull();
    expect(parseSubscription({ type: 'notification', user: '0x0' })).toBeNull();
    expect(parseSubscription({ type: 'trades', coin: 'BTC', extra: 1 })).toBeNull();
  });

  it('gives equivalent subscriptions the same view key', () => {
    const a = parseSubscription({ type: 'l2Book', coin: 'BTC' })!;
    const b = parseSubscription({ coin: 'BTC', type: 'l2Book', nSigFigs: null, mantissa: null, nLevels: 20 })!;
    const c = parseSubscription({ type: 'l2Book', coin: 'BTC', nSigFigs: 5 })!;
    expect(viewKey(a)).toBe(viewKey(b));
    expect(viewKey(a)).not.toBe(viewKey(c));
    expect(viewKey(parseSubscription({ type: 'allMids' })!)).not.toBe(viewKey(parseSubscription({ type: 'allMids', dex: 'xyz' })!));
  });

  it('names the dex of HIP-3 coins only', () => {
    expect(dexOf('xyz:ABC')).toBe('xyz');
    expect(dexOf('BTC')).toBeNull();
    expect(dexOf('@107')).toBeNull();
    expect(dexOf('PURR/USDC')).toBeNull();
  });
});
