/**
 * SKELETON (the engine issue fills it in): one coin's L4 book.
 */
import type { L4Order } from './events.js';
import type { L2Level, L2Levels, L2Params } from './types.js';

export class OrderBook {
  constructor(readonly coin: string) {}

  /** Resting orders. */
  get size(): number {
    throw new Error('not built yet');
  }
  get(_oid: number): L4Order | undefined {
    throw new Error('not built yet');
  }
  /** Rest an order at the back of its level (`limitPx`, `sz` are where and how much it rests). */
  add(_order: L4Order): void {
    throw new Error('not built yet');
  }
  updateSize(_oid: number, _sz: string): void {
    throw new Error('not built yet');
  }
  remove(_oid: number): void {
    throw new Error('not built yet');
  }
  /** Aggregated levels exactly per Hyperliquid (protocol.md). */
  l2(_params?: L2Params): L2Levels {
    throw new Error('not built yet');
  }
  bbo(): [L2Level | null, L2Level | null] {
    throw new Error('not built yet');
  }
  /** (best bid + best ask) / 2 in the one number form, or null when a side is empty. */
  mid(): string | null {
    throw new Error('not built yet');
  }
  /** Orders per side, best level first, time priority inside a level. */
  l4(): [L4Order[], L4Order[]] {
    throw new Error('not built yet');
  }
}
