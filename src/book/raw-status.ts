/**
 * A status event kept as the node's own JSON text, parsed only if its fields are needed.
 *
 * About 95 % of the 7,500–15,000 statuses a second are rejections that never touch a book:
 * the only things applying a block needs from one are its coin (to file it under) and, for
 * `open`/`triggered`, the whole order. `JSON.parse` of every status line was most of ingest's
 * cost and garbage, so the reader (`src/node/parse.ts`) cuts the line into events with a few
 * native `indexOf` calls and hands out these: `status`, `coin` and `oid` read from the text,
 * the rest on demand. An `l4Book` `Updates` frame sends `json` as is (the node's exact bytes).
 *
 * Anything that reads the ordinary fields (`order`, `user`…) gets the parsed event, so a
 * `RawStatus` can stand wherever an `OrderStatusEvent` is expected; hot paths use
 * `statusCoin`, `statusOid` and `statusesJson` to avoid parsing.
 */
import type { NodeOrder, OrderStatusEvent } from './events.js';

/** `{"time":"`: what every event of the reader's fast path starts with. */
const TIME_KEY_LENGTH = 9;
/** The end of `time`'s value and the start of `user`'s. */
const USER_SEP = '","user":"';

export class RawStatus implements OrderStatusEvent {
  private parsed: OrderStatusEvent | undefined;

  /**
   * @param src The text the event is part of (a whole node line).
   * @param start Offset of the event's `{` in `src`.
   * @param end Offset just past the event's `}`.
   */
  constructor(
    readonly status: string,
    readonly coin: string,
    readonly oid: number,
    private readonly src: string,
    private readonly start: number,
    private readonly end: number,
  ) {}

  /** The event's JSON text, exactly as the node wrote it. */
  get json(): string {
    return this.src.slice(this.start, this.end);
  }

  /**
   * The event's `user`, read from the text without parsing the event (the node writes it
   * second, right after `time`): user streams look at every status's user when someone
   * follows an address, and 95 % of them are never parsed.
   */
  userText(): string {
    const from = this.userAt();
    if (from !== -1) {
      const to = this.src.indexOf('"', from);
      if (to !== -1 && to < this.end) return this.src.slice(from, to);
    }
    return this.event().user;
  }

  /**
   * Where the user's address starts in the text, or -1. The event starts with
   * `{"time":"…","user":"` (the reader checked the first part): one single-character search
   * (a multi-character `indexOf` per status costs several times more) and one comparison.
   */
  private userAt(): number {
    const q = this.src.indexOf('"', this.start + TIME_KEY_LENGTH);
    if (q === -1 || q >= this.end || !this.src.startsWith(USER_SEP, q)) return -1;
    return q + USER_SEP.length;
  }

  /**
   * `addressKey` of the event's user, read in place (no string made): a cheap first filter
   * before `userText`, which allocates. -1 when the text is not as expected.
   */
  userKey(): number {
    const at = this.userAt();
    if (at === -1 || at + 6 > this.end) return -1;
    return keyAt(this.src, at);
  }

  /** The parsed event (parsed once). */
  event(): OrderStatusEvent {
    return (this.parsed ??= JSON.parse(this.json) as OrderStatusEvent);
  }

  get time(): string {
    return this.event().time;
  }
  get user(): string {
    return this.event().user;
  }
  get hash(): string | null {
    return this.event().hash;
  }
  get builder(): { b: string; f: number } | null {
    return this.event().builder;
  }
  get order(): NodeOrder {
    return this.event().order;
  }

  toJSON(): OrderStatusEvent {
    return this.event();
  }
}

/** The coin a status event is about, without parsing a `RawStatus`. */
export function statusCoin(st: OrderStatusEvent): string {
  return st instanceof RawStatus ? st.coin : st.order.coin;
}

/** Characters 2..5 of an address (after `0x`) packed into an integer: equal addresses, equal keys. */
function keyAt(s: string, at: number): number {
  return s.charCodeAt(at + 2) | (s.charCodeAt(at + 3) << 7) | (s.charCodeAt(at + 4) << 14) | (s.charCodeAt(at + 5) << 21);
}

/** A cheap key of an address (as the node writes it, lower case): a filter, not an identity. */
export function addressKey(address: string): number {
  return address.length < 6 ? -1 : keyAt(address, 0);
}

/** `addressKey` of a status event's user, without making a string of it. */
export function statusUserKey(st: OrderStatusEvent): number {
  return st instanceof RawStatus ? st.userKey() : addressKey(st.user);
}

/** The user of a status event, without parsing a `RawStatus`. */
export function statusUser(st: OrderStatusEvent): string {
  return st instanceof RawStatus ? st.userText() : st.user;
}

/** The order id of a status event, without parsing a `RawStatus`. */
export function statusOid(st: OrderStatusEvent): number {
  return st instanceof RawStatus ? st.oid : st.order.oid;
}

/** A plain event: parses a `RawStatus`, so that a status kept for later does not hold on to its whole line. */
export function plainStatus(st: OrderStatusEvent): OrderStatusEvent {
  return st instanceof RawStatus ? st.event() : st;
}

/** A JSON array of status events: raw ones as the node wrote them, parsed ones stringified. */
export function statusesJson(list: readonly OrderStatusEvent[]): string {
  if (list.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    const st = list[i]!;
    if (i > 0) out += ',';
    out += st instanceof RawStatus ? st.json : JSON.stringify(st);
  }
  return out + ']';
}
