/** The bench baseline's frame handling: routing by channel and coin, and the block times it stamps. */
import { describe, expect, it } from 'vitest';
import { frameKey, restamp } from '../../bench/bare-broadcaster.js';

describe('the bare broadcaster (bench baseline)', () => {
  it('routes our frames by channel and coin', () => {
    expect(frameKey('{"channel":"l2Book","data":{"coin":"BTC","time":1700000000000,"levels":[[],[]]}}')).toBe('l2Book:BTC');
    expect(frameKey('{"channel":"bbo","data":{"coin":"@107","time":1,"bbo":[null,null]}}')).toBe('bbo:@107');
    expect(frameKey('{"channel":"trades","data":[{"coin":"xyz:ABC","side":"B","px":"1.0","sz":"2","time":5}]}')).toBe('trades:xyz:ABC');
  });

  it('stamps every block time of a frame when its turn starts, and a re-sent time with its first stamp', () => {
    const stamps = new Map<string, number>();
    const trades = '{"channel":"trades","data":[{"coin":"BTC","time":100},{"coin":"BTC","time":100}]}';
    expect(restamp(trades, stamps, 5_000)).toBe('{"channel":"trades","data":[{"coin":"BTC","time":5000},{"coin":"BTC","time":5000}]}');
    // The l2Book of block 100 sent again a turn later (a heartbeat): not newer to a client.
    expect(restamp('{"channel":"l2Book","data":{"coin":"BTC","time":100}}', stamps, 5_070)).toBe('{"channel":"l2Book","data":{"coin":"BTC","time":5000}}');
    expect(restamp('{"channel":"l2Book","data":{"coin":"BTC","time":168}}', stamps, 5_070)).toBe('{"channel":"l2Book","data":{"coin":"BTC","time":5070}}');
  });
});
