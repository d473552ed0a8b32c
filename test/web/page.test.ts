/**
 * The live page in a real browser (Debian's Chromium through playwright-core) against
 * `hl-orderbook serve` on the simulated node: the ladder shows the server's `l2Book` at the
 * block it shows and changes from block to block; coin, aggregation, a level's queue, the
 * highlighted address and the trades tape work; killing and restarting the server shows the
 * banner and then live data again; a 390 px screen has no horizontal scroll; nothing is
 * requested from anywhere but the server. Screenshots go to test-results/.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { L2Level } from '../../src/book/index.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { builtPageMissing, CHROMIUM, launchChromium, ROOT, spawnServe, type ServeProcess } from './support.js';

const ROWS = 15;

// The callbacks given to `evaluate`/`waitForFunction` run in the page; the Node program has
// no DOM types, so the little they use is declared here (module scope only).
interface El {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector(selector: string): El | null;
}
declare const document: {
  getElementById(id: string): El | null;
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): Iterable<El> & { length: number };
  documentElement: { scrollWidth: number; clientWidth: number };
};
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const msg = `test/web/page.test.ts: ${CHROMIUM} not found (apt-get install chromium); the browser tests are skipped`;
  if (process.env.HL_ORDERBOOK_REQUIRE_BROWSER === '1') throw new Error(msg);
  console.warn(msg);
}

interface Shown {
  coin: string;
  agg: string;
  height: number;
  time: number;
  bids: L2Level[];
  asks: L2Level[];
}

/** The ladder as the page shows it, read in one go (one render). */
function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const ladder = document.getElementById('ladder')!;
    const read = (id: string): Array<{ px: string; sz: string; n: number }> =>
      [...document.querySelectorAll(`#${id} .row:not([hidden])`)].map((r) => ({
        px: r.dataset.px ?? '',
        sz: r.querySelector('span.sz')?.textContent ?? '',
        n: Number(r.querySelector('span.n')?.textContent),
      }));
    return {
      coin: ladder.dataset.coin ?? '',
      agg: ladder.dataset.agg ?? '',
      height: Number(ladder.dataset.height),
      time: Number(ladder.dataset.time),
      bids: read('bids'),
      // Asks are laid out worst at the top: best first is the reverse.
      asks: read('asks').reverse(),
    };
  });
}

/** Every `l2Book` frame of one subscription, by block time. */
class L2Recorder {
  readonly frames: Array<{ time: number; levels: [L2Level[], L2Level[]] }> = [];
  private readonly ws: WebSocket;
  readonly ready: Promise<void>;

  constructor(url: string, subscription: Record<string, unknown>) {
    this.ws = new WebSocket(url);
    this.ready = new Promise((resolve, reject) => {
      this.ws.once('error', reject);
      this.ws.on('message', (data: Buffer) => {
        const f = JSON.parse(data.toString()) as { channel: string; data: { time: number; levels: [L2Level[], L2Level[]] } };
        if (f.channel === 'subscriptionResponse') resolve();
        if (f.channel === 'l2Book') this.frames.push({ time: f.data.time, levels: f.data.levels });
      });
      this.ws.once('open', () => this.ws.send(JSON.stringify({ method: 'subscribe', subscription })));
    });
  }

