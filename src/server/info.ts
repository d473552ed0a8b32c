/**
 * Info requests (`POST /info`, and `post` over the socket): `l2Book` and `allMids` from our
 * books, our `l4Book`, everything else forwarded to the node's info server and its answer
 * returned as is.
 */
import * as v from 'valibot';
import type { BookFeed } from '../state/feed.js';
import { candleSnapshotAnswer } from './candles/info.js';
import type { Publisher } from './publisher.js';
import { parseSubscription } from './subscriptions.js';
import { normalizeAddress, normalizeCloid } from './user/address.js';
import type { UserStreams } from './user/user-streams.js';

/** An answer: the HTTP status and the body text (JSON when `json`). */
export interface InfoAnswer {
  status: number;
  body: string;
  contentType: string;
  /** The body is JSON (an info answer's `data`); false for errors in plain text. */
  json: boolean;
  /** Answered by the node's info server (not by us). */
  forwarded: boolean;
}

export interface InfoServiceOptions {
  feed: BookFeed;
  publisher: Publisher;
  /** The node's info server; requests we do not answer go there. */
  infoUrl: string;
  /** Give up on the node's info server after this long; default 10 000 ms. */
  forwardTimeoutMs?: number;
  /** Default the global `fetch`. */
  fetch?: typeof fetch;
  /** `openOrders`, `frontendOpenOrders`, `orderStatus`, `userFills` for any address; forwarded when absent. */
  users?: UserStreams;
}

const JSON_TYPE = 'application/json';

const InfoRequest = v.looseObject({ type: v.string() });
const L4BookRequest = v.strictObject({ type: v.literal('l4Book'), coin: v.string() });
const AllMidsRequest = v.strictObject({ type: v.literal('allMids'), dex: v.nullish(v.string()) });
const OpenOrdersRequest = v.looseObject({ type: v.picklist(['openOrders', 'frontendOpenOrders']), user: v.string(), dex: v.nullish(v.string()) });
const OrderStatusRequest = v.looseObject({
  type: v.literal('orderStatus'),
  user: v.string(),
  oid: v.union([v.pipe(v.number(), v.safeInteger(), v.minValue(0)), v.string()]),
});
const UserFillsRequest = v.looseObject({ type: v.literal('userFills'), user: v.string(), aggregateByTime: v.nullish(v.boolean()) });

function ok(json: string): InfoAnswer {
  return { status: 200, body: json, contentType: JSON_TYPE, json: true, forwarded: false };
}

function fail(status: number, message: string): InfoAnswer {
  return { status, body: message, contentType: 'text/plain; charset=utf-8', json: false, forwarded: false };
}

