/**
 * `UserHistory` against a naive model: every item ever added, then the per-user bound (a
 * user's newest `perUser`) and the total bound (the newest `total` over everyone, per-user
 * drops not counted) applied to the whole sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserHistory } from '../../../src/server/user/history.js';

type Op = { kind: 'add'; user: number } | { kind: 'forget'; user: number };

function model(ops: Op[], perUser: number, total: number): { lists: Map<number, number[]>; truncated: Set<number> } {
  // Items are numbered by when they were added.
  let alive: { user: number; n: number }[] = [];
  const truncated = new Set<number>();
  let n = 0;
  for (const op of ops) {
    if (op.kind === 'forget') {
      alive = alive.filter((i) => i.user !== op.user);
      continue;
    }
    alive.push({ user: op.user, n: n++ });
    const mine = alive.filter((i) => i.user === op.user);
    if (mine.length > perUser) {
      alive = alive.filter((i) => i !== mine[0]);
      truncated.add(op.user);
    }
    while (alive.length > total) {
      truncated.add(alive[0]!.user);
      alive = alive.slice(1);
    }
  }
  const lists = new Map<number, number[]>();
  for (const i of alive) lists.set(i.user, [...(lists.get(i.user) ?? []), i.n]);
  return { lists, truncated };
}

describe('UserHistory', () => {
  it('keeps exactly what the bounds allow, oldest first, and marks truncated users', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('add' as const), user: fc.integer({ min: 0, max: 4 }) }),
            fc.record({ kind: fc.constant('forget' as const), user: fc.integer({ min: 0, max: 4 }) }),
          ),
          { maxLength: 200 },
        ),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 12 }),
        (ops, perUser, total) => {
          const h = new UserHistory<number>({ perUser, total });
          let n = 0;
          const forgotten = new Set<number>();
          for (const op of ops) {
            if (op.kind === 'add') {
              h.add(`u${op.user}`, n++);
              forgotten.delete(op.user);
            } else {
              h.forget(`u${op.user}`);
              forgotten.add(op.user);
            }
          }
          const m = model(ops, perUser, total);
          let size = 0;
          for (let u = 0; u <= 4; u++) {
            const want = m.lists.get(u) ?? [];
            expect(h.list(`u${u}`)).toEqual(want);
            expect(h.newest(`u${u}`, 2)).toEqual([...want].reverse().slice(0, 2));
            size += want.length;
            // A forgotten user starts again clean; otherwise truncation is as in the model.
            if (!forgotten.has(u) && want.length > 0)
              expect(h.truncated(`u${u}`)).toBe(m.truncated.has(u) && wasTruncatedSinceLastForget(ops, u, perUser, total));
          }
          expect(h.size).toBe(size);
        },
      ),
      { numRuns: 300, seed: 14 },
    );
  });

  it('stays bounded when one user fills far past the per-user bound', () => {
    const h = new UserHistory<number>({ perUser: 10, total: 100 });
    for (let i = 0; i < 100_000; i++) h.add('whale', i);
    expect(h.size).toBe(10);
    expect(h.list('whale')).toEqual(Array.from({ length: 10 }, (_, k) => 99_990 + k));
    // The queue of per-user drops is bounded too (internal, but it is what would leak).
    expect((h as unknown as { order: { length: number } }).order.length).toBeLessThanOrEqual(2 * 100 + 1024 + 1);
  });
});

/** Truncation of `u` counts only from its last `forget` on (a forgotten user's ring starts afresh). */
function wasTruncatedSinceLastForget(ops: Op[], u: number, perUser: number, total: number): boolean {
  let last = -1;
  ops.forEach((op, i) => {
    if (op.kind === 'forget' && op.user === u) last = i;
  });
  if (last === -1) return true;
  // Replay the model, recording truncations of u only after `last`.
  let alive: { user: number }[] = [];
  let truncated = false;
  ops.forEach((op, i) => {
    if (op.kind === 'forget') {
      alive = alive.filter((x) => x.user !== op.user);
      return;
    }
    const item = { user: op.user };
    alive.push(item);
    const mine = alive.filter((x) => x.user === op.user);
    if (mine.length > perUser) {
      alive = alive.filter((x) => x !== mine[0]);
      if (op.user === u && i > last) truncated = true;
    }
    while (alive.length > total) {
      if (alive[0]!.user === u && i > last) truncated = true;
      alive = alive.slice(1);
    }
  });
  return truncated;
}
