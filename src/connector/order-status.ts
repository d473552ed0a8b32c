/**
 * Every order status name the node writes (and `orderStatus`/`orderUpdates` pass on),
 * mapped to what it means for an order's life. The rule carries new names too: every
 * `…Rejected` is a failure and every `…Canceled` a cancel, so a status the exchange adds
 * tomorrow in either family is understood today; a name in neither family that is not
 * listed here is `undefined` (the caller logs it and keeps the order as it is).
 */

/** What a status says about an order. */
export type StatusMeaning = 'open' | 'filled' | 'canceled' | 'failed';

/** The node's statuses by name (hummingbot's table and @nktkas/hyperliquid's full list). */
export const KNOWN_STATUSES: Readonly<Record<string, StatusMeaning>> = {
  open: 'open',
  resting: 'open',
  triggered: 'open',
  waitingForFill: 'open',
  waitingForTrigger: 'open',
  filled: 'filled',
  canceled: 'canceled',
  marginCanceled: 'canceled',
  vaultWithdrawalCanceled: 'canceled',
  openInterestCapCanceled: 'canceled',
  selfTradeCanceled: 'canceled',
  reduceOnlyCanceled: 'canceled',
  siblingFilledCanceled: 'canceled',
  delistedCanceled: 'canceled',
  liquidatedCanceled: 'canceled',
  outcomeSettledCanceled: 'canceled',
  scheduledCancel: 'canceled',
  internalCancel: 'canceled',
  rejected: 'failed',
  tickRejected: 'failed',
  minTradeNtlRejected: 'failed',
  perpMarginRejected: 'failed',
  reduceOnlyRejected: 'failed',
  badAloPxRejected: 'failed',
  iocCancelRejected: 'failed',
  badTriggerPxRejected: 'failed',
  marketOrderNoLiquidityRejected: 'failed',
  positionIncreaseAtOpenInterestCapRejected: 'failed',
  positionFlipAtOpenInterestCapRejected: 'failed',
  tooAggressiveAtOpenInterestCapRejected: 'failed',
  openInterestIncreaseRejected: 'failed',
  insufficientSpotBalanceRejected: 'failed',
  oracleRejected: 'failed',
  perpMaxPositionRejected: 'failed',
  tooManyOpenOrdersRejected: 'failed',
};

/** The meaning of a node status name, or undefined for a name in no family. */
export function statusMeaning(status: string): StatusMeaning | undefined {
  const known = KNOWN_STATUSES[status];
  if (known !== undefined) return known;
  if (/Rejected$/.test(status)) return 'failed';
  if (/Canceled$|Cancel$/.test(status)) return 'canceled';
  return undefined;
}

/** A failure status in words for `orderFailed` (`badAloPxRejected` → "rejected by the exchange: badAloPxRejected"). */
export function statusReason(status: string): string {
  return `${status === 'rejected' ? 'rejected' : status} (order status from the exchange)`;
}
