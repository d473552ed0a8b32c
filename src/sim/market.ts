/**
 * The simulated market's coins: names as the node writes them (perps `BTC`, spot `PURR/USDC`
 * and `@107`, HIP-3 `xyz:ABC`), size decimals, a tick that keeps every price valid on
 * Hyperliquid (at most 5 significant figures, at most 6 − szDecimals decimals for perps and
 * 8 − szDecimals for spot, integers always allowed), and the `meta` / `spotMeta` answers of
 * the info server in the public API's shapes.
 */
import { Rng } from '../util/rng.js';
import { codedError } from '../errors.js';

export type CoinKind = 'perp' | 'spot' | 'hip3';

export interface CoinSpec {
  /** Name as the node writes it in events. */
  name: string;
  /** `JSON.stringify(name)`, computed once for the hot path. */
  json: string;
  kind: CoinKind;
  /** Position in this simulator's coin list. */
  id: number;
  szDecimals: number;
  /** Decimals of a price unit; one unit is the tick. */
  pxDecimals: number;
  /** Reference price in units: the market starts here and is pulled back towards it. */
  refPx: number;
  /** Band of prices in units inside which every price is valid (5 significant figures). */
  minPx: number;
  maxPx: number;
  /** Relative activity (share of order flow). */
  weight: number;
  /** A typical order size in lots (about 1,000 USDC of notional). */
  typicalLots: number;
  /** Spot only: pair index (the `@N` of the name) and the base token. */
  spot?: { pairIndex: number; base: string; tokenIndex: number; weiDecimals: number };
  /** HIP-3 only: the dex name (`xyz`). */
  dex?: string;
}

/** The special spot address whose orders rest without any status (HIP-2 market making). */
export const HYPERLIQUIDITY_USER = '0xffffffffffffffffffffffffffffffffffffffff';

interface BaseCoin {
  name: string;
  kind: CoinKind;
  szDecimals: number;
  pxDecimals: number;
  refPx: number;
  weight: number;
  spot?: { pairIndex: number; base: string; weiDecimals: number };
  dex?: string;
}

