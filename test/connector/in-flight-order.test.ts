import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InFlightOrder, isTerminal, type OrderEvent, type OrderFill, type OrderState } from '../../src/connector/in-flight-order.js';
import { KNOWN_STATUSES, statusMeaning } from '../../src/connector/order-status.js';

const RANK: Record<OrderState, number> = { pendingCreate: 0, open: 1, partiallyFilled: 2, pendingCancel: 3, filled: 4, canceled: 4, failed: 4 };

function order(amount = '1.0', type: 'limit' | 'market' = 'limit'): InFlightOrder {
  return new InFlightOrder({ clientOrderId: '0x' + '0'.repeat(31) + '1', pair: 'BTC', side: 'buy', type, price: '100', amount, time: 1 });
}

function fill(tid: number, sz: string, px = '100', fee = '0.01'): OrderFill {
  return { tid, hash: `0x${tid}`, oid: 7, px, sz, fee, feeToken: 'USDC', time: 2, crossed: false };
}

describe('order statuses', () => {
  it('maps every status the node writes: …Rejected → failed, every cancel → canceled', () => {
    for (const [name, meaning] of Object.entries(KNOWN_STATUSES)) {
      expect(statusMeaning(name)).toBe(meaning);
      if (/Rejected$|^rejected$/.test(name)) expect(meaning).toBe('failed');
      if (/Cancel(ed)?$|^canceled$/.test(name)) expect(meaning).toBe('canceled');
    }
    expect(statusMeaning('someFutureRejected')).toBe('failed');
    expect(statusMeaning('someFutureCanceled')).toBe('canceled');
    expect(statusMeaning('mystery')).toBeUndefined();
  });
});

