/** Hand-built node events for tests. */
import {
  parsePrice,
  parseUnits,
  type Block,
  type BookDiffEvent,
  type FillEvent,
  type L4Order,
  type NodeOrder,
  type OrderBook,
  type OrderStatusEvent,
  type Side,
} from '../../src/book/index.js';

/** A node order with the usual defaults, its keys in the node's order (text made from it reads as the node writes it). */
export function nodeOrder(o: Partial<NodeOrder> & { oid: number; side: Side; limitPx: string; sz: string }, coin = 'BTC'): NodeOrder {
  const { side, limitPx, sz, oid, ...rest } = o;
  return {
    coin,
    side,
    limitPx,
    sz,
    oid,
    timestamp: 1_700_000_000_000,
    triggerCondition: 'N/A',
    isTrigger: false,
    triggerPx: '0.0',
    children: [],
    isPositionTpsl: false,
    reduceOnly: false,
    orderType: 'Limit',
    origSz: sz,
    tif: 'Gtc',
    cloid: null,
    ...rest,
  };
}

export function l4(user: string, o: Parameters<typeof nodeOrder>[0], coin = 'BTC'): L4Order {
  return { ...nodeOrder(o, coin), user };
}

export function status(user: string, st: string, order: NodeOrder, time = '2026-05-05T17:39:13.024084407'): OrderStatusEvent {
  return { time, user, hash: null, builder: null, status: st, order };
}

export function newDiff(user: string, oid: number, side: Side, px: string, sz: string, coin = 'BTC'): BookDiffEvent {
  return { user, oid, coin, side, px, raw_book_diff: { new: { sz } } };
}

/** A `new` that joins its level just ahead of the resting order `insertBefore` (ALO priority, node-data.md). */
export function newDiffBefore(user: string, oid: number, side: Side, px: string, sz: string, insertBefore: number | null, coin = 'BTC'): BookDiffEvent {
  return { user, oid, coin, side, px, raw_book_diff: { new: { sz, insertBefore } } };
}

export function updateDiff(user: string, oid: number, side: Side, px: string, origSz: string, newSz: string, coin = 'BTC'): BookDiffEvent {
  return { user, oid, coin, side, px, raw_book_diff: { update: { origSz, newSz } } };
}

export function removeDiff(user: string, oid: number, side: Side, px: string, coin = 'BTC'): BookDiffEvent {
  return { user, oid, coin, side, px, raw_book_diff: 'remove' };
}

export function fill(
  user: string,
  f: { coin?: string; px: string; sz: string; side: Side; tid: number; crossed: boolean; oid?: number; time?: number; hash?: string },
): FillEvent {
  return [
    user,
    {
      coin: f.coin ?? 'BTC',
      px: f.px,
      sz: f.sz,
      side: f.side,
      time: f.time ?? 1_778_002_753_024,
      startPosition: '0.0',
      dir: f.side === 'B' ? 'Open Long' : 'Open Short',
      closedPnl: '0.0',
      hash: f.hash ?? '0xabc',
      oid: f.oid ?? 1,
      crossed: f.crossed,
      fee: '0.0',
      tid: f.tid,
      feeToken: 'USDC',
    },
  ];
}

export function block(height: number, parts: Partial<Omit<Block, 'height'>> = {}): Block {
  return { height, time: parts.time ?? 1_778_002_753_024, statuses: parts.statuses ?? [], diffs: parts.diffs ?? [], fills: parts.fills ?? [] };
}

/**
 * Change one book through the engine's own calls, the ones `Books.applyBlock` makes for a
 * `new` (with its `insertBefore`), an `update` and a `remove` diff.
 */
export function restL4(book: OrderBook, order: L4Order, insertBefore?: number): void {
  const before = insertBefore === undefined ? null : book.resting(insertBefore);
  if (before === undefined) throw new Error(`insertBefore ${insertBefore} does not rest on ${book.coin}`);
  book.rest(order.user, order, parsePrice(order.limitPx), parseUnits(order.sz), order.side === 'B', before);
}

export function resizeOid(book: OrderBook, oid: number, sz: string): void {
  const o = book.resting(oid);
  if (o === undefined) throw new Error(`oid ${oid} does not rest on ${book.coin}`);
  book.setRestingSize(o, parseUnits(sz));
}

export function removeOid(book: OrderBook, oid: number): void {
  const o = book.resting(oid);
  if (o === undefined) throw new Error(`oid ${oid} does not rest on ${book.coin}`);
  book.removeResting(o);
}
