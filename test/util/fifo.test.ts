/** `Fifo` against a plain array as the model: any run of pushes, shifts, peeks and clears. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/util/fifo.js';

type Op = { op: 'push'; n: number } | { op: 'shift' } | { op: 'clear' };

const ops = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('push' as const), n: fc.integer({ min: 1, max: 40 }) }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('shift' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
  ),
  { maxLength: 200 },
);

describe('Fifo', () => {
  it('holds what a plain array would, oldest first, across compactions (small compactAfter)', () => {
    fc.assert(
      fc.property(ops, fc.integer({ min: 0, max: 8 }), (run: Op[], compactAfter) => {
        const q = new Fifo<number>(compactAfter);
        const model: number[] = [];
        let next = 0;
        for (const o of run) {
          if (o.op === 'push') {
            for (let i = 0; i < o.n; i++) {
              q.push(next);
              model.push(next++);
            }
          } else if (o.op === 'shift') {
            expect(q.shift()).toBe(model.shift());
          } else {
            q.clear();
            model.length = 0;
          }
          expect(q.length).toBe(model.length);
          expect(q.peek()).toBe(model[0]);
          expect(q.at(model.length - 1)).toBe(model[model.length - 1]);
          expect(q.at(model.length)).toBeUndefined();
          expect(q.at(-1)).toBeUndefined();
        }
        expect(q.toArray()).toEqual(model);
      }),
    );
  });

  it('shift on an empty queue gives undefined and keeps it usable', () => {
    const q = new Fifo<string>();
    expect(q.shift()).toBeUndefined();
    q.push('a');
    expect(q.shift()).toBe('a');
    expect(q.length).toBe(0);
  });
});
