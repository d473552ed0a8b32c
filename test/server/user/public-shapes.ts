/**
 * The public API's user shapes as valibot schemas, written from @nktkas/hyperliquid 0.32.2's
 * types (its runtime schemas cover requests only): strict where the public API is exact.
 */
import * as v from 'valibot';

const Decimal = v.pipe(v.string(), v.regex(/^-?[0-9]+(\.[0-9]+)?$/));
const Hex = v.pipe(v.string(), v.regex(/^0x[0-9a-f]+$/));
const Address = v.pipe(Hex, v.length(42));
const Side = v.picklist(['B', 'A']);

export const OpenOrder = v.strictObject({
  coin: v.string(),
  side: Side,
  limitPx: Decimal,
  sz: Decimal,
  oid: v.pipe(v.number(), v.safeInteger()),
  timestamp: v.number(),
  origSz: Decimal,
  cloid: v.optional(v.pipe(Hex, v.length(34))),
  reduceOnly: v.optional(v.literal(true)),
});

export const FrontendOpenOrder = v.strictObject({
  coin: v.string(),
  side: Side,
  limitPx: Decimal,
  sz: Decimal,
  oid: v.pipe(v.number(), v.safeInteger()),
  timestamp: v.number(),
  origSz: Decimal,
  triggerCondition: v.string(),
  isTrigger: v.boolean(),
  triggerPx: Decimal,
  children: v.array(v.unknown()),
  isPositionTpsl: v.boolean(),
  reduceOnly: v.boolean(),
  orderType: v.picklist(['Market', 'Limit', 'Stop Market', 'Stop Limit', 'Take Profit Market', 'Take Profit Limit']),
  tif: v.nullable(v.picklist(['Gtc', 'Ioc', 'Alo', 'FrontendMarket', 'LiquidationMarket'])),
  cloid: v.nullable(v.pipe(Hex, v.length(34))),
});

export const OrderStatusAnswer = v.union([
  v.strictObject({ status: v.literal('order'), order: v.strictObject({ order: FrontendOpenOrder, status: v.string(), statusTimestamp: v.number() }) }),
  v.strictObject({ status: v.literal('unknownOid') }),
]);

export const WsOrder = v.strictObject({ order: OpenOrder, status: v.string(), statusTimestamp: v.number() });
export const OrderUpdates = v.array(WsOrder);

export const UserFill = v.object({
  coin: v.string(),
  px: Decimal,
  sz: Decimal,
  side: Side,
  time: v.number(),
  startPosition: Decimal,
  dir: v.string(),
  closedPnl: Decimal,
  hash: Hex,
  oid: v.number(),
  crossed: v.boolean(),
  fee: Decimal,
  builderFee: v.optional(Decimal),
  tid: v.number(),
  feeToken: v.string(),
  twapId: v.nullable(v.number()),
  cloid: v.optional(v.nullable(Hex)),
});

export const UserFills = v.array(UserFill);
export const WsUserFills = v.strictObject({ user: Address, fills: UserFills, isSnapshot: v.optional(v.literal(true)) });
export const WsUserEvent = v.strictObject({ fills: UserFills });
