/**
 * The node's JSON lines, built as strings in the node's exact field order (faster than
 * `JSON.stringify` of objects on the hot path, and the order is the node's, not ours).
 * Field order and optional fields follow the real lines in test/fixtures.
 */
import type { NodeFill, NodeOrder } from '../book/events.js';
import type { CoinSpec } from './market.js';
import { formatScaled } from '../book/decimal.js';
import { RestKind, type RestingOrder } from './matching-book.js';

export const SIDE = ['B', 'A'] as const;

function q(s: string | null): string {
  return s === null ? 'null' : `"${s}"`;
}

/**
 * The node's order object ({@link NodeOrder}) with its values already in the node's text:
 * `coinJson` is the coin as JSON (quoted), `children` always empty.
 */
export type NodeOrderText = Omit<NodeOrder, 'coin' | 'children'> & { coinJson: string };

/** An order object's fields after its `sz` (what {@link orderJsonTail} writes). */
export type NodeOrderTail = Omit<NodeOrderText, 'coinJson' | 'side' | 'limitPx' | 'sz'>;

/** A plain limit order's fields: no trigger, not a position TP/SL ({@link limitOrderJson} fills in the rest). */
export type LimitOrderText = Omit<NodeOrderText, 'triggerCondition' | 'isTrigger' | 'triggerPx' | 'isPositionTpsl' | 'orderType'>;

/** The node's order object (statuses and snapshots): {@link orderJsonHead}, `sz`, {@link orderJsonTail}. */
export function orderJson(o: NodeOrderText): string {
  return orderJsonHead(o.coinJson, o.side, o.limitPx) + o.sz + orderJsonTail(o);
}

/** What every plain limit order's object says: no trigger, not a position TP/SL. */
const PLAIN_LIMIT = { triggerCondition: 'N/A', isTrigger: false, triggerPx: '0.0', isPositionTpsl: false, orderType: 'Limit' } as const;

/** A plain limit order's object, as its statuses show it. */
export function limitOrderJson(o: LimitOrderText): string {
  // Spelled out rather than spread over PLAIN_LIMIT: a spread per status made the simulator 1.7x slower.
  const tail: NodeOrderTail = {
    oid: o.oid,
    timestamp: o.timestamp,
    triggerCondition: PLAIN_LIMIT.triggerCondition,
    isTrigger: PLAIN_LIMIT.isTrigger,
    triggerPx: PLAIN_LIMIT.triggerPx,
    isPositionTpsl: PLAIN_LIMIT.isPositionTpsl,
    reduceOnly: o.reduceOnly,
    orderType: PLAIN_LIMIT.orderType,
    origSz: o.origSz,
    tif: o.tif,
    cloid: o.cloid,
  };
  return orderJsonHead(o.coinJson, o.side, o.limitPx) + o.sz + orderJsonTail(tail);
}

/** An order object up to its `sz` value: `{"coin":…,"side":…,"limitPx":"…","sz":"`. */
export function orderJsonHead(coinJson: string, side: 'B' | 'A', limitPx: string): string {
  return `{"coin":${coinJson},"side":"${side}","limitPx":"${limitPx}","sz":"`;
}

/** An order object after its `sz` value: `","oid":…}`. */
export function orderJsonTail(o: NodeOrderTail): string {
  return (
    `","oid":${o.oid},"timestamp":${o.timestamp},` +
    `"triggerCondition":"${o.triggerCondition}","isTrigger":${o.isTrigger},"triggerPx":"${o.triggerPx}","children":[],` +
    `"isPositionTpsl":${o.isPositionTpsl},"reduceOnly":${o.reduceOnly},"orderType":"${o.orderType}","origSz":"${o.origSz}",` +
    `"tif":${q(o.tif)},"cloid":${q(o.cloid)}}`
  );
}

/** A resting order as snapshots (and statuses about it) show it, with `lots` as its size. */
export function restingOrderJson(coin: CoinSpec, o: RestingOrder, lots: number): string {
  return orderJsonHead(coin.json, SIDE[o.side], formatScaled(o.px, coin.pxDecimals)) + formatScaled(lots, coin.szDecimals) + restingOrderTail(coin, o);
}

/**
 * A resting order's text after its `sz` value (every field there is fixed while it rests),
 * made once and kept on the order: snapshots write it for every order.
 */
