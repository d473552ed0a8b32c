import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { idleMinorGc, type GcFunction } from '../../src/server/idle-gc.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('idleMinorGc', () => {
  it('collects the young generation on the next turn when it is past the threshold, once per turn', async () => {
    const calls: unknown[] = [];
    const gc: GcFunction = (o) => calls.push(o);
    let fill = { used: 600, available: 400 };
    const afterFlush = idleMinorGc({ enabled: true, gc, newSpace: () => fill });
    afterFlush();
    afterFlush();
    expect(calls).toEqual([]); // not during the flush: the writes go out first
    await nextTurn();
    expect(calls).toEqual([{ type: 'minor' }]);
    fill = { used: 100, available: 900 };
    afterFlush();
    await nextTurn();
    expect(calls).toHaveLength(1);
  });

  it('does nothing when disabled', async () => {
    const calls: unknown[] = [];
    const afterFlush = idleMinorGc({ enabled: false, gc: (o) => calls.push(o), newSpace: () => ({ used: 1, available: 0 }) });
    afterFlush();
    await nextTurn();
    expect(calls).toEqual([]);
  });

  it('finds V8’s own collector and the new space when not given them', async () => {
    const used = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
    const afterFlush = idleMinorGc({ enabled: true, threshold: 0 });
    let junk: object[] | null = [];
    for (let i = 0; i < 20_000; i++) junk.push({ i, s: `x${i}` });
    junk = null;
    const before = used();
    afterFlush();
    await nextTurn();
    expect(junk).toBeNull();
    expect(used()).toBeLessThan(before / 2);
  });
});
