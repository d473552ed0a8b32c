/**
 * Hyperliquid's nonce rule, per signer: the 100 highest nonces are kept; a new one must be
 * above the smallest of them, unused, and within (T − 2 days, T + 1 day) of the block time T.
 */
export const NONCES_KEPT = 100;
const DAY_MS = 86_400_000;

export class NonceSet {
  /** Ascending. */
  private readonly kept: number[] = [];

  /** Why `nonce` is refused at block time `t` (the public API's wording), or null. */
  check(nonce: number, t: number): string | null {
    if (!(nonce > t - 2 * DAY_MS && nonce < t + DAY_MS)) return `Invalid nonce: nonce ${nonce} is outside the allowed range (T - 2 days, T + 1 day), T = ${t}`;
    if (this.kept.length >= NONCES_KEPT && nonce <= this.kept[0]!)
      return `Invalid nonce: nonce ${nonce} is not above the smallest of the ${NONCES_KEPT} highest nonces used (${this.kept[0]})`;
    if (this.has(nonce)) return `Invalid nonce: duplicate nonce ${nonce}`;
    return null;
  }

  /** Record an accepted nonce (after `check`). */
  use(nonce: number): void {
    const k = this.kept;
    k.splice(lowerBound(k, nonce), 0, nonce);
    if (k.length > NONCES_KEPT) k.shift();
  }

  private has(nonce: number): boolean {
    return this.kept[lowerBound(this.kept, nonce)] === nonce;
  }
}

/** Index of the first of the ascending `kept` that is >= `nonce`. */
function lowerBound(kept: readonly number[], nonce: number): number {
  let lo = 0;
  let hi = kept.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (kept[mid]! < nonce) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
