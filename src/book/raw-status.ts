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

const USER_KEY = '"user":"';

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
    const k = this.src.indexOf(USER_KEY, this.start);
    if (k !== -1 && k < this.end) {
      const from = k + USER_KEY.length;
      const to = this.src.indexOf('"', from);
      if (to !== -1 && to < this.end) return this.src.slice(from, to);
    }
    return this.event().user;
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
