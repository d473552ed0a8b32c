/**
 * `l4Book` with today's node format: Updates carry each `new` diff's `insertBefore`
 * unchanged, so that a replica (anyone's: here the naive model fed only from frames) keeps
 * the node's queue order; `/info` `l4Book` shows the same order.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { L4Order } from '../../src/book/index.js';
import { applyBlockToModel, rewriteWithInsertBefore, type RewrittenFixture } from '../book/insert-before-data.js';
import { l4Keys, NaiveBook } from '../book/naive-model.js';
import type { Frame, TestClient } from './helpers/client.js';
import { harness, type Harness } from './helpers/harness.js';
import type { SnapshotData, UpdatesData } from './helpers/l4-replica.js';

let h: Harness;
let data: RewrittenFixture;
beforeAll(() => {
  data = rewriteWithInsertBefore(31);
}, 60_000);
afterEach(async () => {
  await h.close();
});

/** A model from an l4Book Snapshot's levels (each side in queue order). */
function modelOf(levels: [L4Order[], L4Order[]]): NaiveBook {
  const m = new NaiveBook();
  for (const side of levels) for (const o of side) m.add(o.user, o, o.limitPx, o.sz);
  return m;
}

async function subscribe(c: TestClient, bookOnly: boolean): Promise<NaiveBook> {
  const subscription = bookOnly ? { type: 'l4Book', coin: 'BTC', bookOnly } : { type: 'l4Book', coin: 'BTC' };
  await c.request({ method: 'subscribe', subscription }, (f) => f.channel === 'subscriptionResponse');
  const snap = (await c.channel('l4Book')).data as { Snapshot: SnapshotData };
  return modelOf(snap.Snapshot.levels);
}

function updates(frames: Frame[]): UpdatesData[] {
  return frames.filter((f) => f.channel === 'l4Book').map((f) => (f.data as { Updates: UpdatesData }).Updates);
}

describe('l4Book Updates with insertBefore', () => {
  it('carry the field unchanged; a model fed only from the frames equals the server book and /info l4Book order by order', async () => {
    h = await harness();
    h.feed.load(data.snapshot, data.blocks[0]!.time - 1);
    const all = await h.client();
    const only = await h.client();
    const mAll = await subscribe(all, false);
    const mOnly = await subscribe(only, true);
    let carried = 0;
    // Block times stretched (x2.5) past the 2 s the server reuses an l4 snapshot for, so that
    // `/info` at the end serializes the last height rather than reusing the first.
    const first = data.blocks[0]!.time;
    for (const recorded of data.blocks) {
      const block = { ...recorded, time: first + Math.round((recorded.time - first) * 2.5) };
      h.feed.apply(block);
      const texts = all.texts.length;
      const [ua] = updates(await all.untilPong());
      const [uo] = updates(await only.untilPong());
      const btc = block.diffs.filter((d) => d.coin === 'BTC');
      if (ua === undefined) {
        // A block with no BTC event sends nothing.
        expect([btc, block.statuses.filter((s) => s.order.coin === 'BTC'), uo]).toEqual([[], [], undefined]);
        continue;
      }
      expect(ua.book_diffs, `${block.height}`).toEqual(btc);
      expect(uo!.book_diffs, `${block.height}`).toEqual(btc);
      // In the bytes too: `"insertBefore":<oid>` and `"insertBefore":null` as the node wrote them.
      const frameText = all.texts.slice(texts).find((t) => t.includes('"Updates"'))!;
      for (const d of btc) {
        const r = d.raw_book_diff;
        if (typeof r === 'object' && 'new' in r && r.new.insertBefore !== undefined) {
          expect(frameText).toContain(`"raw_book_diff":{"new":{"sz":"${r.new.sz}","insertBefore":${JSON.stringify(r.new.insertBefore)}}}`);
          if (r.new.insertBefore !== null) carried++;
        }
      }
      applyBlockToModel(mAll, ua.book_diffs, ua.order_statuses);
      applyBlockToModel(mOnly, uo!.book_diffs, uo!.order_statuses);
    }
    expect(carried).toBe(data.placed);
    const server = h.feed.books.book('BTC')!.l4();
    const want = [l4Keys(server[0]), l4Keys(server[1])];
    expect(mAll.l4()).toEqual(want);
    expect(mOnly.l4()).toEqual(want);
    const info = (await (
      await fetch(h.server.url.replace(/^ws/, 'http').replace(/\/ws$/, '') + '/info', { method: 'POST', body: JSON.stringify({ type: 'l4Book', coin: 'BTC' }) })
    ).json()) as { height: number; levels: [L4Order[], L4Order[]] };
    expect(info.height).toBe(985148206);
    expect([l4Keys(info.levels[0]), l4Keys(info.levels[1])]).toEqual(mAll.l4());
  }, 120_000);
});
