/**
 * An edge fed from a core through a real nats-server sends the same frames as the core, frame
 * for frame, on the shared real mainnet blocks (test/fixtures): every public channel, both
 * `l4Book` forms, candles and the user channels. With the default compact log (`book`
 * statuses) `l4Book` without `bookOnly` and `orderUpdates` are not compared (the log leaves
 * out the statuses they show: docs/scaleout.md); with `--publish-statuses all` they are.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { createNodeFeed, type NodeFeed } from '../../src/state/index.js';
import { BlockLogPublisher } from '../../src/nats/publisher.js';
import { createEdgeFeed } from '../../src/nats/edge.js';
import type { StatusMode } from '../../src/nats/codec.js';
import { TestClient } from '../server/helpers/client.js';
import { FIRST, fixture, startTestNode, whenHeight, whenStatus, type TestNode } from '../state/harness.js';
import { HAVE_NATS, startNats, type TestNats } from './nats-server.js';
import { edgeAt, users } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SERVER = { host: '127.0.0.1', port: 0, l2HeartbeatMs: 3_600_000 } as const;

function subscriptions(mode: StatusMode): unknown[] {
  const { trader, placer } = users();
  const subs: unknown[] = [
    { type: 'l2Book', coin: 'BTC' },
    { type: 'l2Book', coin: 'BTC', nSigFigs: 5 },
    { type: 'l2Book', coin: 'BTC', nSigFigs: 2, nLevels: 50 },
    { type: 'bbo', coin: 'BTC' },
    { type: 'trades', coin: 'BTC' },
    { type: 'allMids' },
    { type: 'candle', coin: 'BTC', interval: '1m' },
    { type: 'l4Book', coin: 'BTC', bookOnly: true },
    { type: 'userFills', user: trader },
    { type: 'userEvents', user: trader },
  ];
  if (mode === 'all') subs.push({ type: 'l4Book', coin: 'BTC' }, { type: 'orderUpdates', user: placer });
  return subs;
}

describe.skipIf(!HAVE_NATS)('edge from the block log', () => {
  it.each(['book', 'all'] as const)(
    'sends the frames the core sends, frame for frame (statuses: %s)',
    async (mode) => {
      const nats: TestNats = await startNats();
      cleanups.push(() => nats.close());
      const node: TestNode = await startTestNode(fixture());
      cleanups.push(() => node.close());
      node.write(0, 5);
      const core = createNodeFeed({ dataDir: node.dataDir, infoUrl: node.info.url, snapshotDir: node.snapshotDir }) as NodeFeed;
      const publisher = new BlockLogPublisher({ connection: { servers: [nats.url] }, statuses: mode, snapshotEvery: 1_000 });
      publisher.attach(core);
      cleanups.push(
        () => core.stop(),
        () => publisher.close(),
      );
      await core.start();
      const coreServer: RunningServer = await startServer({ ...SERVER, feed: core });
      cleanups.push(() => coreServer.close());
      await whenStatus(core, (s) => s.state === 'ready');
      const stored = new Promise<number>((r) => publisher.once('snapshot', r));
      node.write(5, 6);
      core.wake();
      expect(await stored).toBe(FIRST + 5);

      // An edge started after the core: it loads the snapshot from the bucket.
      const edge = createEdgeFeed({ connection: { servers: [nats.url] } });
      cleanups.push(() => edge.stop());
      const edgeServer = await startServer({ ...SERVER, feed: edge });
      cleanups.push(() => edgeServer.close());
      await edge.start();
      await edgeAt(edge, FIRST + 5);
      expect(edge.status()).toMatchObject({ state: 'ready', source: 'nats', height: FIRST + 5, time: core.status().time });

      const subs = subscriptions(mode);
      const open = async (url: string): Promise<TestClient> => {
        const c = await TestClient.open(url);
        cleanups.push(() => c.close());
        for (const subscription of subs) await c.request({ method: 'subscribe', subscription }, (f) => f.channel === 'subscriptionResponse');
        await c.sync();
        return c;
      };
      const onCore = await open(coreServer.url);
      const onEdge = await open(edgeServer.url);

      // One block at a time, each served by both before the next: l2Book, bbo and allMids send
      // the state once per flush, so blocks arriving together would be coalesced differently.
      for (let i = 6; i < 25; i++) {
        node.write(i, i + 1);
        core.wake();
        await whenHeight(core, FIRST + i);
        await edgeAt(edge, FIRST + i);
        await onCore.sync();
        await onEdge.sync();
      }
      const strip = (texts: string[]): string[] => texts.filter((t) => !t.startsWith('{"channel":"pong"'));
      const coreFrames = strip(onCore.texts);
      const edgeFrames = strip(onEdge.texts);
      // Every channel carried something, so the comparison covers them all.
      for (const ch of ['l2Book', 'bbo', 'trades', 'allMids', 'candle', 'l4Book', 'userFills', 'user'] as const) {
        expect(
          coreFrames.some((t) => t.startsWith(`{"channel":"${ch}"`)),
          ch,
        ).toBe(true);
      }
      if (mode === 'all') expect(coreFrames.some((t) => t.startsWith('{"channel":"orderUpdates"'))).toBe(true);
      expect(coreFrames.filter((t) => t.includes('"Updates"')).length).toBeGreaterThan(10);
      const firstDiff = coreFrames.findIndex((t, i) => edgeFrames[i] !== t);
      if (firstDiff !== -1 || edgeFrames.length !== coreFrames.length) {
        const at = firstDiff === -1 ? coreFrames.length : firstDiff;
        throw new Error(
          `frames differ at ${at} of ${coreFrames.length}/${edgeFrames.length}:\ncore ${coreFrames[at]?.slice(0, 300)}\nedge ${edgeFrames[at]?.slice(0, 300)}\ncore channels ${coreFrames.map((t) => t.slice(12, 22)).join(' ')}\nedge channels ${edgeFrames.map((t) => t.slice(12, 22)).join(' ')}`,
        );
      }
      for (let i = 0; i < coreFrames.length; i++) expect(edgeFrames[i], `frame ${i}`).toBe(coreFrames[i]);
      expect(publisher.status()).toMatchObject({ role: 'publish', connected: true, buffered: 0, dropped: 0, conflicts: 0, published: FIRST + 24 });
    },
    400_000,
  );
});
