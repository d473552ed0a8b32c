/**
 * Which levels changed between two blocks, for the ladder's flashes: a level that is new,
 * that grew, or that shrank (by price; a level that left is simply no longer shown).
 */
import { compareUnits, parseUnits } from '../book/decimal.js';
import type { L2Level } from '../book/types.js';

export type Flash = 'new' | 'up' | 'down';

/** Price → how the level at that price changed from `prev` to `next`; unchanged levels are absent. */
export function levelChanges(prev: readonly L2Level[] | null, next: readonly L2Level[]): Map<string, Flash> {
  const out = new Map<string, Flash>();
  if (prev === null) return out;
  const before = new Map(prev.map((l) => [l.px, l]));
  for (const lv of next) {
    const old = before.get(lv.px);
    if (old === undefined) {
      out.set(lv.px, 'new');
      continue;
    }
    if (old.sz === lv.sz && old.n === lv.n) continue;
    const c = compareUnits(parseUnits(lv.sz), parseUnits(old.sz));
    out.set(lv.px, c > 0 ? 'up' : c < 0 ? 'down' : lv.n > old.n ? 'up' : 'down');
  }
  return out;
}
