import { describe, expect, it } from 'vitest';
import { scanChannel, scanFrame, scanTime } from '../../src/load/frame-scan.js';

const b = (x: unknown): Buffer => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x));

describe('reading channel, coin and block time from frame bytes', () => {
  it('finds them in every channel shape of protocol.md', () => {
    expect(scanFrame(b({ channel: 'l2Book', data: { coin: 'BTC', time: 1777582003372, levels: [[], []] } }))).toEqual({
      channel: 'l2Book',
      coin: 'BTC',
      time: 1777582003372,
    });
    expect(scanFrame(b({ channel: 'bbo', data: { coin: '@107', time: 5, bbo: [null, null] } }))).toEqual({ channel: 'bbo', coin: '@107', time: 5 });
    expect(scanFrame(b({ channel: 'trades', data: [{ coin: 'ETH', side: 'B', px: '1.0', sz: '2.0', hash: '0x', time: 1777582006008, tid: 1 }] }))).toEqual({
      channel: 'trades',
      coin: 'ETH',
      time: 1777582006008,
    });
    expect(
      scanFrame(
        b({
          channel: 'l4Book',
          data: { Updates: { time: 1777582003400, height: 9, order_statuses: [{ time: '2026-04-30T20:46:43.3', order: { timestamp: 1 } }], book_diffs: [] } },
        }),
      ),
    ).toEqual({ channel: 'l4Book', coin: '', time: 1777582003400 });
  });

  it('gives -1 when there is no numeric time (allMids, pong, an ISO string time)', () => {
    expect(scanTime(b({ channel: 'allMids', data: { mids: { BTC: '1.0' } } }))).toBe(-1);
    expect(scanTime(b({ channel: 'pong' }))).toBe(-1);
    expect(scanTime(b({ channel: 'x', data: { time: '2026-04-30T20:46:43' } }))).toBe(-1);
    expect(scanTime(b('{"channel":"x","data":{"timestamp":17}}'))).toBe(-1);
  });

  it('tolerates spaces after the colon and ignores a truncated channel', () => {
    expect(scanFrame(b('{"channel": "bbo", "data": {"coin": "SOL", "time": 42}}'))).toEqual({ channel: 'bbo', coin: 'SOL', time: 42 });
    expect(scanChannel(b('{"channel":"unterminated'))).toBe('');
    expect(scanChannel(b('[]'))).toBe('');
  });
});
