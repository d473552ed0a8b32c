/**
 * A market maker on the connector: quotes one bid and one ask `--offset-ticks` ticks behind
 * the best level of everyone else (1 by default: one tick off the best), re-quotes when the
 * best level moves, and prints its orders, fills, position and PnL. Ctrl-C cancels every
 * order and waits for the exchange to confirm before it exits.
 *
 *     npm start                                   # the server with the simulated node and its paper exchange
 *     npm run example:market-maker -- BTC         # in another terminal
 *     npm run example:market-maker -- ETH --size 0.01 --offset-ticks 0 --url http://127.0.0.1:8000
 *
 * The key comes from `--key` or `HL_PRIVATE_KEY`; without either a fresh one is made (the
 * paper exchange opens an account for any new signer).
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { HyperliquidMarket, offsetPrice, roundSize, type InFlightOrder, type OrderFill, type PairBook, type TradingRule } from '../src/connector/index.js';
import { formatAmount, toAmount } from '../src/connector/amount.js';
import { randomPrivateKey } from '../src/sign/index.js';

export interface MarketMakerOptions {
  pair: string;
  /** Order size; default: the smallest lot worth at least $12 at the mid. */
  size?: string;
  /** Ticks behind the best level of the others (0: join it; negative: improve it). Default 1. */
  offsetTicks?: number;
  /** Where lines go. Default stdout. */
  print?: (line: string) => void;
}

export interface QuoteSide {
  cloid: string | undefined;
  price: string | undefined;
}

/** Totals the strategy keeps from its fills (exact). */
export interface MakerTotals {
  fills: number;
  bought: string;
  sold: string;
  /** Realized PnL from the fills' `closedPnl`, fees taken off. */
  realizedPnl: string;
  fees: string;
}

/** The best price of the others on a side: the first level whose orders are not all ours. */
export function bestOtherPrice(book: PairBook, side: 'B' | 'A', ours: ReadonlyMap<string, number>): string | undefined {
  const levels = book.l2({ nLevels: 10 })[side === 'B' ? 0 : 1];
  for (const level of levels) {
    if (level.n > (ours.get(`${side}${level.px}`) ?? 0)) return level.px;
  }
  return undefined;
}

export class MarketMaker {
  readonly bid: QuoteSide = { cloid: undefined, price: undefined };
  readonly ask: QuoteSide = { cloid: undefined, price: undefined };
  readonly totals: MakerTotals = { fills: 0, bought: '0.0', sold: '0.0', realizedPnl: '0.0', fees: '0.0' };
  private readonly rule: TradingRule;
  private readonly size: string;
  private readonly offsetTicks: number;
  private readonly print: (line: string) => void;
  private readonly offs: (() => void)[] = [];
  private stopping = false;
  private requoting = false;

  constructor(
    readonly market: HyperliquidMarket,
    readonly options: MarketMakerOptions,
  ) {
    this.rule = market.tradingRule(options.pair);
    this.offsetTicks = options.offsetTicks ?? 1;
    this.print = options.print ?? ((line) => process.stdout.write(line + '\n'));
    this.size = options.size ?? this.defaultSize();
  }

  /** Starts quoting: a re-quote after every change of the book. */
  start(): void {
    const m = this.market;
    const pair = this.options.pair;
    this.offs.push(
      m.orderBookTracker.events.on('change', (c) => {
        if (c.pair === pair) void this.requote();
      }),
      m.events.on('orderCreated', (o) => this.line(o, `created oid ${o.exchangeOrderId}`)),
      m.events.on('orderFilled', (o, f) => this.onFill(o, f)),
      m.events.on('orderCompleted', (o) => this.line(o, `filled ${o.executedAmount} @ ${o.averageExecutedPrice}`)),
      m.events.on('orderCanceled', (o) => this.line(o, `canceled (executed ${o.executedAmount})`)),
      m.events.on('orderFailed', (o, reason) => this.line(o, `failed: ${reason}`)),
    );
    this.print(`quoting ${pair} ${this.size} a side, ${this.offsetTicks} tick(s) off the best level, account ${m.account}`);
    void this.requote();
  }

  /** Stops quoting, cancels everything and waits until the exchange confirmed each order's end. */
  async stop(signal?: AbortSignal): Promise<void> {
    this.stopping = true;
    for (const off of this.offs.splice(0)) off();
    await this.market.cancelAll();
    await this.market.settled(signal);
  }

  /** Places or moves each side to its target; one move at a time per side. */
  async requote(): Promise<void> {
    if (this.stopping || this.requoting) return;
    const book = this.market.orderBookTracker.book(this.options.pair);
    if (!book || !this.market.orderBookTracker.isSynced(this.options.pair)) return;
    this.requoting = true;
    try {
      const ours = new Map<string, number>();
      for (const o of book.ordersOf(this.market.account)) ours.set(`${o.side}${o.limitPx}`, (ours.get(`${o.side}${o.limitPx}`) ?? 0) + 1);
      const bestBid = bestOtherPrice(book, 'B', ours);
      const bestAsk = bestOtherPrice(book, 'A', ours);
      const moves: Promise<void>[] = [];
      if (bestBid) moves.push(this.quote(this.bid, 'buy', offsetPrice(bestBid, this.rule, -this.offsetTicks), bestAsk));
      if (bestAsk) moves.push(this.quote(this.ask, 'sell', offsetPrice(bestAsk, this.rule, this.offsetTicks), bestBid));
      await Promise.all(moves);
    } finally {
      this.requoting = false;
    }
  }