export function restingOrderTail(coin: CoinSpec, o: RestingOrder): string {
  let t = o.snapshotTail;
  if (t !== null) return t;
  const origSz = formatScaled(o.origLots, coin.szDecimals);
  switch (o.kind) {
    case RestKind.Triggered:
      t = orderJsonTail(restingTail(o, origSz, 'Triggered', 'Gtc'));
      break;
    case RestKind.Statusless:
      // The special spot address's orders: plain Alo limits, never reduce-only, no cloid.
      t = orderJsonTail({ ...restingTail(o, origSz, 'N/A', 'Alo'), isPositionTpsl: false, reduceOnly: false, orderType: 'Limit', cloid: null });
      break;
    default:
      t = orderJsonTail(restingTail(o, origSz, 'N/A', o.tif));
  }
  // Reading a character makes V8 flatten the concatenation now: kept as one flat string, it
  // takes a third of the memory and copies fast on every snapshot.
  t.charCodeAt(0);
  o.snapshotTail = t;
  return t;
}

/** A resting order's tail fields: it rests as a limit order (a triggered one shows `Triggered`, `Gtc`). */
function restingTail(o: RestingOrder, origSz: string, triggerCondition: string, tif: string | null): NodeOrderTail {
  return {
    oid: o.oid,
    timestamp: o.timestamp,
    triggerCondition,
    isTrigger: false,
    triggerPx: '0.0',
    isPositionTpsl: o.isPositionTpsl,
    reduceOnly: o.reduceOnly,
    orderType: o.orderType,
    origSz,
    tif,
    cloid: o.cloid,
  };
}

/** One event of `node_order_statuses_*`. `builder` is already JSON (`null` or `{"b":…,"f":…}`). */
export function statusJson(time: string, user: string, hash: string | null, builder: string, status: string, order: string): string {
  return `{"time":"${time}","user":"${user}","hash":${q(hash)},"builder":${builder},"status":"${status}","order":${order}}`;
}

/** One event of `node_raw_book_diffs_*`; `diff` is the JSON of `raw_book_diff`. */
export function diffJson(user: string, oid: number, coinJson: string, side: 'B' | 'A', px: string, diff: string): string {
  return `{"user":"${user}","oid":${oid},"coin":${coinJson},"side":"${side}","px":"${px}","raw_book_diff":${diff}}`;
}

/** A `new` raw diff; with `insertBefore`, the order joins its level just ahead of that resting oid. */
export function newDiff(sz: string, insertBefore?: number): string {
  return insertBefore === undefined ? `{"new":{"sz":"${sz}"}}` : `{"new":{"sz":"${sz}","insertBefore":${insertBefore}}}`;
}

export function updateDiff(origSz: string, newSz: string): string {
  return `{"update":{"origSz":"${origSz}","newSz":"${newSz}"}}`;
}

export const REMOVE_DIFF = '"remove"';

/** The node's fill object ({@link NodeFill}) as the simulator writes it: `coinJson` quoted, `cloid` omitted from the line when null. */
export type FillFields = Omit<NodeFill, 'coin' | 'cloid' | 'twapId' | 'liquidation' | 'builderFee' | 'deployerFee'> & {
  coinJson: string;
  cloid: string | null;
  twapId: number | null;
};

/** One event of `node_fills_*`: `[user, fill]`. */
export function fillJson(user: string, f: FillFields): string {
  return (
    `["${user}",{"coin":${f.coinJson},"px":"${f.px}","sz":"${f.sz}","side":"${f.side}","time":${f.time},` +
    `"startPosition":"${f.startPosition}","dir":"${f.dir}","closedPnl":"${f.closedPnl}","hash":"${f.hash}","oid":${f.oid},` +
    `"crossed":${f.crossed},"fee":"${f.fee}","tid":${f.tid},${f.cloid === null ? '' : `"cloid":"${f.cloid}",`}` +
    `"feeToken":"${f.feeToken}","twapId":${f.twapId === null ? 'null' : f.twapId}}]`
  );
}

/** A block line of one stream (by-block mode). `events` are JSON strings. */
export function blockLine(localTime: string, blockTime: string, height: number, events: readonly string[]): string {
  return `${envelopeStart(localTime, blockTime, height)}${events.join(',')}${ENVELOPE_END}`;
}

/** A block line up to the opening bracket of `events`. */
export function envelopeStart(localTime: string, blockTime: string, height: number): string {
  return `{"local_time":"${localTime}","block_time":"${blockTime}","block_number":${height},"events":[`;
}

/** The end of a block line, newline included. */
export const ENVELOPE_END = ']}\n';
