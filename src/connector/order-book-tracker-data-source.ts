/**
 * `OrderBookTrackerDataSource`: where the books' data comes from, over the client SDK, parsed
 * once into `OrderBookMessage`s for the `OrderBookTracker`. It collects, parses and hands
 * on; it keeps no book.
 *
 * - `L4OrderBookDataSource` (our server): `l4Book` (a `Snapshot` on every (re)subscribe and
 *   after a server resync, then one `Updates` per block with events of the pair) and, for a
 *   fresh snapshot on request, the `l4Book` info request over the same socket (so the answer
 *   is ordered with the stream: every `Updates` sent before it arrives before it).
 * - `L2OrderBookDataSource` (the public API, or ours): `l2Book`, whose every frame is a full
 *   view; `l2Book` info for a snapshot on request.
 *
 * Both can add the pair's `trades`.
 */
import type { Trade } from '../book/index.js';
import { Post, Subscriptions, isRecord, type ActiveSubscription, type Client, type L2Level } from '../client/index.js';
import { asError, codedError, ErrorCodes, HlobError } from '../errors.js';
import type { BookDepth, L2SnapshotMessage, L4SnapshotMessage, OrderBookMessage, SnapshotMessage } from './order-book-message.js';
import { check, L4UpdatesSchema } from '../client/core/inbound.js';

export interface OrderBookTrackerDataSource {
  readonly depth: BookDepth;
  /**
   * Starts the pair's stream; messages go to `onMessage`, a frame that does not parse to
   * `onInvalid` (the tracker then fetches a fresh snapshot). Resolves once subscribed.
   */
  listen(pair: string, onMessage: (message: OrderBookMessage) => void, onInvalid: (error: Error) => void): Promise<void>;
  unlisten(pair: string): Promise<void>;
  /** A fresh snapshot by request (not from the stream). */
  fetchSnapshot(pair: string): Promise<SnapshotMessage>;
  /** `listener` is called when the connection drops: what the stream sends until its next snapshot cannot be trusted. */
  onDisconnect(listener: () => void): () => void;
}

export interface DataSourceOptions {
  /** Also stream the pair's trades as `trade` messages. Default false. */
  trades?: boolean;
  /** Info requests wait at most this long, ms. Default 10,000. */
  timeoutMs?: number;
}

function badData(what: string, pair: string): HlobError {
  return new HlobError(ErrorCodes.BAD_SNAPSHOT, `${what} of ${pair} does not have the expected shape`);
}

/** `{coin, time, height, levels: [bids, asks]}` (the `l4Book` snapshot) → a message, or a coded error. */
export function parseL4Snapshot(pair: string, data: unknown, origin: 'stream' | 'request'): L4SnapshotMessage {
  if (!isRecord(data) || typeof data.height !== 'number' || !Array.isArray(data.levels) || data.levels.length !== 2) throw badData('l4Book snapshot', pair);
  const [bids, asks] = data.levels as unknown[];
  if (!Array.isArray(bids) || !Array.isArray(asks)) throw badData('l4Book snapshot', pair);
  return { type: 'snapshot', depth: 'l4', pair, height: data.height, time: typeof data.time === 'number' ? data.time : 0, levels: [bids, asks], origin };
}

function isLevel(x: unknown): x is L2Level {
  return isRecord(x) && typeof x.px === 'string' && typeof x.sz === 'string' && typeof x.n === 'number';
}

export function parseL2Snapshot(pair: string, data: unknown, origin: 'stream' | 'request'): L2SnapshotMessage {
  if (!isRecord(data) || !Array.isArray(data.levels) || data.levels.length !== 2) throw badData('l2Book', pair);
  const [bids, asks] = data.levels as unknown[];
  if (!Array.isArray(bids) || !Array.isArray(asks) || !bids.every(isLevel) || !asks.every(isLevel)) throw badData('l2Book', pair);
  return { type: 'snapshot', depth: 'l2', pair, height: undefined, time: typeof data.time === 'number' ? data.time : 0, levels: [bids, asks], origin };
}

abstract class SdkDataSource implements OrderBookTrackerDataSource {
  abstract readonly depth: BookDepth;
  private readonly held = new Map<string, ActiveSubscription[]>();
  protected readonly timeoutMs: number;

