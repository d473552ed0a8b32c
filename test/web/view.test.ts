import { describe, expect, it } from 'vitest';
import { AGGREGATIONS, aggregationById } from '../../src/web/aggregation.js';
import { coinList, dexNames, kindOf, searchCoins, spotLabels } from '../../src/web/coins.js';
import { formatAge, formatClock, formatCount, formatLag, groupDigits, shortAddress } from '../../src/web/format.js';
import { endpoints } from '../../src/web/urls.js';
import { formatHash, parseHash } from '../../src/web/view-state.js';
import { perpDexsResponse, spotMetaResponse, buildMarket } from '../../src/sim/index.js';

describe('the URL fragment', () => {
  it('round-trips coin, aggregation and user, keeping spot and HIP-3 names readable', () => {
    for (const coin of ['BTC', '@107', 'PURR/USDC', 'xyz:ABC']) {
      for (const agg of AGGREGATIONS) {
        for (const user of [null, '0x' + 'ab'.repeat(20)]) {
          const view = { coin, aggregation: agg, user };
          const hash = formatHash(view);
          expect(parseHash(hash)).toEqual(view);
        }
      }
    }
    expect(formatHash({ coin: 'PURR/USDC', aggregation: AGGREGATIONS[0]!, user: null })).toBe('#PURR/USDC');
    expect(formatHash({ coin: 'xyz:ABC', aggregation: aggregationById('5m2')!, user: null })).toBe('#xyz:ABC;agg=5m2');
  });

  it('falls back to BTC, full precision and no user on missing or bad parts', () => {
    expect(parseHash('')).toEqual({ coin: 'BTC', aggregation: AGGREGATIONS[0], user: null });
    expect(parseHash('#ETH;agg=7;user=0x12')).toEqual({ coin: 'ETH', aggregation: AGGREGATIONS[0], user: null });
    expect(parseHash('#%E0%A4%A')).toMatchObject({ coin: '%E0%A4%A' });
    expect(parseHash('#@107;user=0x' + 'AB'.repeat(20)).user).toBe('0x' + 'ab'.repeat(20));
  });
});

describe('endpoints', () => {
  it('uses the page origin and passes its token on to the socket, /info and /health', () => {
    expect(endpoints({ protocol: 'http:', host: '127.0.0.1:8000', search: '' })).toEqual({
      ws: 'ws://127.0.0.1:8000/ws',
      info: 'http://127.0.0.1:8000/info',
      health: 'http://127.0.0.1:8000/health',
      token: null,
    });
    const e = endpoints({ protocol: 'https:', host: 'book.example:443', search: '?token=a b&x=1' });
    expect(e.ws).toBe('wss://book.example:443/ws?token=a%20b');
    expect(e.info).toBe('https://book.example:443/info?token=a%20b');
    expect(e.health).toBe('https://book.example:443/health?token=a%20b');
  });
});

describe('coins', () => {
  it('lists every coin of the simulated market from allMids, perpDexs and spotMeta, sorted by kind', () => {
    const market = buildMarket(30, 1);
    const mids: Record<string, string> = {};
    const dexMids: Record<string, string> = {};
    for (const c of market) (c.kind === 'hip3' ? dexMids : mids)[c.name] = '1.0';
    expect(dexNames(perpDexsResponse(market))).toEqual(['xyz']);
    const labels = spotLabels(spotMetaResponse(market));
    expect(labels.get('@107')).toBe('HYPE/USDC');
    expect(labels.has('PURR/USDC')).toBe(false);
    const list = coinList([mids, dexMids], labels, ['NEW']);
    expect(list.map((c) => c.name).sort()).toEqual([...market.map((c) => c.name), 'NEW'].sort());
    const kinds = list.map((c) => c.kind);
    expect(kinds.indexOf('spot')).toBeGreaterThan(kinds.lastIndexOf('perp'));
    expect(kinds.indexOf('hip3')).toBeGreaterThan(kinds.lastIndexOf('spot'));
    // Spot pairs by number, not as text: @107 before @151 before @152.
    const spots = list.filter((c) => c.name.startsWith('@')).map((c) => Number(c.name.slice(1)));
    expect(spots).toEqual([...spots].sort((a, b) => a - b));
    expect(list.find((c) => c.name === 'NEW')?.mid).toBeNull();
  });

  it('finds coins by name, dex-local name and spot label, exact matches first', () => {
    const list = coinList(
      [
        { BTC: '1.0', BTCX: '1.0', ETH: '1.0', '@107': '30.0', 'PURR/USDC': '0.2' },
        { 'xyz:ABC': '250.0', 'xyz:BTC2': '1.0' },
      ],
      new Map([['@107', 'HYPE/USDC']]),
    );
    expect(searchCoins(list, 'btc').map((c) => c.name)).toEqual(['BTC', 'BTCX', 'xyz:BTC2']);
    expect(searchCoins(list, 'hype').map((c) => c.name)).toEqual(['@107']);
    expect(searchCoins(list, 'abc').map((c) => c.name)).toEqual(['xyz:ABC']);
    // Named pairs come before numbered ones in the list; both only contain "usdc".
    expect(searchCoins(list, 'usdc').map((c) => c.name)).toEqual(['PURR/USDC', '@107']);
    expect(searchCoins(list, '  ')).toHaveLength(list.length);
    expect(searchCoins(list, 'nothing')).toEqual([]);
    expect([kindOf('BTC'), kindOf('@1'), kindOf('PURR/USDC'), kindOf('xyz:ABC')]).toEqual(['perp', 'spot', 'spot', 'hip3']);
  });

  it('ignores malformed meta answers', () => {
    expect(dexNames({ not: 'a list' })).toEqual([]);
    expect(dexNames([null, { name: '' }, { name: 'abc' }, 7])).toEqual(['abc']);
    expect(spotLabels(null).size).toBe(0);
    expect(spotLabels({ universe: [{ name: '@1', tokens: [1] }], tokens: [] }).size).toBe(0);
  });
});

describe('formats', () => {
  it('ages, clock, counts, lags, addresses and digit groups', () => {
    expect([formatAge(-1), formatAge(850), formatAge(4_240), formatAge(185_000), formatAge(7_260_000), formatAge(3 * 86_400_000 + 4 * 3_600_000)]).toEqual([
      '0 ms',
      '850 ms',
      '4.2 s',
      '3 m 05 s',
      '2 h 01 m',
      '3 d 4 h',
    ]);
    expect(formatClock(Date.UTC(2026, 11, 5, 8, 3, 9, 7))).toBe('08:03:09.007');
    expect([formatCount(1_000_000_123), formatCount(null), formatCount(-1234)]).toEqual(['1,000,000,123', '–', '-1,234']);
    expect([formatLag(4.4), formatLag(1234), formatLag(null)]).toEqual(['4 ms', '1.2 s', '–']);
    expect(shortAddress('0x' + '1234567890'.repeat(4))).toBe('0x12…7890');
    expect([groupDigits('100012.5'), groupDigits('0.00001234'), groupDigits('999'), groupDigits('-1234567.0')]).toEqual([
      '100,012.5',
      '0.00001234',
      '999',
      '-1,234,567.0',
    ]);
  });
});
