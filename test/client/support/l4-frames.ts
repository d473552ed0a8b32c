/**
 * `l4Book` frames as the server sends them (protocol.md), made from the engine's input
 * shapes: a snapshot file's coin becomes a `Snapshot`, a block's events of one coin an
 * `Updates`.
 */
import type { Block, L4Order, L4SnapshotFile } from '../../../src/book/index.js';

export function snapshotFrame(file: L4SnapshotFile, coin: string, time: number): object {
  const entry = file[1].find(([c]) => c === coin);
  const sides = entry ? entry[1] : [[], []];
  const levels = sides.map((side) => side.map(([user, order]): L4Order => ({ ...order, user })));
  return { channel: 'l4Book', data: { Snapshot: { coin, time, height: file[0], levels } } };
}

export function updatesFrame(block: Block, coin: string): object {
  return {
    channel: 'l4Book',
    data: {
      Updates: {
        time: block.time,
        height: block.height,
        order_statuses: block.statuses.filter((s) => s.order.coin === coin),
        book_diffs: block.diffs.filter((d) => d.coin === coin),
      },
    },
  };
}
