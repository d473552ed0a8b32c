/**
 * The shapes of inbound data the client reads, checked with valibot before a module reads
 * them: a malformed frame from a server (a bug, a proxy, another implementation) becomes a
 * coded error (`HLOB_ERR_CLIENT_BAD_FRAME`) that the module reports, never a `TypeError`
 * half way through a book update.
 *
 * Each schema checks the envelope and the fields the client uses, not more: an `l4Book`
 * `Updates` arrives once per block, so its events are checked for the fields the replica
 * reads (coin, oid, user, the diff's kind), and the book engine checks the numbers as it
 * applies them (it throws its own coded errors). Unknown fields pass (`looseObject`): the
 * public API adds fields over time.
 */
import * as v from 'valibot';
import { ErrorCodes, ErrorTemplates, formatTemplate, HlobError } from '../../errors.js';
import type { BookDiffEvent, L4Order, OrderStatusEvent } from '../../book/index.js';
import type { InboundFrame } from './frame.js';

/** `{channel, data}`: the envelope of every message but `pong`. */
export const EnvelopeSchema = v.looseObject({ channel: v.string(), data: v.optional(v.unknown()) });

const SubscriptionObject = v.looseObject({ type: v.string() });

/** `subscriptionResponse` data. The method defaults to `subscribe` when absent (the public API's acks of old). */
export const SubscriptionResponseSchema = v.looseObject({
  method: v.optional(v.unknown()),
  subscription: v.looseObject({}),
});

/** `post` data: `{id, response: {type, payload}}`. */
export const PostResponseSchema = v.looseObject({
  id: v.number(),
  response: v.looseObject({ type: v.unknown(), payload: v.optional(v.unknown()) }),
});

/** `serverStatus` data: the `/health` JSON (`ServerStatusData`); its `state` is what watchers wait on. */
export const ServerStatusSchema = v.looseObject({
  state: v.string(),
  height: v.number(),
  time: v.number(),
  lagMs: v.number(),
  clients: v.number(),
  subscriptions: v.number(),
  eventsPerSecond: v.number(),
  source: v.string(),
});

/*
 * Per-event checks are `v.custom` predicates over the original objects: an `l4Book` frame
 * carries thousands of orders (a snapshot) or hundreds of events (a block), and an object
 * schema would copy each of them (measured: +50 % on a block's handling against +3 %).
 */
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The fields of an order the replica reads (the engine parses the decimals); the rest pass through as sent. */
const L4OrderSchema = v.custom<L4Order>(
  (o) => isObj(o) && typeof o.user === 'string' && typeof o.oid === 'number' && typeof o.limitPx === 'string' && typeof o.sz === 'string',
  'expected an order with user, oid, limitPx and sz',
);

/** An `l4Book` `Snapshot`: one coin's orders per side, best level first. */
export const L4SnapshotSchema = v.looseObject({
  coin: v.string(),
  time: v.optional(v.number()),
  height: v.number(),
  levels: v.tuple([v.array(L4OrderSchema), v.array(L4OrderSchema)]),
});

/** A status: what the engine reads first (status, coin, oid); its order is kept as the template of the order it opens. */
const StatusSchema = v.custom<OrderStatusEvent>(
  (st) => isObj(st) && typeof st.status === 'string' && isObj(st.order) && typeof st.order.coin === 'string' && typeof st.order.oid === 'number',
  'expected a status with status and order {coin, oid}',
);

/** A diff: every field the engine applies (they are few). */
const DiffSchema = v.custom<BookDiffEvent>(
  (d) =>
    isObj(d) &&
    typeof d.user === 'string' &&
    typeof d.oid === 'number' &&
    typeof d.coin === 'string' &&
    (d.side === 'B' || d.side === 'A') &&
    typeof d.px === 'string' &&
    isRawDiff(d.raw_book_diff),
  'expected a diff with user, oid, coin, side, px and raw_book_diff',
);

function isRawDiff(r: unknown): boolean {
  if (r === 'remove') return true;
  if (!isObj(r)) return false;
  if (isObj(r.new))
    return typeof r.new.sz === 'string' && (r.new.insertBefore === undefined || r.new.insertBefore === null || typeof r.new.insertBefore === 'number');
  return isObj(r.update) && typeof r.update.origSz === 'string' && typeof r.update.newSz === 'string';
}

/** An `l4Book` `Updates`: one block's statuses and diffs. Missing lists are empty lists. */
export const L4UpdatesSchema = v.looseObject({
  time: v.number(),
  height: v.number(),
  order_statuses: v.optional(v.array(StatusSchema), []),
  book_diffs: v.optional(v.array(DiffSchema), []),
});

/** What is wrong, in one line: the first issue with its path (`levels.0.3.oid: Invalid type…`). */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (first === undefined) return 'invalid';
  const path = v.getDotPath(first);
  return `${path ? `${path}: ` : ''}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`;
}

/** The coded error for data of `what` (a channel, `l4Book Updates`…) that `issues` refused. */
export function badFrame(what: string, issues: readonly v.BaseIssue<unknown>[]): HlobError {
  return new HlobError(ErrorCodes.CLIENT_BAD_FRAME, formatTemplate(ErrorTemplates.CLIENT_BAD_FRAME, [what, describeIssues(issues)]));
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: HlobError };

/** `data` checked against `schema`: its typed value, or the coded error naming `what` and the first issue. */
export function check<S extends v.GenericSchema>(schema: S, data: unknown, what: string): Checked<v.InferOutput<S>> {
  const r = v.safeParse(schema, data);
  return r.success ? { ok: true, value: r.output } : { ok: false, error: badFrame(what, r.issues) };
}

/** A frame's data checked against `schema`, named by its channel. */
export function checkFrame<S extends v.GenericSchema>(schema: S, frame: InboundFrame): Checked<v.InferOutput<S>> {
  return check(schema, frame.data, frame.channel);
}

export { SubscriptionObject };
