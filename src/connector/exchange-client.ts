/**
 * `POST /exchange` and `POST /info` over HTTP, with a timeout on the injected clock, and the
 * public API's answers parsed into what the market acts on. A timeout or a transport error
 * is not an answer: the caller cannot know whether the exchange took the action, and must
 * ask (`orderStatus`) rather than guess.
 */
import type { Clock } from '../client/index.js';
import { ExchangeUnavailableError } from './errors.js';
import type { ExchangeRequest } from './auth.js';
import type { OrderAnswer } from './in-flight-order.js';
import { abortAfter } from '../util/abort.js';

export type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/** What an action's answer says: per-item statuses, or one error for the whole action. */
export type ActionAnswer = { ok: true; statuses: unknown[] } | { ok: false; error: string };

export interface ExchangeClientOptions {
  /** `http://127.0.0.1:8000` (no trailing slash): `/exchange` and `/info` are appended. */
  baseUrl: string;
  clock: Clock;
  /** Default: the global fetch. */
  fetch?: Fetch;
  /** An action without an answer after this long is a timeout, ms. Default 10,000. */
  timeoutMs?: number;
  /** Same for an info request. Default 10,000. */
  infoTimeoutMs?: number;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export class ExchangeClient {
  private readonly fetch: Fetch;
  readonly timeoutMs: number;
  readonly infoTimeoutMs: number;

  constructor(private readonly options: ExchangeClientOptions) {
    this.fetch = options.fetch ?? (globalThis.fetch as unknown as Fetch);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.infoTimeoutMs = options.infoTimeoutMs ?? 10_000;
  }

  /** Sends a signed action; resolves with its answer, rejects with `ExchangeUnavailableError` when there is none. */
  async action(body: ExchangeRequest): Promise<ActionAnswer> {
    const { status, text } = await this.post('/exchange', body, this.timeoutMs);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // A 4xx with a text body is the exchange refusing the request (bad body, bad signature).
      if (status >= 400 && status < 500) return { ok: false, error: text };
      throw new ExchangeUnavailableError(`/exchange answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    return parseActionAnswer(parsed, status);
  }

  /** An info request; resolves with the answer's JSON. */
  async info<T = unknown>(payload: Record<string, unknown>): Promise<T> {
    const { status, text } = await this.post('/info', payload, this.infoTimeoutMs);
    if (status !== 200) throw new ExchangeUnavailableError(`/info ${JSON.stringify(payload).slice(0, 120)} answered ${status}: ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ExchangeUnavailableError(`/info ${String(payload.type)} answered a body that is not JSON`);
    }
  }

  private async post(path: string, body: unknown, timeoutMs: number): Promise<{ status: number; text: string }> {
    const url = `${this.options.baseUrl}${path}`;
    const controller = new AbortController();
    const clock = this.options.clock;
    const cancelDeadline = abortAfter(controller, timeoutMs, () => new ExchangeUnavailableError(`${url}: no answer within ${timeoutMs} ms`), clock);
    try {
      const res = await this.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      const text = await res.text();
      return { status: res.status, text };
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw new ExchangeUnavailableError(`${url}: ${(error as Error).message}`, { cause: error });
    } finally {
      cancelDeadline();
    }
  }
}

/** The public answer shapes: `{status:"ok",response:{type,data:{statuses}}}`, `{status:"err",response:"…"}`. */
export function parseActionAnswer(parsed: unknown, httpStatus = 200): ActionAnswer {
  if (!isRecord(parsed)) throw new ExchangeUnavailableError(`/exchange answered ${httpStatus} with ${JSON.stringify(parsed).slice(0, 200)}`);
  if (parsed.status === 'err') return { ok: false, error: typeof parsed.response === 'string' ? parsed.response : JSON.stringify(parsed.response) };
  if (parsed.status !== 'ok') throw new ExchangeUnavailableError(`/exchange answered ${httpStatus} without a status: ${JSON.stringify(parsed).slice(0, 200)}`);
  const response = parsed.response;
  const data = isRecord(response) ? response.data : undefined;
  const statuses = isRecord(data) && Array.isArray(data.statuses) ? data.statuses : [];
  return { ok: true, statuses };
}

/** One order's status in an `order` answer, as the in-flight order takes it. */
export function toOrderAnswer(status: unknown): OrderAnswer {
  if (isRecord(status)) {
    if (typeof status.error === 'string') return { error: status.error };
    if (isRecord(status.resting) && typeof status.resting.oid === 'number') return { resting: { oid: status.resting.oid } };
    const f = status.filled;
    if (isRecord(f) && typeof f.oid === 'number' && typeof f.totalSz === 'string')
      return { filled: { totalSz: f.totalSz, avgPx: String(f.avgPx), oid: f.oid } };
  }
  return { error: `unexpected order status from the exchange: ${JSON.stringify(status)}` };
}