  /** The view at block time `time`: the last frame at or before it, once a later one came. */
  async at(time: number, timeoutMs = 20_000): Promise<[L2Level[], L2Level[]] | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (!this.frames.some((f) => f.time > time)) {
      if (Date.now() > deadline) throw new Error(`no l2Book frame after block time ${time}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.frames.filter((f) => f.time <= time).at(-1)?.levels;
  }

  close(): void {
    this.ws.close();
  }
}

describe.skipIf(!haveChromium)('the live page in Chromium', () => {
  let dir: string;
  let sim: RunningSim;
  let serve: ServeProcess;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let base: string;
  const requests: string[] = [];
  const problems: string[] = [];
  const results = join(ROOT, 'test-results');

  beforeAll(async () => {
    const missing = builtPageMissing();
    if (missing !== null) throw new Error(missing);
    await mkdir(results, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'hlob-web-'));
    sim = await startSimulator({ dataDir: join(dir, 'data'), infoPort: 0, seed: 17, profile: 'quiet', restingOrders: 6_000 });
    serve = await spawnServe(join(dir, 'data'), sim.infoUrl, 0);
    base = `http://127.0.0.1:${serve.port}`;
    browser = await launchChromium();
    browser.context.on('request', (r) => requests.push(r.url()));
    page = await browser.context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // The browser reports each refused reconnect attempt while the server is down.
      if (m.type() === 'error' && !/WebSocket connection|ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.kill('SIGTERM');
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('serves the page with a strict CSP and shows a live BTC book', async () => {
    const started = Date.now();
    const res = await page.goto(`${base}/`);
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    await page.waitForFunction(() => Number(document.getElementById('ladder')?.dataset.height) > 0, null, { timeout: 30_000 });
    console.log(`live BTC book ${Date.now() - started} ms after navigation (load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
    const s = await shown(page);
    expect(s.coin).toBe('BTC');
    expect(s.bids.length).toBe(ROWS);
    expect(s.asks.length).toBe(ROWS);
    // serve reads the simulated node's files like a real node's: /health says "node".
    const health = (await (await fetch(`${base}/health`)).json()) as { source: string };
    await expect.poll(() => page.locator('#status [data-field="source"]').textContent()).toBe(health.source === 'simulated' ? 'simulated node' : 'node');
    await expect.poll(() => page.locator('#status').getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
  }, 60_000);

  it("shows numbers that change between two blocks and equal the server's l2Book at each", async () => {
    const recorder = new L2Recorder(`ws://127.0.0.1:${serve.port}/ws`, { type: 'l2Book', coin: 'BTC', nLevels: ROWS });
    try {
      await recorder.ready;
      // Only blocks the recorder saw from their start can be compared.
      const from = (await shown(page)).time;
      await page.waitForFunction((t) => Number(document.getElementById('ladder')?.dataset.time) > t, from, { timeout: 20_000 });
      const first = await shown(page);
      // The second reading is taken inside the wait, in the same task as the check, so the
      // page cannot render another block between "it changed" and reading what it shows.
      const handle = await page.waitForFunction(
        (s) => {
          const ladder = document.getElementById('ladder')!;
          const side = (id: string) =>
            [...document.querySelectorAll(`#${id} .row:not([hidden])`)].map((r) => ({
              px: r.dataset.px ?? '',
              sz: r.querySelector('span.sz')?.textContent ?? '',
              n: Number(r.querySelector('span.n')?.textContent),
            }));
          const bids = side('bids');
          const asks = side('asks').reverse();
          const rows = [...bids, ...asks].map((l) => `${l.px}:${l.sz}`).join();
          const time = Number(ladder.dataset.time);
          return time > s.time && rows !== s.rows ? { time, bids, asks } : false;
        },
        { time: first.time, rows: [...first.bids, ...first.asks].map((l) => `${l.px}:${l.sz}`).join() },
        { timeout: 20_000 },
      );
      const second = (await handle.jsonValue()) as Pick<Shown, 'time' | 'bids' | 'asks'>;
      expect([second.bids, second.asks]).not.toEqual([first.bids, first.asks]);
      for (const s of [first, second]) {
        const server = await recorder.at(s.time);
        expect(server, `the server's l2Book at block time ${s.time}`).toBeDefined();
        expect(s.bids).toEqual(server![0]);
        expect(s.asks).toEqual(server![1]);
      }
    } finally {
      recorder.close();
    }
  }, 60_000);

  it('switches aggregation, and the URL remembers it', async () => {
    const full = await shown(page);
    await page.selectOption('#agg', '2');
    await page.waitForFunction(() => document.getElementById('ladder')?.dataset.agg === '2');
    await expect.poll(async () => (await shown(page)).bids[0]?.px !== full.bids[0]?.px, { timeout: 10_000 }).toBe(true);
    const two = await shown(page);
    // Two significant figures of a ~100,000 price: every bucket is a multiple of 1,000.
    for (const l of [...two.bids, ...two.asks]) expect(Number(l.px) % 1000).toBe(0);
    expect(two.bids.length).toBeLessThan(full.bids.length + 1);
    expect(new URL(page.url()).hash).toBe('#BTC;agg=2');
    await page.selectOption('#agg', 'full');
    await page.waitForFunction(() => document.getElementById('ladder')?.dataset.agg === 'full');
  }, 30_000);

  it('clicking a level shows every order of its queue, and an address is highlighted across the book', async () => {
    // A level may be gone by the time the click lands (the market moves every block): pick
    // again until one shows orders. The level's order count and its queue come from one render.
    const read = (): Promise<{ n: number; rows: number; orders: number }> =>
      page.evaluate(() => {
        const sel = document.querySelector('#bids .row.selected');
        return {
          n: Number(sel?.querySelector('span.n')?.textContent),
          rows: document.querySelectorAll('#queue tr[data-oid]').length,
          orders: Number(document.getElementById('queue')?.dataset.orders),
        };
      });
    let q = await read();
    for (let attempt = 0; q.rows === 0; attempt++) {
      if (attempt === 10) throw new Error('no level showed its queue after 10 clicks');
      // Clicking the selected level again would close its queue.
      const row = page.locator('#bids .row').nth(4);
      if (!((await row.getAttribute('class')) ?? '').includes('selected')) await row.click();
      await page.waitForSelector('#queue tr[data-oid]', { timeout: 5_000 }).catch(() => undefined);
      q = await read();
    }
    expect(q.rows).toBeGreaterThan(0);
    expect(q.orders).toBe(q.rows);
    expect(q.n).toBe(q.rows);
    const user = await page.locator('#queue tr[data-oid] button.addr').first().getAttribute('title');
    const address = user!.slice(0, 42);
    // Its row may leave the queue before the click lands; typing the address is the other way in.
    const clicked = await page
      .locator('#queue tr[data-oid] button.addr')
      .first()
      .click({ timeout: 5_000 })
      .then(
        () => true,
        () => false,
      );
    if (!clicked) {
      await page.fill('#user', address);
      await page.press('#user', 'Enter');
    }
    await expect.poll(() => new URL(page.url()).hash, { timeout: 5_000 }).toContain(`;user=${address}`);
    await expect.poll(() => page.locator('.side .row.mine').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#user-summary').textContent(), { timeout: 5_000 }).toMatch(/resting order/);
  }, 90_000);

  it('grows the trades tape', async () => {
    const count = async (): Promise<number> => Number(await page.locator('#trades').getAttribute('data-count'));
    const before = await count();
    await expect.poll(count, { timeout: 30_000 }).toBeGreaterThan(before);
    expect(await page.locator('#trades tbody tr').count()).toBeGreaterThan(0);
  }, 40_000);

  it('saves desktop and phone screenshots, with no horizontal scroll at 390 px', async () => {
    await page.screenshot({ path: join(results, 'page-desktop.png') });
    const phone = await browser.context.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${base}/#BTC`);
      await phone.waitForFunction(() => Number(document.getElementById('ladder')?.dataset.height) > 0, null, { timeout: 30_000 });
      await phone.locator('#bids .row').nth(1).click();
      await phone.waitForSelector('#queue tr[data-oid], #queue .hint', { timeout: 10_000 });
      const widths = await phone.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      expect(widths.client).toBe(390);
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
      await phone.screenshot({ path: join(results, 'page-phone.png'), fullPage: true });
    } finally {
      await phone.close();
    }
  }, 60_000);

  it('switches coin with the keyboard picker, which lists perps, spot and HIP-3 coins', async () => {
    await page.locator('#coin').focus();
    await page.waitForSelector('#coin-list:not([hidden]) li[data-coin]');
    const listed = await page.locator('#coin-list li[data-coin]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-coin')));
    for (const coin of ['BTC', 'ETH', '@107', 'PURR/USDC', 'xyz:ABC']) expect(listed).toContain(coin);
    await page.keyboard.type('abc');
    await page.keyboard.press('Enter');
    // The highlighted address stays with the view.
    await expect.poll(() => new URL(page.url()).hash, { timeout: 5_000 }).toMatch(/^#xyz:ABC(;|$)/);
    await page.waitForFunction(
      () => document.getElementById('ladder')?.dataset.coin === 'xyz:ABC' && Number(document.getElementById('ladder')?.dataset.height) > 0,
      null,
      { timeout: 20_000 },
    );
    const abc = await shown(page);
    // xyz:ABC trades around 250.00 in the simulated market, BTC around 100,000.
    expect(Number(abc.bids[0]!.px)).toBeLessThan(10_000);
    // Back by arrows: BTC is the first coin of the list.
    await page.locator('#coin').focus();
    await page.keyboard.type('BTC');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => document.getElementById('ladder')?.dataset.coin === 'BTC' && Number(document.getElementById('ladder')?.dataset.height) > 0,
      null,
      { timeout: 20_000 },
    );
  }, 60_000);

  it('shows the banner when the server goes away, and live data again once it is back on the same port', async () => {
    const port = serve.port;
    const before = await shown(page);
    await serve.kill('SIGKILL');
    await page.waitForSelector('#banner:not([hidden])', { timeout: 20_000 });
    expect(await page.locator('#banner').textContent()).toMatch(/lost|reach/);
    expect(await page.locator('#status').getAttribute('data-state')).toBe('offline');
    serve = await spawnServe(join(dir, 'data'), sim.infoUrl, port);
    await page.waitForSelector('#banner', { state: 'hidden', timeout: 30_000 });
    await page.waitForFunction((h) => Number(document.getElementById('ladder')?.dataset.height) > h, before.height, { timeout: 30_000 });
    const trades = Number(await page.locator('#trades').getAttribute('data-count'));
    await expect.poll(async () => Number(await page.locator('#trades').getAttribute('data-count')), { timeout: 30_000 }).toBeGreaterThan(trades);
    await expect.poll(() => page.locator('#status').getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
  }, 120_000);

  it('made no request anywhere but the server, and logged no error', () => {
    const foreign = requests.filter((u) => !u.startsWith(base) && !u.startsWith(`ws://127.0.0.1:${serve.port}`) && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });
});
