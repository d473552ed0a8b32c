/**
 * One registry of coded errors, in the manner of fastify's `lib/errors.js`: each entry is a
 * stable code and its message template, and `codedError(NAME, …args)` builds the error with
 * the template filled in. A stable code makes error frames and log lines greppable; every
 * message names the thing and the value.
 *
 * Templates hold `%s` placeholders, filled in order (`String(arg)`). A category whose
 * messages are composed at the throw site (a node line, a snapshot path, …) has the template
 * `'%s'`: the site passes the whole text. `ErrorCodes` keeps every code's name and value as
 * users and tests match them.
 *
 * Add an entry here rather than throwing a bare `Error` anywhere in the project. The file is
 * pure (no Node APIs): the browser bundle and the client import it.
 */
const registry = {
  /** A decimal string that is not a valid price or size, or one we cannot hold exactly. */
  BAD_DECIMAL: { code: 'HLOB_ERR_BAD_DECIMAL', template: '%s' },
  /** A value that does not fit the exact representation (never rounded silently). */
  DECIMAL_RANGE: { code: 'HLOB_ERR_DECIMAL_RANGE', template: '%s' },
  /** A key, signature, address or action that cannot be signed or verified (src/sign). */
  SIGNATURE: { code: 'HLOB_ERR_SIGNATURE', template: '%s' },
  /** A raw book diff that cannot apply to the book (unknown oid, wrong coin/side…). */
  DESYNC: { code: 'HLOB_ERR_DESYNC', template: 'desync on %s at height %s: oid %s: %s' },
  /** L2 view parameters outside Hyperliquid's (nSigFigs 2..5, mantissa with 5 only, nLevels 1..100). */
  BAD_L2_PARAMS: { code: 'HLOB_ERR_BAD_L2_PARAMS', template: '%s' },
  /** A node line that does not parse as a block of its stream. */
  BAD_LINE: { code: 'HLOB_ERR_BAD_LINE', template: '%s' },
  /** An L4 snapshot that does not have the node's shape. */
  BAD_SNAPSHOT: { code: 'HLOB_ERR_BAD_SNAPSHOT', template: '%s' },
  /** A directory the node should have written is missing. */
  MISSING_DIR: { code: 'HLOB_ERR_MISSING_DIR', template: '%s' },
  /** The info server failed to answer a request as expected. */
  INFO_SERVER: { code: 'HLOB_ERR_INFO_SERVER', template: '%s' },
  /** Heights are not consecutive: a block is missing. */
  HEIGHT_GAP: { code: 'HLOB_ERR_HEIGHT_GAP', template: '%s' },
  /** A buffer passed its bound. */
  BUFFER_FULL: { code: 'HLOB_ERR_BUFFER_FULL', template: '%s' },
  /** Bad command-line flags or configuration. */
  CONFIG: { code: 'HLOB_ERR_CONFIG', template: '%s' },
  /** A directory we must write to cannot be created or written. */
  UNWRITABLE_DIR: { code: 'HLOB_ERR_UNWRITABLE_DIR', template: '%s' },
  /** A port we must listen on is in use or not allowed. */
  LISTEN: { code: 'HLOB_ERR_LISTEN', template: '%s' },
  /** Reading the node's files failed, or found them truncated or replaced. */
  NODE_FILES: { code: 'HLOB_ERR_NODE_FILES', template: '%s' },
  /** Client SDK: a command got no reply in time. */
  CLIENT_TIMEOUT: { code: 'HLOB_ERR_CLIENT_TIMEOUT', template: '%s: no reply within %s ms' },
  /** Client SDK: the connection is not open, or was lost before the reply came. */
  CLIENT_DISCONNECTED: { code: 'HLOB_ERR_CLIENT_DISCONNECTED', template: '%s: %s' },
  /** Client SDK: the server answered a command with an error. */
  CLIENT_REJECTED: { code: 'HLOB_ERR_CLIENT_REJECTED', template: '%s: rejected by the server: %s' },
  /** Client SDK: the client was closed for good (by `close()` or after too many failed attempts). */
  CLIENT_CLOSED: { code: 'HLOB_ERR_CLIENT_CLOSED', template: 'client closed: %s' },
  /** Client SDK: a module failed past its restart policy, or was used before it was registered. */
  CLIENT_MODULE: { code: 'HLOB_ERR_CLIENT_MODULE', template: 'module %s: %s' },
  /** Client SDK: an inbound frame whose data does not have its channel's shape (ignored; the connection carries on). */
  CLIENT_BAD_FRAME: { code: 'HLOB_ERR_CLIENT_BAD_FRAME', template: '%s frame does not have the expected shape: %s' },
  /** Connector: a price or size that cannot be sent exactly (too many decimals or significant figures, zero). */
  WIRE_FORMAT: { code: 'HLOB_ERR_WIRE_FORMAT', template: '%s' },
  /** Connector: an order refused before it leaves (unknown pair, bad side or type) or by the exchange. */
  ORDER_REFUSED: { code: 'HLOB_ERR_ORDER_REFUSED', template: '%s' },
  /** Connector: `/exchange` or `/info` did not answer, or answered something that is not the public shape. */
  EXCHANGE_UNAVAILABLE: { code: 'HLOB_ERR_EXCHANGE_UNAVAILABLE', template: '%s' },
  /**
   * An API called against its contract: an argument or option out of range, a second
   * registration, a call in the wrong state. A bug in the caller, named with the value.
   */
  USAGE: { code: 'HLOB_ERR_USAGE', template: '%s' },
  /** A request to another process (a cluster worker, the primary) got no answer in time. */
  NO_ANSWER: { code: 'HLOB_ERR_NO_ANSWER', template: 'no answer within %s ms' },
  /** A peer process or socket failed or ended (a load-test worker, a raw WebSocket handshake, a cluster channel). */
  PEER: { code: 'HLOB_ERR_PEER', template: '%s' },
  /** The browser page: an element or a server answer the page needs is missing. */
  PAGE: { code: 'HLOB_ERR_PAGE', template: '%s' },
} as const satisfies Record<string, { code: `HLOB_ERR_${string}`; template: string }>;

