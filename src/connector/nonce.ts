/**
 * Nonces for L1 actions: per signer, strictly increasing milliseconds, `max(now, last + 1)`
 * (what the official docs advise: "an atomic counter per signer, fast-forwarded to the
 * current unix milliseconds"). The exchange keeps each signer's 100 highest nonces and
 * refuses a reused one or one below the smallest kept, so two actions signed in the same
 * millisecond must still differ. `next` is synchronous, so any number of concurrent
 * `async` callers in one process each get a distinct value; the signer is the key because
 * an API wallet (agent) has its own nonce set, apart from its master's.
 */
import type { Clock } from '../client/index.js';

export class NonceManager {
  private readonly last = new Map<string, number>();

  /** `clock`: only `now()` is read. */
  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /** The next nonce for `signer` (an address, any case). */
  next(signer: string): number {
    const key = signer.toLowerCase();
    const now = Math.floor(this.clock.now());
    const prev = this.last.get(key) ?? 0;
    const nonce = now > prev ? now : prev + 1;
    this.last.set(key, nonce);
    return nonce;
  }

  /** The last nonce given for `signer`, or undefined. */
  peek(signer: string): number | undefined {
    return this.last.get(signer.toLowerCase());
  }
}