export class InfoService {
  private readonly forwardTimeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: InfoServiceOptions) {
    this.forwardTimeoutMs = opts.forwardTimeoutMs ?? 10_000;
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  /** Answer one request body (already parsed JSON). Never throws. */
  async answer(request: unknown): Promise<InfoAnswer> {
    const r = v.safeParse(InfoRequest, request);
    if (!r.success)
      return fail(
        422,
        `Failed to deserialize the JSON body into the target type: expected an object with a string "type", got ${clip(JSON.stringify(request) ?? String(request))}`,
      );
    switch (r.output.type) {
      case 'l2Book':
        return this.l2Book(request);
      case 'allMids':
        return this.allMids(request);
      case 'l4Book':
        return this.l4Book(request);
      case 'candleSnapshot': {
        const a = await candleSnapshotAnswer(this.opts.publisher.candles, request);
        return a.ok ? ok(a.json) : fail(a.status, a.message);
      }
      case 'openOrders':
      case 'frontendOpenOrders':
        return this.openOrders(request);
      case 'orderStatus':
        return this.orderStatus(request);
      case 'userFills':
        return this.userFills(request);
      case 'fileSnapshot':
        // It makes the node write a file wherever the request says: an operator's request, not a client's.
        return fail(403, "fileSnapshot is not forwarded to the node: it makes the node write files; ask the node's info server directly");
      default:
        return this.forward(request);
    }
  }

  private notReady(): InfoAnswer | null {
    if (this.opts.publisher.booksAvailable) return null;
    return fail(503, `order books not loaded yet (state ${this.opts.feed.status().state})`);
  }

  private l2Book(request: unknown): InfoAnswer {
    const sub = parseSubscription(request);
    if (sub === null || sub.type !== 'l2Book') return fail(422, `Invalid l2Book request ${clip(JSON.stringify(request))}`);
    const wait = this.notReady();
    if (wait !== null) return wait;
    const book = this.opts.feed.books.book(sub.coin);
    if (book === undefined) return ok('null');
    const levels = book.l2({ nSigFigs: sub.nSigFigs, mantissa: sub.mantissa, nLevels: sub.nLevels });
    return ok(`{"coin":${JSON.stringify(sub.coin)},"time":${this.opts.publisher.blockTime},"levels":${JSON.stringify(levels)}}`);
  }

  private allMids(request: unknown): InfoAnswer {
    const r = v.safeParse(AllMidsRequest, request);
    if (!r.success) return fail(422, `Invalid allMids request ${clip(JSON.stringify(request))}`);
    const wait = this.notReady();
    if (wait !== null) return wait;
    return ok(this.opts.publisher.midsJson(r.output.dex ?? null));
  }

  private l4Book(request: unknown): InfoAnswer {
    const r = v.safeParse(L4BookRequest, request);
    if (!r.success) return fail(422, `Invalid l4Book request ${clip(JSON.stringify(request))}`);
    const wait = this.notReady();
    if (wait !== null) return wait;
    const snap = this.opts.publisher.l4Snapshot(r.output.coin);
    return ok(snap === null ? 'null' : snap.json);
  }

  private async openOrders(request: unknown): Promise<InfoAnswer> {
    const users = this.opts.users;
    if (users === undefined) return this.forward(request);
    const r = v.safeParse(OpenOrdersRequest, request);
    const user = r.success ? normalizeAddress(r.output.user) : null;
    if (!r.success || user === null)
      return fail(
        422,
        `Invalid ${(request as { type: string }).type} request ${clip(JSON.stringify(request))}: expected {"user": "0x" and 40 hex digits, "dex"?: string}`,
      );
    const wait = this.notReady();
    if (wait !== null) return wait;
    const dex = r.output.dex ?? '';
    return ok(JSON.stringify(r.output.type === 'openOrders' ? await users.openOrders(user, dex) : await users.frontendOpenOrders(user, dex)));
  }

  private async orderStatus(request: unknown): Promise<InfoAnswer> {
    const users = this.opts.users;
    if (users === undefined) return this.forward(request);
    const r = v.safeParse(OrderStatusRequest, request);
    const user = r.success ? normalizeAddress(r.output.user) : null;
    const oid = !r.success
      ? null
      : typeof r.output.oid === 'number'
        ? r.output.oid
        : /^\d+$/.test(r.output.oid)
          ? Number(r.output.oid)
          : normalizeCloid(r.output.oid);
    if (!r.success || user === null || oid === null || (typeof oid === 'number' && !Number.isSafeInteger(oid))) {
      return fail(
        422,
        `Invalid orderStatus request ${clip(JSON.stringify(request))}: expected {"user": "0x" and 40 hex digits, "oid": an order id or a cloid ("0x" and 32 hex digits)}`,
      );
    }
    const wait = this.notReady();
    if (wait !== null) return wait;
    const found = await users.orderStatus(user, oid);
    // Not held here (the address was not followed when the order changed): the node knows.
    return found.found ? ok(JSON.stringify(found.answer)) : this.forward(request);
  }

  private async userFills(request: unknown): Promise<InfoAnswer> {
    const users = this.opts.users;
    if (users === undefined) return this.forward(request);
    const r = v.safeParse(UserFillsRequest, request);
    const user = r.success ? normalizeAddress(r.output.user) : null;
    if (!r.success || user === null)
      return fail(422, `Invalid userFills request ${clip(JSON.stringify(request))}: expected {"user": "0x" and 40 hex digits, "aggregateByTime"?: boolean}`);
    const fills = users.userFills(user, r.output.aggregateByTime === true);
    // Some of this address's fills were evicted by the bounds: the node's info server answers.
    return fills === null ? this.forward(request) : ok(JSON.stringify(fills));
  }

  private async forward(request: unknown): Promise<InfoAnswer> {
    let res: Response;
    try {
      res = await this.fetch(this.opts.infoUrl, {
        method: 'POST',
        headers: { 'content-type': JSON_TYPE },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.forwardTimeoutMs),
      });
    } catch (err) {
      return fail(502, `the node's info server at ${this.opts.infoUrl} did not answer: ${(err as Error).message}`);
    }
    const body = await res.text().catch((err: unknown) => `(body unreadable: ${(err as Error).message})`);
    const contentType = res.headers.get('content-type') ?? 'application/octet-stream';
    let json = res.ok;
    if (json) {
      try {
        JSON.parse(body);
      } catch {
        json = false;
      }
    }
    return { status: res.status, body, contentType, json, forwarded: true };
  }
}

function clip(s: string | undefined): string {
  if (s === undefined) return 'undefined';
  return s.length > 1000 ? s.slice(0, 1000) : s;
}