/** The fixed coins every market starts with (`--coins` takes a prefix, then generates more). */
const BASE_COINS: BaseCoin[] = [
  { name: 'BTC', kind: 'perp', szDecimals: 5, pxDecimals: 0, refPx: 100_000, weight: 40 },
  { name: 'ETH', kind: 'perp', szDecimals: 4, pxDecimals: 1, refPx: 30_000, weight: 15 }, // 3000.0
  { name: '@107', kind: 'spot', szDecimals: 2, pxDecimals: 3, refPx: 30_000, weight: 5, spot: { pairIndex: 107, base: 'HYPE', weiDecimals: 8 } }, // 30.000
  { name: 'xyz:ABC', kind: 'hip3', szDecimals: 3, pxDecimals: 2, refPx: 25_000, weight: 2, dex: 'xyz' }, // 250.00
  { name: 'PURR/USDC', kind: 'spot', szDecimals: 0, pxDecimals: 5, refPx: 20_000, weight: 3, spot: { pairIndex: 0, base: 'PURR', weiDecimals: 5 } }, // 0.20000
  { name: '@151', kind: 'spot', szDecimals: 0, pxDecimals: 8, refPx: 1_234, weight: 2, spot: { pairIndex: 151, base: 'MEOW', weiDecimals: 5 } }, // 0.00001234
  { name: 'SOL', kind: 'perp', szDecimals: 2, pxDecimals: 2, refPx: 15_000, weight: 6 }, // 150.00
  { name: 'HYPE', kind: 'perp', szDecimals: 2, pxDecimals: 3, refPx: 30_000, weight: 6 }, // 30.000
  { name: 'DOGE', kind: 'perp', szDecimals: 0, pxDecimals: 5, refPx: 20_000, weight: 4 }, // 0.20000
  // The first nine above are the historical default (`--coins 9`); the rest make the default
  // market look like mainnet's: tens of perps, spot pairs named `@N`, two HIP-3 dexes.
  { name: 'XRP', kind: 'perp', szDecimals: 0, pxDecimals: 4, refPx: 21_000, weight: 4 }, // 2.1000
  { name: 'SUI', kind: 'perp', szDecimals: 1, pxDecimals: 4, refPx: 35_000, weight: 2 }, // 3.5000
  { name: 'AVAX', kind: 'perp', szDecimals: 2, pxDecimals: 3, refPx: 25_000, weight: 2 }, // 25.000
  { name: 'LINK', kind: 'perp', szDecimals: 1, pxDecimals: 3, refPx: 15_000, weight: 2 }, // 15.000
  { name: 'BNB', kind: 'perp', szDecimals: 3, pxDecimals: 2, refPx: 65_000, weight: 2 }, // 650.00
  { name: 'LTC', kind: 'perp', szDecimals: 2, pxDecimals: 3, refPx: 90_000, weight: 1 }, // 90.000
  { name: 'ADA', kind: 'perp', szDecimals: 0, pxDecimals: 5, refPx: 70_000, weight: 2 }, // 0.70000
  { name: 'TRX', kind: 'perp', szDecimals: 0, pxDecimals: 5, refPx: 25_000, weight: 1 }, // 0.25000
  { name: 'DOT', kind: 'perp', szDecimals: 1, pxDecimals: 4, refPx: 40_000, weight: 1 }, // 4.0000
  { name: 'NEAR', kind: 'perp', szDecimals: 1, pxDecimals: 4, refPx: 25_000, weight: 1 }, // 2.5000
  { name: 'APT', kind: 'perp', szDecimals: 2, pxDecimals: 4, refPx: 50_000, weight: 1 }, // 5.0000
  { name: 'ARB', kind: 'perp', szDecimals: 1, pxDecimals: 5, refPx: 40_000, weight: 1 }, // 0.40000
  { name: 'OP', kind: 'perp', szDecimals: 1, pxDecimals: 5, refPx: 70_000, weight: 1 }, // 0.70000
  { name: 'TIA', kind: 'perp', szDecimals: 1, pxDecimals: 4, refPx: 16_000, weight: 1 }, // 1.6000
  { name: 'SEI', kind: 'perp', szDecimals: 0, pxDecimals: 5, refPx: 30_000, weight: 1 }, // 0.30000
  { name: 'INJ', kind: 'perp', szDecimals: 1, pxDecimals: 3, refPx: 12_000, weight: 1 }, // 12.000
  { name: 'WIF', kind: 'perp', szDecimals: 0, pxDecimals: 5, refPx: 85_000, weight: 1 }, // 0.85000
  { name: 'kPEPE', kind: 'perp', szDecimals: 0, pxDecimals: 6, refPx: 12_000, weight: 2 }, // 0.012000
  { name: 'FARTCOIN', kind: 'perp', szDecimals: 1, pxDecimals: 5, refPx: 80_000, weight: 2 }, // 0.80000
  { name: 'ENA', kind: 'perp', szDecimals: 0, pxDecimals: 5, refPx: 60_000, weight: 2 }, // 0.60000
  { name: 'AAVE', kind: 'perp', szDecimals: 2, pxDecimals: 2, refPx: 28_000, weight: 1 }, // 280.00
  { name: 'UNI', kind: 'perp', szDecimals: 1, pxDecimals: 4, refPx: 90_000, weight: 1 }, // 9.0000
  { name: 'PUMP', kind: 'perp', szDecimals: 0, pxDecimals: 6, refPx: 5_000, weight: 2 }, // 0.005000
  { name: 'BCH', kind: 'perp', szDecimals: 3, pxDecimals: 2, refPx: 50_000, weight: 1 }, // 500.00
  { name: 'ZEC', kind: 'perp', szDecimals: 2, pxDecimals: 2, refPx: 30_000, weight: 1 }, // 300.00
  { name: '@1', kind: 'spot', szDecimals: 2, pxDecimals: 4, refPx: 50_000, weight: 1, spot: { pairIndex: 1, base: 'HFUN', weiDecimals: 8 } }, // 5.0000
  { name: '@142', kind: 'spot', szDecimals: 5, pxDecimals: 0, refPx: 100_000, weight: 2, spot: { pairIndex: 142, base: 'UBTC', weiDecimals: 10 } }, // 100000
  { name: '@156', kind: 'spot', szDecimals: 3, pxDecimals: 2, refPx: 15_000, weight: 1, spot: { pairIndex: 156, base: 'USOL', weiDecimals: 9 } }, // 150.00
  { name: '@166', kind: 'spot', szDecimals: 2, pxDecimals: 4, refPx: 10_000, weight: 1, spot: { pairIndex: 166, base: 'USDT0', weiDecimals: 8 } }, // 1.0000
  { name: '@188', kind: 'spot', szDecimals: 0, pxDecimals: 7, refPx: 50_000, weight: 1, spot: { pairIndex: 188, base: 'PUMP', weiDecimals: 6 } }, // 0.0050000
  { name: 'xyz:NVDA', kind: 'hip3', szDecimals: 3, pxDecimals: 2, refPx: 18_000, weight: 1, dex: 'xyz' }, // 180.00
  { name: 'xyz:TSLA', kind: 'hip3', szDecimals: 3, pxDecimals: 2, refPx: 40_000, weight: 1, dex: 'xyz' }, // 400.00
  { name: 'xyz:GOLD', kind: 'hip3', szDecimals: 4, pxDecimals: 1, refPx: 40_000, weight: 1, dex: 'xyz' }, // 4000.0
  { name: 'xyz:XYZ100', kind: 'hip3', szDecimals: 4, pxDecimals: 0, refPx: 25_000, weight: 1, dex: 'xyz' }, // 25000
  { name: 'flx:CRCL', kind: 'hip3', szDecimals: 2, pxDecimals: 2, refPx: 10_000, weight: 1, dex: 'flx' }, // 100.00
];

