/**
 * The market-maker example, short, on the whole stack (simulated node + paper exchange →
 * ingest → server → connector): at every block of BTC it checks that the in-flight orders,
 * the user stream and the server's L4 book agree — same oids, sizes and states — then it
 * stops, cancels everything and checks that every order ended.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperliquidMarket, statusMeaning, type WsFill } from '../../src/connector/index.js';
import { toAmount } from '../../src/connector/amount.js';
import { randomPrivateKey } from '../../src/sign/index.js';
import { MarketMaker } from '../../examples/market-maker.js';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(() => stack?.close());

describe('examples/market-maker on the paper exchange', () => {
  it(
    'quotes, gets filled, re-quotes; in-flight orders, user stream and L4 book agree at every block; stop cancels everything',
    { timeout: 180_000 },
    async () => {
      const market = await HyperliquidMarket.create({ url: stack.url, privateKey: randomPrivateKey(), pairs: ['BTC'] });
      const lines: string[] = [];
      const maker = new MarketMaker(market, { pair: 'BTC', offsetTicks: 0, print: (l) => lines.push(l) });
      // The user stream as the test sees it: last status and origSz per oid, fills per oid.
      const status = new Map<number, { status: string; origSz: string }>();
      const filled = new Map<number, bigint>();
      market.userStreamTracker.events.on('orderUpdate', (u) => {
        if (u.order.coin === 'BTC') status.set(u.order.oid, { status: u.status, origSz: u.order.origSz });
      });
      market.userStreamTracker.events.on('fill', (f: WsFill) => {
        if (f.coin === 'BTC') filled.set(f.oid, (filled.get(f.oid) ?? 0n) + toAmount(f.sz));
      });
      const problems: string[] = [];
      let checks = 0;
      const check = (height: number): void => {
        checks++;
        const book = market.getOrderBook('BTC');
        const resting = new Map(book.ordersOf(market.account).map((o) => [o.oid, toAmount(o.sz)]));
        const streamOpen = [...status].filter(([, s]) => statusMeaning(s.status) === 'open').map(([oid]) => oid);
        const say = (what: string): void => void problems.push(`height ${height}: ${what}`);
        // The server's L4 book and the user stream: same resting oids, same sizes.
        if (JSON.stringify([...resting.keys()].sort()) !== JSON.stringify([...streamOpen].sort()))
          say(`book oids ${[...resting.keys()]} vs stream open ${streamOpen}`);
        for (const [oid, sz] of resting) {
          const s = status.get(oid);
          if (s && toAmount(s.origSz) - (filled.get(oid) ?? 0n) !== sz)
            say(`oid ${oid}: book size ${sz} vs stream ${s.origSz} − fills ${filled.get(oid) ?? 0n}`);
        }
        // In-flight orders and the stream: every oid known, fills equal, state at least the stream's.
        const byOid = new Map([...market.inFlightOrders.values()].filter((o) => o.exchangeOrderId !== undefined).map((o) => [o.exchangeOrderId!, o]));
        for (const [oid, s] of status) {
          const o = byOid.get(oid);
          if (!o) {
            say(`oid ${oid} (${s.status}) on the stream, not in flight`);
            continue;
          }
          if (toAmount(o.executedAmount) !== (filled.get(oid) ?? 0n)) say(`oid ${oid}: executed ${o.executedAmount} vs stream fills ${filled.get(oid) ?? 0n}`);
          const meaning = statusMeaning(s.status);
          const ok =
            meaning === 'open'
              ? o.state !== 'pendingCreate' && o.state !== 'failed'
              : meaning === 'filled'
                ? o.state === 'filled'
                : meaning === 'canceled'
                  ? o.state === 'canceled'
                  : // A rejection on the stream waits for the order's answer (it carries the exchange's words).
                    o.state === 'failed' || (!o.isDone && market.isAwaitingAnswer(o.clientOrderId));
          if (!ok) say(`oid ${oid}: in flight ${o.state}, stream ${s.status}`);
          // Resting per the stream and open in flight: the book holds what is left.
          if (meaning === 'open' && (o.state === 'open' || o.state === 'partiallyFilled') && resting.get(oid) !== toAmount(o.remainingAmount)) {
            say(`oid ${oid}: in flight remaining ${o.remainingAmount}, book ${resting.get(oid)}`);
          }
        }
      };
      // Each block's frames (l4Book, orderUpdates, userFills) come in one write: check once they are all in.
      market.orderBookTracker.events.on('change', (c) => {
        if (c.pair === 'BTC') setImmediate(() => check(c.height));
      });
      maker.start();
      const startHeight = market.getOrderBook('BTC').height;
      await new Promise<void>((resolve) => {
        const off = market.orderBookTracker.events.on('change', (c) => {
          if (c.height >= startHeight + 60 && maker.totals.fills > 0) {
            off();
            resolve();
          }
        });
      });
      await maker.stop(AbortSignal.timeout(30_000));
      await market.orderBookTracker.waitForSync('BTC');
      const placed = [...market.inFlightOrders.values()];
      expect(placed.length).toBeGreaterThan(2);
      expect(placed.every((o) => o.isDone)).toBe(true);
      // Joining the best level, a quote can arrive after the level moved and would cross: the
      // exchange refuses such a post-only order, and that is the only failure expected.
      for (const o of placed.filter((x) => x.state === 'failed'))
        expect(o.failureReason).toMatch(/badAloPxRejected|Post only order would have immediately matched/);
      expect(maker.totals.fills).toBeGreaterThan(0);
      expect(checks).toBeGreaterThan(30);
      expect(problems).toEqual([]);
      expect(lines.some((l) => l.startsWith('BID') && l.includes('fill ')) || lines.some((l) => l.startsWith('ASK') && l.includes('fill '))).toBe(true);
      await maker.report();
      expect(lines.at(-1)).toMatch(/^position -?\d+\.\d+ /);
      await market.close();
    },
  );
});

describe('npm run example:market-maker (the built example as a process)', () => {
  it('quotes with a fresh key, and on Ctrl-C cancels everything before it exits', { timeout: 180_000 }, async () => {
    const { spawn } = await import('node:child_process');
    const { createInterface } = await import('node:readline');
    const { join } = await import('node:path');
    const example = join(import.meta.dirname, '..', '..', 'dist', 'examples', 'market-maker.js');
    const child = spawn(process.execPath, [example, 'BTC', '--url', stack.url, '--offset-ticks', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let interrupted = false;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      // Two quotes resting: interrupt as a user would.
      if (!interrupted && lines.filter((l) => l.includes(' created oid ')).length >= 2) {
        interrupted = true;
        child.kill('SIGINT');
      }
    }
    expect(await exited).toBe(0);
    expect(lines[0]).toMatch(/^quoting BTC 0\.\d+ a side, 1 tick\(s\) off the best level, account 0x[0-9a-f]{40}$/);
    expect(lines).toContain('Ctrl-C: canceling every order…');
    expect(lines.some((l) => /^all orders ended \(\d+ placed this session\)$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^position /);
  });
});
