/**
 * The info server's answers about a paper account, in the public API's shapes:
 * `clearinghouseState`, `spotClearinghouseState`, `openOrders`, `frontendOpenOrders`,
 * `userFills` and `orderStatus`.
 */
import { formatScaledBig as formatBigUnits, formatScaled as formatUnits } from '../../book/decimal.js';
import type { CoinSpec } from '../market.js';
import { restingOrderJson } from '../node-json.js';
import type { Account } from './account.js';
import type { Ledger } from './ledger.js';
import { toMicro, usd } from './money.js';

/** Info request types a paper account answers (the request's `user` names the account). */
export const ACCOUNT_INFO_TYPES = new Set(['clearinghouseState', 'spotClearinghouseState', 'openOrders', 'frontendOpenOrders', 'userFills', 'orderStatus']);

const inDex = (c: CoinSpec, dex: unknown): boolean => (typeof dex === 'string' && dex !== '' ? c.kind === 'hip3' && c.dex === dex : c.kind !== 'hip3');

export function accountInfo(l: Ledger, a: Account, body: Record<string, unknown>, timeMs: number): unknown {
  switch (body.type) {
    case 'clearinghouseState':
      return clearinghouseState(l, a, body.dex, timeMs);
    case 'spotClearinghouseState':
      return spotClearinghouseState(l, a);
    case 'openOrders':
      return a
        .liveOrders()
        .filter((o) => inDex(o.coin, body.dex))
        .sort((x, y) => y.order.oid - x.order.oid)
        .map(({ coin, order }) => {
          const o = JSON.parse(restingOrderJson(coin, order, order.lots)) as Record<string, unknown>;
          const out: Record<string, unknown> = {
            coin: o.coin,
            side: o.side,
            limitPx: o.limitPx,
            sz: o.sz,
            oid: o.oid,
            timestamp: o.timestamp,
            origSz: o.origSz,
          };
          if (o.cloid !== null) out.cloid = o.cloid;
          return out;
        });
    case 'frontendOpenOrders':
      return a
        .liveOrders()
        .filter((o) => inDex(o.coin, body.dex))
        .sort((x, y) => y.order.oid - x.order.oid)
        .map(({ coin, order }) => JSON.parse(restingOrderJson(coin, order, order.lots)) as unknown);
    case 'userFills':
      return a.fills.map((f) => JSON.parse(f) as unknown).reverse();
    case 'orderStatus': {
      const q = body.oid;
      const oid = typeof q === 'number' ? q : typeof q === 'string' ? a.cloids.get(q.toLowerCase()) : undefined;
      const rec = oid === undefined ? undefined : a.statuses.get(oid);
      if (!rec) return { status: 'unknownOid' };
      const open = a.open.get(oid!);
      const json = open && open.order.level !== null ? restingOrderJson(open.coin, open.order, open.order.lots) : rec.orderJson;
      return { status: 'order', order: { order: JSON.parse(json) as unknown, status: rec.status, statusTimestamp: rec.statusTimestamp } };
    }
    default:
      return undefined;
  }
}

function clearinghouseState(l: Ledger, a: Account, dex: unknown, timeMs: number): unknown {
  const mg = l.margin(a);
  const assetPositions: unknown[] = [];
  for (const [id, p] of a.positions) {
    const c = l.m.coins[id]!;
    if (!inDex(c, dex)) continue;
    const mark = BigInt(l.markTicks(c));
    const size = BigInt(Math.abs(p.lots));
    const value = toMicro(c, mark * size);
    const upnl = toMicro(c, mark * BigInt(p.lots) - (p.lots > 0 ? p.cost : -p.cost));
    const lev = l.leverageOf(a, c);
    const marginUsed = value / BigInt(lev.value);
    const entryNtl = toMicro(c, p.cost);
    const initial = entryNtl / BigInt(lev.value);
    assetPositions.push({
      type: 'oneWay',
      position: {
        coin: c.name,
        szi: formatUnits(p.lots, c.szDecimals),
        leverage:
          lev.type === 'cross'
            ? { type: 'cross', value: lev.value }
            : { type: 'isolated', value: lev.value, rawUsd: usd(-toMicro(c, p.lots > 0 ? p.cost : -p.cost) + marginUsed) },
        entryPx: formatBigUnits((p.cost * 10n ** 6n) / size, c.pxDecimals + 6),
        positionValue: usd(value),
        unrealizedPnl: usd(upnl),
        returnOnEquity: initial === 0n ? '0.0' : formatBigUnits((upnl * 10n ** 8n) / initial, 8),
        liquidationPx: null,
        marginUsed: usd(marginUsed),
        maxLeverage: l.maxLeverage(c),
        cumFunding: { allTime: '0.0', sinceOpen: '0.0', sinceChange: '0.0' },
      },
    });
  }
  const summary = {
    accountValue: usd(mg.accountValue),
    totalNtlPos: usd(mg.ntl),
    totalRawUsd: usd(mg.accountValue - mg.signedNtl),
    totalMarginUsed: usd(mg.positions),
  };
  const free = mg.accountValue - mg.positions - mg.orders;
  return {
    marginSummary: summary,
    crossMarginSummary: summary,
    crossMaintenanceMarginUsed: usd(mg.positions / 2n),
    withdrawable: usd(free > 0n ? free : 0n),
    assetPositions,
    time: timeMs,
  };
}

function spotClearinghouseState(l: Ledger, a: Account): unknown {
  const holds = l.spotHolds(a, null);
  const balances: unknown[] = [{ coin: 'USDC', token: 0, hold: usd(holds.usdc), total: usd(a.spotUsdc), entryNtl: '0.0' }];
  for (const [id, total] of a.spot) {
    const c = l.m.coins[id]!;
    if (total === 0n) continue;
    const hold = l.spotHolds(a, c).base;
    balances.push({
      coin: c.spot!.base,
      token: c.spot!.tokenIndex,
      hold: formatBigUnits(hold, c.szDecimals + 6),
      total: formatBigUnits(total, c.szDecimals + 6),
      entryNtl: '0.0',
    });
  }
  return { balances };
}
