/**
 * The client's typed errors. A command fails with exactly one of these, so callers can
 * tell "no answer in time" from "the connection went away" from "the server said no".
 */
import { ErrorCodes, ErrorTemplates, formatTemplate, HlobError } from '../../errors.js';

export { asError } from '../../errors.js';

/** A command got no reply within its timeout. */
export class TimeoutError extends HlobError {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super(ErrorCodes.CLIENT_TIMEOUT, formatTemplate(ErrorTemplates.CLIENT_TIMEOUT, [what, timeoutMs]));
    this.timeoutMs = timeoutMs;
  }
}

/** The connection is not open, or was lost before the reply came. */
export class DisconnectedError extends HlobError {
  constructor(what: string, reason = 'the connection is not open') {
    super(ErrorCodes.CLIENT_DISCONNECTED, formatTemplate(ErrorTemplates.CLIENT_DISCONNECTED, [what, reason]));
  }
}

/** The server answered with an error frame or an error post response. */
export class RejectedError extends HlobError {
  /** The server's text, unchanged. */
  readonly serverText: string;
  constructor(what: string, serverText: string) {
    super(ErrorCodes.CLIENT_REJECTED, formatTemplate(ErrorTemplates.CLIENT_REJECTED, [what, serverText]));
    this.serverText = serverText;
  }
}

/** The client is closed for good. */
export class ClientClosedError extends HlobError {
  constructor(reason: string) {
    super(ErrorCodes.CLIENT_CLOSED, formatTemplate(ErrorTemplates.CLIENT_CLOSED, [reason]));
  }
}

/** A module failed past its restart policy, or is not registered. */
export class ModuleError extends HlobError {
  readonly module: string;
  constructor(module: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.CLIENT_MODULE, formatTemplate(ErrorTemplates.CLIENT_MODULE, [module, message]), options);
    this.module = module;
  }
}

/** An async iterator's buffer passed its bound: the consumer fell behind and lost frames. */
export class BufferFullError extends HlobError {
  constructor(what: string, bound: number) {
    super(ErrorCodes.BUFFER_FULL, `${what}: more than ${bound} items waiting; the consumer is too slow`);
  }
}
