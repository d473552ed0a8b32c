/**
 * One registry of coded errors (in the manner of fastify's `FST_ERR_…`): a stable code makes
 * error frames and log lines greppable. Every message names the thing and the value.
 *
 * Add a code here rather than throwing a bare `Error` anywhere in the project.
 */
export const ErrorCodes = {
  /** A decimal string that is not a valid price or size, or one we cannot hold exactly. */
  BAD_DECIMAL: 'HLOB_ERR_BAD_DECIMAL',
  /** A value that does not fit the exact representation (never rounded silently). */
  DECIMAL_RANGE: 'HLOB_ERR_DECIMAL_RANGE',
  /** A key, signature, address or action that cannot be signed or verified (src/sign). */
  SIGNATURE: 'HLOB_ERR_SIGNATURE',
  /** A raw book diff that cannot apply to the book (unknown oid, wrong coin/side…). */
  DESYNC: 'HLOB_ERR_DESYNC',
  /** L2 view parameters outside Hyperliquid's (nSigFigs 2..5, mantissa with 5 only, nLevels 1..100). */
  BAD_L2_PARAMS: 'HLOB_ERR_BAD_L2_PARAMS',
  /** A node line that does not parse as a block of its stream. */
  BAD_LINE: 'HLOB_ERR_BAD_LINE',
  /** An L4 snapshot that does not have the node's shape. */
  BAD_SNAPSHOT: 'HLOB_ERR_BAD_SNAPSHOT',
  /** A directory the node should have written is missing. */
  MISSING_DIR: 'HLOB_ERR_MISSING_DIR',
  /** The info server failed to answer a request as expected. */
  INFO_SERVER: 'HLOB_ERR_INFO_SERVER',
  /** Heights are not consecutive: a block is missing. */
  HEIGHT_GAP: 'HLOB_ERR_HEIGHT_GAP',
  /** A buffer passed its bound. */
  BUFFER_FULL: 'HLOB_ERR_BUFFER_FULL',
  /** Bad command-line flags or configuration. */
  CONFIG: 'HLOB_ERR_CONFIG',
  /** A directory we must write to cannot be created or written. */
  UNWRITABLE_DIR: 'HLOB_ERR_UNWRITABLE_DIR',
  /** A port we must listen on is in use or not allowed. */
  LISTEN: 'HLOB_ERR_LISTEN',
  /** Reading the node's files failed, or found them truncated or replaced. */
  NODE_FILES: 'HLOB_ERR_NODE_FILES',
  /** Client SDK: a command got no reply in time. */
  CLIENT_TIMEOUT: 'HLOB_ERR_CLIENT_TIMEOUT',
  /** Client SDK: the connection is not open, or was lost before the reply came. */
  CLIENT_DISCONNECTED: 'HLOB_ERR_CLIENT_DISCONNECTED',
  /** Client SDK: the server answered a command with an error. */
  CLIENT_REJECTED: 'HLOB_ERR_CLIENT_REJECTED',
  /** Client SDK: the client was closed for good (by `close()` or after too many failed attempts). */
  CLIENT_CLOSED: 'HLOB_ERR_CLIENT_CLOSED',
  /** Client SDK: a module failed past its restart policy, or was used before it was registered. */
  CLIENT_MODULE: 'HLOB_ERR_CLIENT_MODULE',
  /** Connector: a price or size that cannot be sent exactly (too many decimals or significant figures, zero). */
  WIRE_FORMAT: 'HLOB_ERR_WIRE_FORMAT',
  /** Connector: an order refused before it leaves (unknown pair, bad side or type) or by the exchange. */
  ORDER_REFUSED: 'HLOB_ERR_ORDER_REFUSED',
  /** Connector: `/exchange` or `/info` did not answer, or answered something that is not the public shape. */
  EXCHANGE_UNAVAILABLE: 'HLOB_ERR_EXCHANGE_UNAVAILABLE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class HlobError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A number string we refuse: malformed, too many decimals, or out of exact range. */
export class DecimalError extends HlobError {
  constructor(message: string, code: ErrorCode = ErrorCodes.BAD_DECIMAL) {
    super(code, message);
  }
}

/** A diff that cannot apply. Names coin, oid and height so that a log line says it all. */
export class DesyncError extends HlobError {
  readonly coin: string;
  readonly oid: number;
  readonly height: number;
  constructor(coin: string, oid: number, height: number, reason: string) {
    super(ErrorCodes.DESYNC, `desync on ${coin} at height ${height}: oid ${oid}: ${reason}`);
    this.coin = coin;
    this.oid = oid;
    this.height = height;
  }
}
