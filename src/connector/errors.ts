/**
 * The connector's coded errors (codes in `src/errors.ts`): an order refused before it
 * leaves or by the exchange, and an exchange or info endpoint that did not answer properly.
 */
import { ErrorCodes, HlobError } from '../errors.js';

export { asError } from '../errors.js';

/** An order (or cancel) refused: by the connector's checks, or by the exchange with its message. */
export class OrderRefusedError extends HlobError {
  constructor(message: string) {
    super(ErrorCodes.ORDER_REFUSED, message);
  }
}

/** `/exchange` or `/info` unreachable, timed out, or answering outside the public shapes. */
export class ExchangeUnavailableError extends HlobError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.EXCHANGE_UNAVAILABLE, message, options);
  }
}
