/** The `candleSnapshot` info request: `{"type":"candleSnapshot","req":{"coin","interval","startTime","endTime"}}`. */
import * as v from 'valibot';
import { candleJson } from './candle.js';
import { CANDLE_INTERVALS } from './intervals.js';
import type { CandleService } from './service.js';

const Time = v.pipe(v.number(), v.integer(), v.minValue(0));

const CandleSnapshotRequest = v.object({
  type: v.literal('candleSnapshot'),
  req: v.object({
    coin: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
    interval: v.picklist(CANDLE_INTERVALS),
    startTime: Time,
    endTime: v.nullish(Time),
  }),
});

export type CandleSnapshotAnswer = { ok: true; json: string } | { ok: false; status: number; message: string };

/** The answer's JSON array (oldest first, at most 5,000), or a 422 naming what is wrong. */
export async function candleSnapshotAnswer(candles: CandleService, request: unknown): Promise<CandleSnapshotAnswer> {
  const r = v.safeParse(CandleSnapshotRequest, request);
  if (!r.success) {
    const text = JSON.stringify(request) ?? String(request);
    return {
      ok: false,
      status: 422,
      message: `Invalid candleSnapshot request ${text.length > 1000 ? text.slice(0, 1000) : text}: expected {"type":"candleSnapshot","req":{"coin","interval" (one of ${CANDLE_INTERVALS.join(' ')}),"startTime","endTime"}}`,
    };
  }
  const { coin, interval, startTime, endTime } = r.output.req;
  try {
    const list = await candles.snapshot(coin, interval, startTime, endTime ?? Number.MAX_SAFE_INTEGER);
    return { ok: true, json: `[${list.map(candleJson).join(',')}]` };
  } catch (err) {
    return { ok: false, status: 500, message: `candles of ${coin} ${interval} could not be read: ${(err as Error).message}` };
  }
}