/** Coins of a market built by default (`--coins` unset): every fixed coin. */
export const DEFAULT_COINS = BASE_COINS.length;

const MAX_DECIMALS = { perp: 6, hip3: 6, spot: 8 } as const;

function pow10(n: number): number {
  return 10 ** n;
}

function finish(base: BaseCoin, id: number, tokenIndex: number): CoinSpec {
  const { refPx, pxDecimals, szDecimals } = base;
  // Events are written as one byte per character (EventSink): names must be plain ASCII.
  if (!/^[\x20-\x7e]+$/.test(base.name) || base.name.includes('"') || base.name.includes('\\'))
    throw codedError('USAGE', `coin name must be plain ASCII: ${base.name}`);
  // Prices with decimals need at most 5 significant figures: stay below 100,000 units.
  const maxPx = pxDecimals === 0 ? refPx * 2 : Math.min(refPx * 2, 99_999);
  const minPx = Math.max(1, Math.ceil(refPx / 2));
  // ~1,000 USDC of notional: 1000 × 10^(sz+px) / refPx lots.
  const typicalLots = Math.max(1, Math.floor((1000 * pow10(szDecimals + pxDecimals)) / refPx));
  const spec: CoinSpec = {
    name: base.name,
    json: JSON.stringify(base.name),
    kind: base.kind,
    id,
    szDecimals,
    pxDecimals,
    refPx,
    minPx,
    maxPx,
    weight: base.weight,
    typicalLots,
  };
  if (base.spot) spec.spot = { ...base.spot, tokenIndex };
  if (base.dex) spec.dex = base.dex;
  return spec;
}

/**
 * `count` coins: the base coins first, then generated ones (`SIM12` perps, `@164` spot pairs,
 * `xyz:T12` HIP-3 perps) with prices from 0.00001 to 10,000 and matching decimals.
 */