export type ErrorName = keyof typeof registry;

/** Each error's code by name (`ErrorCodes.BAD_LINE === 'HLOB_ERR_BAD_LINE'`). */
export const ErrorCodes = Object.freeze(Object.fromEntries(Object.entries(registry).map(([name, e]) => [name, e.code]))) as {
  readonly [N in ErrorName]: (typeof registry)[N]['code'];
};

export type ErrorCode = (typeof registry)[ErrorName]['code'];

/** Each error's message template by name. */
export const ErrorTemplates = Object.freeze(Object.fromEntries(Object.entries(registry).map(([name, e]) => [name, e.template]))) as {
  readonly [N in ErrorName]: (typeof registry)[N]['template'];
};

/** Fills `%s` placeholders in order; extra arguments are appended, missing ones left as `%s`. */
export function formatTemplate(template: string, args: readonly unknown[]): string {
  let i = 0;
  const text = template.replace(/%s/g, (slot) => (i < args.length ? String(args[i++]) : slot));
  return i < args.length ? [text, ...args.slice(i).map(String)].join(' ') : text;
}

export class HlobError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The constructor helper: `codedError('USAGE', 'module X is registered twice')`,
 * `codedError('NO_ANSWER', 500)`. The last argument may be `{ cause }`.
 */
export function codedError(name: ErrorName, ...args: unknown[]): HlobError {
  const last = args[args.length - 1];
  let options: { cause?: unknown } | undefined;
  if (isCauseOption(last)) {
    options = last;
    args = args.slice(0, -1);
  }
  return new HlobError(registry[name].code, formatTemplate(registry[name].template, args), options);
}

function isCauseOption(x: unknown): x is { cause: unknown } {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length === 1 && 'cause' in x;
}

/** Whether `x` is an error of this registry carrying `code` (or any registry code when omitted). */
export function hasCode(x: unknown, code?: ErrorCode): x is HlobError {
  return x instanceof HlobError && (code === undefined || x.code === code);
}

/** Turns anything thrown into an Error (for logs and rejections): a non-Error keeps its text. */
export function asError(x: unknown): Error {
  return x instanceof Error ? x : new Error(String(x));
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
    super(ErrorCodes.DESYNC, formatTemplate(ErrorTemplates.DESYNC, [coin, height, oid, reason]));
    this.coin = coin;
    this.oid = oid;
    this.height = height;
  }
}
