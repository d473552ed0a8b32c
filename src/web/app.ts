/**
 * The page's controller: one client of our own protocol (`src/client`) on the server that
 * served the page: an L4 replica of the coin viewed (ladder at any aggregation, queues,
 * one address's orders, depth), its trades, and the server's status; the view in the URL's
 * fragment. The client reconnects by itself and re-subscribes; the page shows the gap.
 */
import { ClientBuilder } from '../client/core/builder.js';
import type { Client } from '../client/core/client.js';
import { RejectedError } from '../client/core/errors.js';
import { consoleLogger } from '../client/core/logger.js';
import { KeepAlive } from '../client/modules/keep-alive.js';
import { L4BookTracker, type L4BookTrackerHandle, type L4Replica } from '../client/modules/l4-book-tracker.js';
import { ServerStatus } from '../client/modules/server-status.js';
import { Trades, type TradeStream } from '../client/modules/trades.js';
import type { L2Levels } from '../book/types.js';
import { AGGREGATIONS, aggregationById, l2Params } from './aggregation.js';
import { coinList, dexNames, kindOf, spotLabels } from './coins.js';
import { drawDepth } from './depth-view.js';
import { $, setText } from './dom.js';
import { levelChanges, type Flash } from './flash.js';
import { buildLadder } from './ladder.js';
import { LadderView, type Selection } from './ladder-view.js';
import { CoinPicker } from './picker.js';
import { levelsHolding, queueOf } from './queue.js';
import { QueueView } from './queue-view.js';
import { StatusView } from './status-view.js';
import { TradesView } from './trades-view.js';
import { endpoints, type Endpoints } from './urls.js';
import { formatHash, isAddress, parseHash, type ViewState } from './view-state.js';
import { formatClock, formatCount, groupDigits } from './format.js';
import { codedError } from '../errors.js';

/** Rows per side of the ladder. */
const ROWS = 15;
/** Levels asked of the replica: the ladder's rows and the depth chart's reach. */
const DEPTH_LEVELS = 100;

export class App {
  private readonly urls: Endpoints;
  private readonly client: Client;
  private readonly tracker: L4BookTrackerHandle;
  private view: ViewState;
  private replica: L4Replica | null = null;
  /** The levels shown last, and for which coin and aggregation (flashes compare like with like). */
  private shownLevels: { key: string; levels: L2Levels } | null = null;
  private selected: Selection | null = null;
  private trades: TradeStream | null = null;
  /** Bumped on each coin switch: answers for an older coin are dropped. */
  private generation = 0;
  private renderQueued = false;
  private everOpen = false;

  private readonly ladder: LadderView;
  private readonly picker: CoinPicker;
  private readonly queue: QueueView;
  private readonly tradesView: TradesView;
  private readonly status: StatusView;
  private readonly ladderEl = $('ladder');
  private readonly bookMessage = $('book-message');
  private readonly bookMeta = $('book-meta');
  private readonly userInput = $('user') as HTMLInputElement;
  private readonly userClear = $('user-clear');
  private readonly userSummary = $('user-summary');
  private readonly aggSelect = $('agg') as HTMLSelectElement;
  private readonly depth = $('depth') as HTMLCanvasElement;

  constructor(location: Location) {
    this.urls = endpoints(location);
    this.view = parseHash(location.hash);
    this.client = new ClientBuilder(this.urls.ws)
      .withModule(L4BookTracker)
      .withModule(Trades)
      .withModule(ServerStatus)
      .withLightweightModule(KeepAlive)
      .withReconnectPolicy({ baseMs: 250, maxMs: 3_000, jitter: 0.3, stablePeriodMs: 5_000 })
      .withConnectTimeout(5_000)
      .withLogger(consoleLogger)
      .build();
    this.tracker = this.client.getHandle(L4BookTracker);

    const select = (u: string): void => this.setUser(u);
    this.ladder = new LadderView($('bids'), $('asks'), ROWS, (sel) => this.select(sel));
    this.picker = new CoinPicker(
      $('coin') as HTMLInputElement,
      $('coin-list') as HTMLUListElement,
      $('coin-kind'),
      (coin) => this.navigate({ ...this.view, coin }),
      () => void this.refreshCoins(),
    );
    this.queue = new QueueView($('queue'), $('queue-meta'), select);
    this.tradesView = new TradesView($('trades'), select);
    this.status = new StatusView($('status'), $('banner'), $('main'));
  }