  private async quote(side: QuoteSide, dir: 'buy' | 'sell', target: string, opposite: string | undefined): Promise<void> {
    // A maker quote never crosses: with offset ≤ 0 the target could reach the other side.
    if (opposite !== undefined) {
      const t = toAmount(target);
      const o = toAmount(opposite);
      if ((dir === 'buy' && t >= o) || (dir === 'sell' && t <= o)) return;
    }
    const current = side.cloid ? this.market.inFlightOrders.get(side.cloid) : undefined;
    if (current && !current.isDone) {
      if (side.price === target || current.state === 'pendingCancel' || current.state === 'pendingCreate') return;
      await this.market.cancel(this.options.pair, current.clientOrderId);
      return; // the next change places the new quote once this one has ended
    }
    if (this.stopping) return;
    side.price = target;
    side.cloid =
      dir === 'buy'
        ? this.market.buy(this.options.pair, this.size, { type: 'limitMaker', price: target })
        : this.market.sell(this.options.pair, this.size, { type: 'limitMaker', price: target });
  }

  private onFill(o: InFlightOrder, f: OrderFill): void {
    const t = this.totals;
    t.fills++;
    if (o.side === 'buy') t.bought = formatAmount(toAmount(t.bought) + toAmount(f.sz));
    else t.sold = formatAmount(toAmount(t.sold) + toAmount(f.sz));
    t.fees = formatAmount(toAmount(t.fees) + toAmount(f.fee));
    this.line(o, `fill ${f.sz} @ ${f.px} fee ${f.fee} (tid ${f.tid})`);
    void this.report();
  }

  /** Realized PnL needs each fill's closedPnl, which the stream's fill carries: kept by the caller that has it. */
  addClosedPnl(closedPnl: string): void {
    this.totals.realizedPnl = formatAmount(toAmount(this.totals.realizedPnl) + toAmount(closedPnl));
  }

  /** Prints the position and PnL from the exchange (`clearinghouseState`). */
  async report(): Promise<void> {
    try {
      const positions = await this.market.positions();
      const p = positions.find((x) => x.pair === this.options.pair);
      const t = this.totals;
      const realized = formatAmount(toAmount(t.realizedPnl) - toAmount(t.fees));
      this.print(
        `position ${p?.size ?? '0.0'} @ ${p?.entryPrice ?? '-'}  unrealized ${p?.unrealizedPnl ?? '0.0'}  realized ${realized} (fees ${t.fees})  fills ${t.fills} bought ${t.bought} sold ${t.sold}`,
      );
    } catch (error) {
      this.print(`position: unavailable (${(error as Error).message})`);
    }
  }

  private line(o: InFlightOrder, what: string): void {
    if (o.pair !== this.options.pair) return;
    this.print(`${o.side === 'buy' ? 'BID' : 'ASK'} ${o.amount} @ ${o.price} ${o.clientOrderId.slice(0, 10)}… ${what}`);
  }

  private defaultSize(): string {
    const book = this.market.getOrderBook(this.options.pair);
    const mid = book.mid();
    if (!mid) return this.rule.lotSize;
    const lot = toAmount(this.rule.lotSize);
    // Smallest lot multiple worth at least $12 (the exchange's minimum is $10).
    const want = (12n * 100_000_000n * 100_000_000n) / toAmount(mid.slice(0, mid.indexOf('.') + 9));
    const lots = want / lot + 1n;
    return roundSize(formatAmount(lots * lot), this.rule);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8000' },
      key: { type: 'string' },
      size: { type: 'string' },
      'offset-ticks': { type: 'string', default: '1' },
      duration: { type: 'string' },
      mainnet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: market-maker [PAIR] [--url http://127.0.0.1:8000] [--key 0x…] [--size SZ] [--offset-ticks N] [--duration S] [--mainnet]\n');
    return;
  }
  const pair = positionals[0] ?? 'BTC';
  const privateKey = values.key ?? process.env.HL_PRIVATE_KEY ?? randomPrivateKey();
  let market: HyperliquidMarket;
  try {
    market = await HyperliquidMarket.create({ url: values.url, privateKey, pairs: [pair], isMainnet: values.mainnet });
  } catch (error) {
    process.stderr.write(`cannot start on ${values.url}: ${(error as Error).message}\n(is the server running? npm start)\n`);
    process.exitCode = 1;
    return;
  }
  const maker = new MarketMaker(market, { pair, size: values.size, offsetTicks: Number(values['offset-ticks']) });
  market.userStreamTracker.events.on('fill', (f) => {
    if (f.coin === pair && market.inFlightOrders.has((f.cloid ?? '').toLowerCase())) maker.addClosedPnl(f.closedPnl);
  });
  maker.start();
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${why}: canceling every order…\n`);
    const deadline = AbortSignal.timeout(15_000);
    try {
      await maker.stop(deadline);
      process.stdout.write(`all orders ended (${market.inFlightOrders.size} placed this session)\n`);
    } catch {
      process.stdout.write(
        `not every order confirmed within 15 s: ${market
          .openOrders()
          .map((o) => o.clientOrderId)
          .join(', ')}\n`,
      );
      process.exitCode = 1;
    }
    await maker.report();
    await market.close();
  };
  process.once('SIGINT', () => void stop('Ctrl-C'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  if (values.duration !== undefined) setTimeout(() => void stop(`${values.duration} s elapsed`), Number(values.duration) * 1000).unref();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
