/**
 * A hand-built node for user streams: one user's orders rest, fill (partly, against two
 * resting orders at once), get rejected and canceled, among other users' events, written as
 * the node's exact lines and read back through `parseLine` (so statuses are the reader's
 * `RawStatus`es, as in production).
 */
import type { Block, FillEvent, L4SnapshotFile, NodeFill, NodeOrder, Side } from '../../../src/book/index.js';
import { blockTimeMs, parseLine } from '../../../src/node/parse.js';
import { nodeOrder } from '../../book/helpers.js';

export const ALICE = '0x' + 'a1'.repeat(20);
/** Alice as a client may write her address. */
export const ALICE_MIXED = '0x' + 'A1'.repeat(20);
export const BOB = '0x' + 'b2'.repeat(20);
export const CAROL = '0x' + 'c3'.repeat(20);
export const CLOID = '0x' + '0f'.repeat(16);

export const HEIGHT = 500_000_000;
const T0 = Date.UTC(2026, 5, 1, 10, 0, 0);

function nodeTime(ms: number, ns = '123456'): string {
  return new Date(ms).toISOString().slice(0, 23) + ns;
}

export function blockTime(h: number): number {
  return T0 + (h - HEIGHT) * 100;
}

export function order(coin: string, side: Side, px: string, sz: string, oid: number, opts: Partial<NodeOrder> = {}): NodeOrder {
  return nodeOrder({ side, limitPx: px, sz, oid, timestamp: T0, ...opts }, coin);
}

/** The snapshot: Bob rests two asks on ETH (2000.0 × 0.5, 2001.0 × 0.5), Carol a bid. */
export function snapshot(): L4SnapshotFile {
  return [
    HEIGHT,
    [
      [
        'ETH',
        [
          [[CAROL, order('ETH', 'B', '1980.0', '2.0', 9)]],
          [
            [BOB, order('ETH', 'A', '2000.0', '0.5', 10)],
            [BOB, order('ETH', 'A', '2001.0', '0.5', 11)],
          ],
        ],
      ],
      ['@107', [[], []]],
    ],
  ];
}

export interface Ev {
  statuses: { user: string; status: string; order: NodeOrder }[];
  diffs: { user: string; oid: number; coin: string; side: Side; px: string; raw_book_diff: unknown }[];
  fills: FillEvent[];
}

/** One block's three lines as the node writes them, parsed back as the reader does. */
export function block(h: number, ev: Partial<Ev>): Block {
  const bt = nodeTime(blockTime(h), '000001');
  const env = (events: unknown[]): string =>
    `{"local_time":"${nodeTime(blockTime(h) + 300)}","block_time":"${bt}","block_number":${h},"events":${JSON.stringify(events)}}`;
  const statuses = (ev.statuses ?? []).map((s) => ({
    time: nodeTime(blockTime(h)),
    user: s.user,
    hash: '0x' + h.toString(16).padStart(64, '0'),
    builder: null,
    status: s.status,
    order: s.order,
  }));
  const sl = parseLine('statuses', env(statuses));
  return {
    height: h,
    time: blockTimeMs(sl.block_time),
    statuses: sl.events,
    diffs: parseLine('diffs', env(ev.diffs ?? [])).events,
    fills: parseLine('fills', env(ev.fills ?? [])).events,
  };
}

export function fill(
  coin: string,
  px: string,
  sz: string,
  side: Side,
  h: number,
  oid: number,
  tid: number,
  crossed: boolean,
  extra: Partial<NodeFill> = {},
): NodeFill {
  return {
    coin,
    px,
    sz,
    side,
    time: blockTime(h),
    startPosition: '0.0',
    dir: side === 'B' ? 'Open Long' : 'Open Short',
    closedPnl: '0.0',
    hash: '0x' + h.toString(16).padStart(64, '0'),
    oid,
    crossed,
    fee: crossed ? '0.45' : '-0.02',
    tid,
    cloid: null,
    feeToken: 'USDC',
    twapId: null,
    ...extra,
  };
}

/**
 * The story, one block each:
 * 1. Alice rests a bid (oid 101, cloid) on ETH and an ask (102) on @107; one of her ALO orders
 *    is rejected; Bob gets rejected too (not Alice's).
 * 2. Alice's IOC buy (103) takes both of Bob's asks (two fills for her at one time), Carol's
 *    status in between.
 * 3. Alice cancels 101.
 */
export function story(): Block[] {
  const h1 = HEIGHT + 1;
  const h2 = HEIGHT + 2;
  const h3 = HEIGHT + 3;
  const bid = order('ETH', 'B', '1990.0', '1.0', 101, { cloid: CLOID, tif: 'Alo' });
  const ask = order('@107', 'A', '35.5', '10.0', 102);
  const ioc = order('ETH', 'B', '2001.0', '1.0', 103, { tif: 'Ioc' });
  return [
    block(h1, {
      statuses: [
        { user: BOB, status: 'badAloPxRejected', order: order('ETH', 'B', '2000.0', '1.0', 200, { tif: 'Alo' }) },
        { user: ALICE, status: 'open', order: bid },
        { user: ALICE, status: 'badAloPxRejected', order: order('ETH', 'B', '2005.0', '1.0', 104, { tif: 'Alo' }) },
        { user: ALICE, status: 'open', order: ask },
      ],
      diffs: [
        { user: ALICE, oid: 101, coin: 'ETH', side: 'B', px: '1990.0', raw_book_diff: { new: { sz: '1.0' } } },
        { user: ALICE, oid: 102, coin: '@107', side: 'A', px: '35.5', raw_book_diff: { new: { sz: '10.0' } } },
      ],
    }),
    block(h2, {
      statuses: [
        { user: CAROL, status: 'canceled', order: order('ETH', 'B', '1980.0', '0.0', 9, { origSz: '2.0' }) },
        { user: ALICE, status: 'filled', order: { ...ioc, sz: '0.0' } },
      ],
      diffs: [
        { user: CAROL, oid: 9, coin: 'ETH', side: 'B', px: '1980.0', raw_book_diff: 'remove' },
        { user: BOB, oid: 10, coin: 'ETH', side: 'A', px: '2000.0', raw_book_diff: 'remove' },
        { user: BOB, oid: 11, coin: 'ETH', side: 'A', px: '2001.0', raw_book_diff: 'remove' },
      ],
      fills: [
        [ALICE, fill('ETH', '2000.0', '0.5', 'B', h2, 103, 1, true)],
        [BOB, fill('ETH', '2000.0', '0.5', 'A', h2, 10, 1, false)],
        [ALICE, fill('ETH', '2001.0', '0.5', 'B', h2, 103, 2, true, { startPosition: '0.5', fee: '0.46' })],
        [BOB, fill('ETH', '2001.0', '0.5', 'A', h2, 11, 2, false, { startPosition: '-0.5' })],
      ],
    }),
    block(h3, {
      statuses: [{ user: ALICE, status: 'canceled', order: bid }],
      diffs: [{ user: ALICE, oid: 101, coin: 'ETH', side: 'B', px: '1990.0', raw_book_diff: 'remove' }],
    }),
  ];
}