export function buildMarket(count: number, seed: number): CoinSpec[] {
  const rng = new Rng(seed ^ 0x5eed);
  const coins: CoinSpec[] = [];
  // Generated spot pairs take indices after every fixed one.
  let nextPair = BASE_COINS.reduce((m, b) => Math.max(m, b.spot?.pairIndex ?? 0), 0) + 1;
  // Token indices are dense (the public spotMeta lists every token): USDC 0, PURR 1, then one per pair.
  const tokenOf = (pairIndex: number): number => (pairIndex === 0 ? 1 : pairIndex + 1);
  for (let i = 0; i < count; i++) {
    const base = BASE_COINS[i];
    if (base) {
      coins.push(finish(base, i, base.spot ? tokenOf(base.spot.pairIndex) : 0));
      continue;
    }
    const r = i % 20;
    const kind: CoinKind = r < 14 ? 'perp' : r < 19 ? 'spot' : 'hip3';
    // Decade of the price: 10^e .. 10^(e+1).
    const e = kind === 'spot' ? rng.range(-5, 3) : rng.range(-2, 4);
    const szDecimals = Math.max(0, Math.min(5, e + 1));
    const pxDecimals = Math.max(0, Math.min(e >= 4 ? 0 : 4 - e, MAX_DECIMALS[kind] - szDecimals));
    const mantissa = rng.range(12_000, 40_000);
    const shift = e + pxDecimals - 4;
    const refPx = shift >= 0 ? mantissa * pow10(shift) : Math.max(100, Math.floor(mantissa / pow10(-shift)));
    const name = kind === 'perp' ? `SIM${i}` : kind === 'hip3' ? `xyz:T${i}` : `@${nextPair}`;
    const b: BaseCoin = { name, kind, szDecimals, pxDecimals, refPx, weight: 1 };
    if (kind === 'spot') b.spot = { pairIndex: nextPair++, base: `TKN${i}`, weiDecimals: Math.min(8, szDecimals + 5) };
    if (kind === 'hip3') b.dex = 'xyz';
    coins.push(finish(b, i, b.spot ? tokenOf(b.spot.pairIndex) : 0));
  }
  return coins;
}

const MARGIN_TABLE_ID = 50;

/**
 * The info server's `meta` answer (public API shape). Without `dex`: the main dex's perps;
 * with a dex name: that dex's perps (names `dex:COIN`); an unknown dex answers `null`.
 */
export function metaResponse(coins: readonly CoinSpec[], dex?: string): unknown {
  const wanted = dex === undefined || dex === '' ? undefined : dex;
  const perps = coins.filter((c) => (wanted === undefined ? c.kind === 'perp' : c.kind === 'hip3' && c.dex === wanted));
  if (wanted !== undefined && perps.length === 0) return null;
  return {
    universe: perps.map((c) => ({ szDecimals: c.szDecimals, name: c.name, maxLeverage: c.name === 'BTC' ? 40 : 10, marginTableId: MARGIN_TABLE_ID })),
    marginTables: [[MARGIN_TABLE_ID, { description: '', marginTiers: [{ lowerBound: '0.0', maxLeverage: 50 }] }]],
    collateralToken: 0,
  };
}

function tokenId(index: number): string {
  return '0x' + index.toString(16).padStart(32, '0');
}

/**
 * The info server's `spotMeta` answer (public API shape). Universe and tokens are dense
 * (entry `i` has index `i`) like the real answer; pairs this market does not trade are listed
 * as `@i` with a filler token.
 */
export function spotMetaResponse(coins: readonly CoinSpec[]): unknown {
  const spots = coins.filter((c) => c.spot !== undefined);
  const byPair = new Map(spots.map((c) => [c.spot!.pairIndex, c] as const));
  const maxPair = spots.reduce((m, c) => Math.max(m, c.spot!.pairIndex), 0);
  const tokens: unknown[] = [
    {
      name: 'USDC',
      szDecimals: 8,
      weiDecimals: 8,
      index: 0,
      tokenId: tokenId(0),
      isCanonical: true,
      evmContract: null,
      fullName: null,
      deployerTradingFeeShare: '0.0',
    },
  ];
  const universe: unknown[] = [];
  const pushToken = (index: number, name: string, szDecimals: number, weiDecimals: number): void => {
    tokens[index] = {
      name,
      szDecimals,
      weiDecimals,
      index,
      tokenId: tokenId(index),
      isCanonical: index <= 1,
      evmContract: null,
      fullName: null,
      deployerTradingFeeShare: '0.0',
    };
  };
  const purr = byPair.get(0);
  pushToken(1, 'PURR', purr?.szDecimals ?? 0, purr?.spot?.weiDecimals ?? 5);
  for (let p = 0; p <= maxPair; p++) {
    const c = byPair.get(p);
    const token = p === 0 ? 1 : p + 1;
    if (p !== 0) {
      if (c) pushToken(token, c.spot!.base, c.szDecimals, c.spot!.weiDecimals);
      else pushToken(token, `FILL${p}`, 2, 8);
    }
    universe.push({ tokens: [token, 0], name: p === 0 ? 'PURR/USDC' : `@${p}`, index: p, isCanonical: p === 0 });
  }
  return { universe, tokens };
}
