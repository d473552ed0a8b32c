/**
 * User addresses as clients send them (any case) and as the node writes them (lower case):
 * one form, so that a subscription, an info request and the node's events meet.
 */

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** The lower-case address, or null when `raw` is not `0x` and 40 hex digits. */
export function normalizeAddress(raw: unknown): string | null {
  if (typeof raw !== 'string' || !ADDRESS.test(raw)) return null;
  return raw.toLowerCase();
}

const CLOID = /^0x[0-9a-fA-F]{32}$/;

/** The lower-case client order id (`0x` and 32 hex digits), or null. */
export function normalizeCloid(raw: unknown): string | null {
  if (typeof raw !== 'string' || !CLOID.test(raw)) return null;
  return raw.toLowerCase();
}