  start(): void {
    performance.mark('hlob:start');
    for (const a of AGGREGATIONS) {
      const o = document.createElement('option');
      o.value = a.id;
      o.textContent = a.nSigFigs === null ? 'Full' : a.mantissa === null ? `${a.nSigFigs} sig` : `${a.nSigFigs} sig ×${a.mantissa}`;
      o.title = a.label;
      this.aggSelect.append(o);
    }
    this.aggSelect.addEventListener('change', () => {
      const a = aggregationById(this.aggSelect.value);
      if (a !== undefined) this.navigate({ ...this.view, aggregation: a });
    });
    $('user-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.setUser(this.userInput.value.trim());
    });
    this.userInput.addEventListener('change', () => this.setUser(this.userInput.value.trim()));
    this.userClear.addEventListener('click', () => this.setUser(''));
    window.addEventListener('hashchange', () => this.apply(parseHash(window.location.hash)));
    window.addEventListener('resize', () => this.scheduleRender());

    this.client.events.on('open', () => {
      performance.mark('hlob:open');
      this.everOpen = true;
      this.status.online();
      void this.refreshCoins();
      void this.refreshHealth();
      // A subscribe that timed out while the server was away is made again now.
      if (this.replica === null || this.tracker.replica(this.view.coin) === undefined) this.follow(this.view.coin, false);
      else if (this.trades === null) void this.followTrades(this.view.coin, this.generation);
    });
    this.client.events.on('connectionClosed', () => {
      this.status.offline('Connection to the server lost: reconnecting…');
    });
    this.client.events.on('backoff', (delayMs, failures) => {
      const what = this.everOpen ? 'Connection to the server lost' : 'Cannot reach the server';
      this.status.offline(`${what}: retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${failures + 1})…`);
    });
    this.tracker.on('lost', (coin) => {
      // Refused on a re-subscribe (a restarted server still loading, say): ask again.
      if (coin === this.view.coin) setTimeout(() => this.follow(coin, false), 1_000);
    });
    this.tracker.on('change', (c) => {
      if (c.coin === this.view.coin) this.scheduleRender();
    });
    const serverStatus = this.client.getHandle(ServerStatus);
    serverStatus.on('change', (h) => this.status.health(h));
    void serverStatus.watch().catch(() => undefined);
    void this.client.connect().catch(() => undefined);
    void this.refreshHealth();
    this.apply(this.view, true);
  }

  /** Changes the view through the URL, so that it can be linked and goes in the history. */
  private navigate(next: ViewState): void {
    const hash = formatHash(next);
    if (hash !== window.location.hash) window.location.hash = hash;
    else this.apply(next);
  }

  private apply(next: ViewState, first = false): void {
    const coinChanged = first || next.coin !== this.view.coin;
    const aggChanged = next.aggregation.id !== this.view.aggregation.id;
    this.view = next;
    this.aggSelect.value = next.aggregation.id;
    this.userInput.value = next.user ?? '';
    this.userInput.removeAttribute('aria-invalid');
    this.userClear.hidden = next.user === null;
    this.picker.show(next.coin, kindOf(next.coin) === 'hip3' ? 'HIP-3' : kindOf(next.coin));
    document.title = `${next.coin} · hl-orderbook`;
    this.ladderEl.dataset.coin = next.coin;
    this.ladderEl.dataset.agg = next.aggregation.id;
    if (coinChanged) this.follow(next.coin, true);
    else {
      // A level of another aggregation is another level; a highlighted address keeps the queue open.
      if (aggChanged) {
        this.selected = null;
        this.queue.hint('Click a level of the book to see its orders, in the order they fill.');
      }
      this.scheduleRender();
    }
  }

  private follow(coin: string, reset: boolean): void {
    const previous = this.replica?.coin;
    const gen = ++this.generation;
    if (reset) {
      this.replica = null;
      this.shownLevels = null;
      this.selected = null;
      this.ladder.clear();
      this.tradesView.clear();
      this.queue.hint('Click a level of the book to see its orders, in the order they fill.');
      this.message(`Loading ${coin}…`);
      setText(this.bookMeta, '');
      this.ladderEl.dataset.height = '0';
      this.ladderEl.dataset.time = '0';
    }
    if (previous !== undefined && previous !== coin) void this.tracker.untrack(previous).catch(() => undefined);
    const oldTrades = this.trades;
    this.trades = null;
    if (oldTrades !== null && oldTrades.coin !== coin) void oldTrades.close().catch(() => undefined);
    if (reset) void this.prefetch(coin, gen);
    this.tracker.track(coin).then(
      (replica) => {
        if (gen !== this.generation) return;
        performance.mark('hlob:tracked');
        this.replica = replica;
        this.message(null);
        // At once, not on the next frame: the first book is what the page is waited for.
        this.render();
      },
      (err: unknown) => {
        if (gen !== this.generation) return;
        if (err instanceof RejectedError) this.message(`This server has no book for ${coin}. Pick a coin from the list.`);
        else this.message(`Waiting for the server to load ${coin}…`);
      },
    );
    if (oldTrades === null || oldTrades.coin !== coin) void this.followTrades(coin, gen);
    else this.trades = oldTrades;
  }

  private async followTrades(coin: string, gen: number): Promise<void> {
    try {
      const stream = await this.client.getHandle(Trades).watch(coin);
      if (gen !== this.generation) {
        void stream.close().catch(() => undefined);
        return;
      }
      this.trades = stream;
      stream.on((t) => {
        if (t.coin === this.view.coin) this.tradesView.add(t);
      });
      setText($('trades-meta'), coin);
    } catch {
      // Refused (unknown coin) or timed out while offline: the next open tries again.
    }
  }

  /**
   * The coin's aggregated book from `POST /info` (`l2Book`), shown while the L4 snapshot
   * (much larger) is on its way; the replica replaces it as soon as it is in.
   */
  private async prefetch(coin: string, gen: number): Promise<void> {
    try {
      const agg = this.view.aggregation;
      const res = await fetch(this.urls.info, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'l2Book', coin, ...l2Params(agg, DEPTH_LEVELS) }),
      });
      if (!res.ok) return;
      const book = (await res.json()) as { time?: number; levels?: L2Levels } | null;
      if (gen !== this.generation || this.replica !== null || book?.levels === undefined || this.view.aggregation !== agg) return;
      this.message(null);
      this.renderLevels(book.levels, null);
      setText(this.bookMeta, `${formatClock(book.time ?? 0)} · loading the orders…`);
    } catch {
      // The snapshot will come with the subscription anyway.
    }
  }

  private message(text: string | null): void {
    this.bookMessage.hidden = text === null;
    if (text !== null) setText(this.bookMessage, text);
  }

  private select(sel: Selection): void {
    this.selected = this.selected !== null && this.selected.isBid === sel.isBid && this.selected.px === sel.px ? null : sel;
    if (this.selected === null) this.queue.hint('Click a level of the book to see its orders, in the order they fill.');
    this.scheduleRender();
  }

  private setUser(text: string): void {
    if (text === '') {
      this.navigate({ ...this.view, user: null });
      return;
    }
    if (!isAddress(text)) {
      this.userInput.setAttribute('aria-invalid', 'true');
      this.userInput.value = text;
      setText(this.userSummary, 'Not an address: 0x and 40 hex digits.');
      this.userSummary.hidden = false;
      return;
    }
    this.navigate({ ...this.view, user: text.toLowerCase() });
  }

  private scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private render(): void {
    const r = this.replica;
    if (r === null || !r.synced || r.coin !== this.view.coin) return;
    this.renderLevels(r.l2(l2Params(this.view.aggregation, DEPTH_LEVELS)), r);
  }

  /** The ladder, spread, depth and (with a replica) the highlighted user and the selected queue. */
  private renderLevels(levels: L2Levels, r: L4Replica | null): void {
    const agg = this.view.aggregation;
    const ladder = buildLadder(levels, ROWS);
    const key = `${this.view.coin}|${agg.id}`;
    const prev = this.shownLevels?.key === key ? this.shownLevels.levels : null;
    const flashes: { bids: Map<string, Flash>; asks: Map<string, Flash> } = {
      bids: levelChanges(prev?.[0].slice(0, ROWS) ?? null, levels[0].slice(0, ROWS)),
      asks: levelChanges(prev?.[1].slice(0, ROWS) ?? null, levels[1].slice(0, ROWS)),
    };
    this.shownLevels = { key, levels };
    const bidEdges = ladder.bids.map((l) => l.px);
    const askEdges = ladder.asks.map((l) => l.px);
    const user = this.view.user;
    const mine = { bids: new Set<number>(), asks: new Set<number>() };
    if (user !== null && r !== null) {
      const orders = r.ordersOf(user);
      mine.bids = levelsHolding(orders, true, bidEdges);
      mine.asks = levelsHolding(orders, false, askEdges);
      const nb = orders.filter((o) => o.side === 'B').length;
      setText(
        this.userSummary,
        `${user.slice(0, 8)}…${user.slice(-4)}: ${orders.length} resting order${orders.length === 1 ? '' : 's'} on ${r.coin} (${nb} bid, ${orders.length - nb} ask)`,
      );
      this.userSummary.hidden = false;
    } else {
      this.userSummary.hidden = true;
    }
    this.ladder.render(ladder, flashes, mine, this.selected);
    setText($('spread').querySelector('[data-field="mid"]')!, ladder.mid === null ? '–' : groupDigits(ladder.mid));
    setText(
      $('spread').querySelector('[data-field="spread"]')!,
      ladder.spread === null ? 'one side empty' : `spread ${ladder.spread}${ladder.spreadBps === null ? '' : ` (${ladder.spreadBps} bps)`}`,
    );
    if (ladder.bids.length === 0 && ladder.asks.length === 0) this.message(`The ${this.view.coin} book is empty.`);
    else if (!this.bookMessage.hidden && this.bookMessage.textContent?.startsWith('The ') === true) this.message(null);
    drawDepth(this.depth, levels[0], levels[1]);
    if (r === null) return;

    setText(this.bookMeta, `block ${formatCount(r.height)} · ${formatClock(r.time)} · ${formatCount(r.size)} orders`);
    if (this.ladderEl.dataset.height === '0') performance.mark('hlob:first-book');
    this.ladderEl.dataset.height = String(r.height);
    this.ladderEl.dataset.time = String(r.time);
    const sel = this.selected;
    if (sel !== null) {
      const edges = sel.isBid ? bidEdges : askEdges;
      const index = edges.indexOf(sel.px);
      const [bids, asks] = index >= 0 ? r.l4() : [[], []];
      const rows = index >= 0 ? queueOf(sel.isBid ? bids : asks, sel.isBid, edges, index, r.time, user) : [];
      this.queue.render(sel.isBid, sel.px, rows, agg.nSigFigs !== null);
    }
  }

  private async refreshCoins(): Promise<void> {
    const info = async (payload: object): Promise<unknown> => {
      const res = await fetch(this.urls.info, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      if (!res.ok) throw codedError('INFO_SERVER', `${res.status}`);
      return res.json();
    };
    try {
      const [main, dexes, spot] = await Promise.all([
        info({ type: 'allMids' }),
        info({ type: 'perpDexs' }).catch(() => null),
        info({ type: 'spotMeta' }).catch(() => null),
      ]);
      const mids = [main as Record<string, string>];
      for (const dex of dexNames(dexes)) {
        const m = await info({ type: 'allMids', dex }).catch(() => null);
        if (m !== null && typeof m === 'object') mids.push(m as Record<string, string>);
      }
      this.picker.setCoins(coinList(mids, spotLabels(spot), [this.view.coin]));
    } catch {
      // The server is away or still loading its books: the list is made again on the next open.
    }
  }

  private async refreshHealth(): Promise<void> {
    try {
      const res = await fetch(this.urls.health);
      if (res.ok) this.status.health((await res.json()) as Parameters<StatusView['health']>[0]);
    } catch {
      // Offline: the banner says so.
    }
  }
}
