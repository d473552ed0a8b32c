/**
 * The shared real blocks as current mainnet would write them: a seeded share of the `new`
 * diffs of ALO orders carry `insertBefore` naming an order resting at their level at that
 * moment (chosen uniformly in the level's queue), a few carry an explicit `null`. Everything
 * else is the recorded data, byte for byte in the statuses and fills.
 *
 * The targets are chosen on the naive model replaying the data as rewritten so far, so each
 * named order really rests at that level when the diff comes.
 */
import { Rng } from '../../src/util/rng.js';
import { nodeTimeMs, type Block, type BookDiffEvent, type L4SnapshotFile, type NodeOrder, type OrderStatusEvent } from '../../src/book/index.js';
import { NaiveBook } from './naive-model.js';
import { loadSnapshot, MAIN, streamLines, type Envelope } from './fixtures.js';

export interface RewrittenFixture {
  snapshot: L4SnapshotFile;
  /** Joined blocks (what the engine takes), with the rewritten diffs. */
  blocks: Block[];
  /** The three by-block streams' envelopes as a node would write them, diffs rewritten. */
  lines: { statuses: Envelope[]; diffs: Envelope[]; fills: Envelope[] };
  /** `new` diffs in all, those given an oid to join ahead of, those given `insertBefore: null`. */
  news: number;
  placed: number;
  nulls: number;
}

/** The snapshot's orders of `coin`, in file order, into a model. */
export function modelOfSnapshot(snapshot: L4SnapshotFile, coin = 'BTC'): NaiveBook {
  const model = new NaiveBook();
  const entry = snapshot[1].find(([c]) => c === coin);
  if (entry === undefined) return model;
  const [, [bids, asks]] = entry;
  for (const [user, order] of [...bids, ...asks]) {
    if (order.isTrigger && order.triggerCondition !== 'Triggered') continue;
    model.add(user, order, order.limitPx, order.sz);
  }
  return model;
}

/** One diff applied to the model as node-data.md says (insertBefore included); `orderOf` gives a new order's status fields. */
export function applyToModel(model: NaiveBook, d: BookDiffEvent, orderOf: (oid: number) => NodeOrder | undefined): void {
  const r = d.raw_book_diff;
  if (r === 'remove') model.remove(d.oid);
  else if ('update' in r) model.update(d.oid, r.update.newSz);
  else model.add(d.user, { ...(orderOf(d.oid) ?? ({} as never)), oid: d.oid, side: d.side }, d.px, r.new.sz, r.new.insertBefore);
}

/** One block's diffs of `coin` applied to the model, in order. */
export function applyBlockToModel(model: NaiveBook, diffs: readonly BookDiffEvent[], statuses: readonly OrderStatusEvent[], coin = 'BTC'): void {
  const orders = new Map<number, NodeOrder>();
  for (const s of statuses) if (s.status === 'open' || s.status === 'triggered') orders.set(s.order.oid, s.order);
  for (const d of diffs) if (d.coin === coin) applyToModel(model, d, (oid) => orders.get(oid));
}

/**
 * The main fixture (mainnet-btc-985148181) with `share` of its ALO `new` diffs at a level
 * holding orders rewritten to join ahead of one of them (seeded), and `nullShare` of the
 * others given `insertBefore: null`.
 */
export function rewriteWithInsertBefore(seed: number, share = 0.5, nullShare = 0.1): RewrittenFixture {
  const snapshot = loadSnapshot(MAIN);
  const statuses = streamLines(MAIN, 'node_order_statuses_by_block');
  const diffLines = streamLines(MAIN, 'node_raw_book_diffs_by_block');
  const fills = streamLines(MAIN, 'node_fills_by_block');
  const rng = new Rng(seed);
  const model = modelOfSnapshot(snapshot);
  const diffsByHeight = new Map(diffLines.map((e) => [e.block_number, e]));
  const fillsByHeight = new Map(fills.map((e) => [e.block_number, e]));
  const outDiffs: Envelope[] = [];
  const blocks: Block[] = [];
  let news = 0;
  let placed = 0;
  let nulls = 0;
  for (const s of statuses) {
    const sts = s.events as OrderStatusEvent[];
    const orders = new Map<number, NodeOrder>();
    for (const st of sts) if (st.status === 'open' || st.status === 'triggered') orders.set(st.order.oid, st.order);
    const env = diffsByHeight.get(s.block_number)!;
    const events: BookDiffEvent[] = [];
    for (const e of env.events as BookDiffEvent[]) {
      let d = e;
      const r = e.raw_book_diff;
      if (typeof r === 'object' && 'new' in r) {
        news++;
        const tif = orders.get(e.oid)?.tif;
        const queue = e.coin === 'BTC' ? model.levelOids(e.side, e.px) : [];
        if (tif === 'Alo' && queue.length > 0 && rng.chance(share)) {
          d = { ...e, raw_book_diff: { new: { sz: r.new.sz, insertBefore: queue[rng.int(queue.length)]! } } };
          placed++;
        } else if (rng.chance(nullShare)) {
          d = { ...e, raw_book_diff: { new: { sz: r.new.sz, insertBefore: null } } };
          nulls++;
        }
      }
      if (d.coin === 'BTC') applyToModel(model, d, (oid) => orders.get(oid));
      events.push(d);
    }
    outDiffs.push({ ...env, events });
    const f = fillsByHeight.get(s.block_number);
    blocks.push({ height: s.block_number, time: nodeTimeMs(s.block_time), statuses: sts, diffs: events, fills: (f?.events ?? []) as Block['fills'] });
  }
  return { snapshot, blocks, lines: { statuses, diffs: outDiffs, fills }, news, placed, nulls };
}