  constructor(
    protected readonly client: Client,
    protected readonly options: DataSourceOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  protected abstract bookSubscription(pair: string): { type: string; [k: string]: unknown };
  /** The message a book frame makes (undefined: not this pair's, or ignorable); throws on a malformed frame. */
  protected abstract parseFrame(pair: string, data: unknown): OrderBookMessage | undefined;
  abstract fetchSnapshot(pair: string): Promise<SnapshotMessage>;

  async listen(pair: string, onMessage: (message: OrderBookMessage) => void, onInvalid: (error: Error) => void): Promise<void> {
    if (this.held.has(pair)) throw codedError('USAGE', `${pair} is already listened to; unlisten it first`);
    const subs = this.client.getHandle(Subscriptions);
    const held: ActiveSubscription[] = [];
    this.held.set(pair, held);
    const deliver = (data: unknown): void => {
      let message: OrderBookMessage | undefined;
      try {
        message = this.parseFrame(pair, data);
      } catch (error) {
        // A malformed frame is the server's fault, not a bug here: skipping it would leave
        // the book a block behind, so the tracker is told and fetches a fresh snapshot.
        onInvalid(asError(error));
        return;
      }
      if (message) onMessage(message);
    };
    try {
      held.push(await subs.subscribe(this.bookSubscription(pair), deliver, { timeoutMs: this.timeoutMs }));
      if (this.options.trades) {
        held.push(
          await subs.subscribe<unknown>(
            { type: 'trades', coin: pair },
            (data) => {
              if (!Array.isArray(data)) return;
              for (const t of data as Trade[]) if (isRecord(t) && t.coin === pair) onMessage({ type: 'trade', pair, time: t.time, trade: t });
            },
            { timeoutMs: this.timeoutMs },
          ),
        );
      }
    } catch (error) {
      this.held.delete(pair);
      for (const h of held) await h.unsubscribe().catch(() => {});
      throw error;
    }
  }

  async unlisten(pair: string): Promise<void> {
    const held = this.held.get(pair);
    this.held.delete(pair);
    for (const h of held ?? []) await h.unsubscribe().catch(() => {});
  }

  onDisconnect(listener: () => void): () => void {
    return this.client.events.on('connectionClosed', () => listener());
  }

  protected info<T>(payload: { type: string; [k: string]: unknown }): Promise<T> {
    return this.client.getHandle(Post).info<T>(payload, { timeoutMs: this.timeoutMs });
  }
}

export class L4OrderBookDataSource extends SdkDataSource {
  readonly depth = 'l4' as const;

  protected bookSubscription(pair: string): { type: string; [k: string]: unknown } {
    return { type: 'l4Book', coin: pair, bookOnly: true };
  }

  protected parseFrame(pair: string, data: unknown): OrderBookMessage | undefined {
    if (!isRecord(data)) throw badData('l4Book frame', pair);
    if (isRecord(data.Snapshot)) {
      if (data.Snapshot.coin !== pair) return undefined;
      return parseL4Snapshot(pair, data.Snapshot, 'stream');
    }
    const checked = check(L4UpdatesSchema, data.Updates, `l4Book Updates of ${pair}`);
    if (!checked.ok) throw checked.error;
    const u = checked.value;
    return { type: 'diff', pair, height: u.height, time: u.time, statuses: u.order_statuses, diffs: u.book_diffs };
  }

  async fetchSnapshot(pair: string): Promise<L4SnapshotMessage> {
    const data = await this.info<unknown>({ type: 'l4Book', coin: pair });
    return parseL4Snapshot(pair, data, 'request');
  }
}

export class L2OrderBookDataSource extends SdkDataSource {
  readonly depth = 'l2' as const;

  protected bookSubscription(pair: string): { type: string; [k: string]: unknown } {
    return { type: 'l2Book', coin: pair };
  }

  protected parseFrame(pair: string, data: unknown): OrderBookMessage | undefined {
    if (isRecord(data) && data.coin !== pair) return undefined;
    return parseL2Snapshot(pair, data, 'stream');
  }

  async fetchSnapshot(pair: string): Promise<L2SnapshotMessage> {
    const data = await this.info<unknown>({ type: 'l2Book', coin: pair, nSigFigs: null, mantissa: null });
    return parseL2Snapshot(pair, data, 'request');
  }
}
