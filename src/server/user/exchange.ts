/**
 * `POST /exchange` and WS `post` `"type":"action"`: forwarded unchanged to the exchange
 * (`--exchange-url`: the simulated node's paper exchange, or Hyperliquid's), the answer
 * returned as is (status and body). So one URL serves a public-API client's data and orders.
 * Failures are ours to explain: 502 naming the URL, with bounded bodies both ways and a
 * time limit.
 */

/** Largest request body forwarded (a batch of orders is a few KB; the public API's own limit is lower). */
export const MAX_EXCHANGE_BODY = 256 * 1024;
/** Largest answer relayed back. */
export const MAX_EXCHANGE_ANSWER = 4 * 1024 * 1024;
/** Hyperliquid's exchange endpoint: the default next to a real node. */
export const PUBLIC_EXCHANGE_URL = 'https://api.hyperliquid.xyz/exchange';

/**
 * `--exchange-url` when not given: the simulated node's paper exchange (its info server's
 * `/exchange`), or Hyperliquid's next to a real node (a node does not take orders itself).
 */
export function defaultExchangeUrl(source: 'node' | 'simulated', infoUrl: string): string {
  if (source === 'node') return PUBLIC_EXCHANGE_URL;
  const u = new URL(infoUrl);
  u.pathname = u.pathname.replace(/\/info\/?$/, '') + '/exchange';
  return u.toString();
}

export interface ExchangeAnswer {
  status: number;
  body: string;
  contentType: string;
  /** The exchange answered (false: our 502/413 about forwarding). */
  forwarded: boolean;
}

export interface ExchangeForwarderOptions {
  url: string;
  /** Give up after this long; default 10,000 ms. */
  timeoutMs?: number;
  /** Default `MAX_EXCHANGE_ANSWER`. */
  maxAnswerBytes?: number;
  /** Default the global `fetch`. */
  fetch?: typeof fetch;
  /**
   * Awaited (at most `settleMs`) after the exchange answered: reading the node's files
   * written so far, so that the client's next request through us sees its own action.
   */
  settle?: () => Promise<void>;
  /** Default 1,000 ms. */
  settleMs?: number;
}

const TEXT = 'text/plain; charset=utf-8';

export class ExchangeForwarder {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly maxAnswerBytes: number;
  private readonly fetch: typeof fetch;
  private readonly settle: (() => Promise<void>) | undefined;
  private readonly settleMs: number;

  constructor(opts: ExchangeForwarderOptions) {
    this.url = opts.url;
    this.settle = opts.settle;
    this.settleMs = opts.settleMs ?? 1_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxAnswerBytes = opts.maxAnswerBytes ?? MAX_EXCHANGE_ANSWER;
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  private fail(what: string): ExchangeAnswer {
    return { status: 502, body: `the exchange at ${this.url} ${what}`, contentType: TEXT, forwarded: false };
  }

  /** Forward one request body (text, as received). Never throws. */
  async forward(body: string): Promise<ExchangeAnswer> {
    if (Buffer.byteLength(body) > MAX_EXCHANGE_BODY) {
      return { status: 413, body: `request body over ${MAX_EXCHANGE_BODY} bytes: not forwarded to the exchange`, contentType: TEXT, forwarded: false };
    }
    const signal = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await this.fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
    } catch (err) {
      return this.fail(signal.aborted ? `did not answer within ${this.timeoutMs} ms` : `could not be reached: ${describe(err)}`);
    }
    let text: string;
    try {
      const read = await readCapped(res, this.maxAnswerBytes);
      if (read === null) return this.fail(`answered more than ${this.maxAnswerBytes} bytes`);
      text = read;
    } catch (err) {
      return this.fail(signal.aborted ? `did not finish its answer within ${this.timeoutMs} ms` : `broke off its answer: ${describe(err)}`);
    }
    if (this.settle !== undefined) await this.settled(this.settle);
    return { status: res.status, body: text, contentType: res.headers.get('content-type') ?? 'application/json', forwarded: true };
  }

  /** Read-your-writes, bounded: never longer than `settleMs`, never an error. */
  private async settled(settle: () => Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settle().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, this.settleMs)))]);
    clearTimeout(timer);
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause !== undefined ? `${e.message} (${cause})` : e.message;
}

/** The body as text, or null past `limit` bytes (reading stops there). */
async function readCapped(res: Response, limit: number): Promise<string | null> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