describe('InFlightOrder', () => {
  it('goes pendingCreate → open → partiallyFilled → filled with executed amount, average price and fees', () => {
    const o = order('1.0');
    expect(o.apply({ kind: 'orderAnswer', answer: { resting: { oid: 7 } } }, 2).map((e) => e.type)).toEqual(['oid', 'created', 'state']);
    expect(o.state).toBe('open');
    expect(o.exchangeOrderId).toBe(7);
    o.apply({ kind: 'fill', fill: fill(1, '0.25', '100', '-0.01') }, 3);
    expect(o.state).toBe('partiallyFilled');
    const effects = o.apply({ kind: 'fill', fill: fill(2, '0.75', '101', '0.03') }, 4);
    expect(effects.map((e) => e.type)).toEqual(['filled', 'state', 'completed']);
    expect(o.state).toBe('filled');
    expect(o.executedAmount).toBe('1.0');
    expect(o.averageExecutedPrice).toBe('100.75');
    expect(o.fees).toEqual({ USDC: '0.02' });
    expect(o.lastUpdateTimestamp).toBe(4);
  });

  it('counts a fill once however many times it is reported (userFills and user channel)', () => {
    const o = order('1.0');
    o.apply({ kind: 'fill', fill: fill(1, '0.5') }, 2);
    expect(o.apply({ kind: 'fill', fill: fill(1, '0.5') }, 3)).toEqual([]);
    expect(o.executedAmount).toBe('0.5');
  });

  it('takes the stream first: a late /exchange answer after the filled status changes nothing', () => {
    const o = order();
    o.apply({ kind: 'status', status: 'filled', oid: 7 }, 2);
    expect(o.state).toBe('filled');
    expect(o.apply({ kind: 'orderAnswer', answer: { resting: { oid: 7 } } }, 3)).toEqual([]);
    expect(o.apply({ kind: 'status', status: 'open' }, 4).filter((e) => e.type === 'state')).toEqual([]);
  });

  it('a filled status that overtakes its fills holds orderCompleted until they are in', () => {
    const o = order('1.0');
    expect(o.apply({ kind: 'status', status: 'filled', oid: 7 }, 2).map((e) => e.type)).toEqual(['oid', 'created', 'state']);
    expect(o.state).toBe('filled');
    expect(o.apply({ kind: 'fill', fill: fill(1, '0.4') }, 3).map((e) => e.type)).toEqual(['filled']);
    expect(o.apply({ kind: 'fill', fill: fill(2, '0.6') }, 4).map((e) => e.type)).toEqual(['filled', 'completed']);
    expect(o.executedAmount).toBe('1.0');
  });

  it('fails with the exchange message', () => {
    const o = order();
    const effects = o.apply({ kind: 'orderAnswer', answer: { error: 'Order must have minimum value of $10.' } }, 2);
    expect(effects).toContainEqual({ type: 'failed', reason: 'Order must have minimum value of $10.' });
    expect(o.state).toBe('failed');
    // The rejection's status names the oid later: known, but the order was never created.
    expect(o.apply({ kind: 'status', status: 'minTradeNtlRejected', oid: 9 }, 3).map((e) => e.type)).toEqual(['oid']);
    expect(o.exchangeOrderId).toBe(9);
  });

  it('a cancel refused because the order filled meanwhile ends filled, not canceled', () => {
    const o = order();
    o.apply({ kind: 'orderAnswer', answer: { resting: { oid: 7 } } }, 2);
    o.apply({ kind: 'cancelRequested' }, 3);
    expect(o.state).toBe('pendingCancel');
    o.apply({ kind: 'cancelAnswer', ok: false, error: 'Order was never placed, already canceled, or filled.' }, 4);
    expect(o.state).toBe('pendingCancel');
    o.apply({ kind: 'fill', fill: fill(9, '1.0') }, 5);
    expect(o.state).toBe('filled');
    o.apply({ kind: 'status', status: 'canceled' }, 6);
    expect(o.state).toBe('filled');
  });

  it('an IOC answered filled for less than its amount ends canceled for the rest', () => {
    const o = order('2.0', 'market');
    o.apply({ kind: 'orderAnswer', answer: { filled: { totalSz: '0.5', avgPx: '100', oid: 7 } } }, 2);
    expect(o.state).toBe('canceled');
    o.apply({ kind: 'fill', fill: fill(3, '0.5') }, 3);
    expect(o.executedAmount).toBe('0.5');
  });

  it('property: a state never goes back and a terminal state is final, whatever comes in any order', () => {
    const statuses = [...Object.keys(KNOWN_STATUSES), 'mystery'];
    const event: fc.Arbitrary<OrderEvent> = fc.oneof(
      fc.constantFrom<OrderEvent>(
        { kind: 'orderAnswer', answer: { resting: { oid: 7 } } },
        { kind: 'orderAnswer', answer: { filled: { totalSz: '1.0', avgPx: '100', oid: 7 } } },
        { kind: 'orderAnswer', answer: { error: 'no' } },
        { kind: 'cancelRequested' },
        { kind: 'cancelAnswer', ok: true },
        { kind: 'cancelAnswer', ok: false, error: 'no' },
        { kind: 'unknown', reason: 'unknownOid' },
      ),
      fc.constantFrom(...statuses).map((status): OrderEvent => ({ kind: 'status', status, oid: 7 })),
      fc.tuple(fc.integer({ min: 1, max: 5 }), fc.constantFrom('0.1', '0.25', '0.5')).map(([tid, sz]): OrderEvent => ({ kind: 'fill', fill: fill(tid, sz) })),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        const o = order('1.0');
        let prev = o.state;
        const tids = new Set<number>();
        let executed = 0;
        for (const e of events) {
          o.apply(e, 1);
          if (e.kind === 'fill' && !tids.has(e.fill.tid)) {
            tids.add(e.fill.tid);
            executed += Math.round(Number(e.fill.sz) * 100);
          }
          if (isTerminal(prev)) expect(o.state).toBe(prev);
          expect(RANK[o.state]).toBeGreaterThanOrEqual(RANK[prev]);
          prev = o.state;
        }
        expect(Math.round(Number(o.executedAmount) * 100)).toBe(executed);
        if (executed >= 100 && o.state !== 'canceled' && o.state !== 'failed') expect(o.state).toBe('filled');
      }),
    );
  });
});
