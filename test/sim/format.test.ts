/**
 * The simulator's files against the real node's lines in test/fixtures: same envelope, same
 * field names in the same order, same value types per event kind; times, numbers, ids and
 * the hourly layout in the node's forms; prices valid on Hyperliquid.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STREAM_PREFIXES as STREAMS } from '../../src/node/format.js';
import type { CoinSpec } from '../../src/sim/market.js';
import { startSimulator } from '../../src/sim/simulator.js';
import { EARLY_FIXTURE, MAIN_FIXTURE, envelopes, tempDir, type Envelope } from './helpers.js';

/** Field path → set of JSON types seen, plus the key order of every object seen. */
class Shapes {
  readonly types = new Map<string, Set<string>>();
  readonly keyOrders = new Map<string, Set<string>>();
  add(value: unknown, path = '$'): void {
    const t = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    let set = this.types.get(path);
    if (!set) this.types.set(path, (set = new Set()));
    set.add(t);
    if (t === 'object') {
      const obj = value as Record<string, unknown>;
      let orders = this.keyOrders.get(path);
      if (!orders) this.keyOrders.set(path, (orders = new Set()));
      orders.add(Object.keys(obj).join(','));
      for (const [k, v] of Object.entries(obj)) this.add(v, `${path}.${k}`);
    } else if (t === 'array' && path.endsWith('[pair]')) {
      (value as unknown[]).forEach((v, i) => this.add(v, `${path}.${i}`));
    }
  }
}

type Kind = 'envelope' | 'status' | 'diff.new' | 'diff.update' | 'diff.remove' | 'fill';

function kindsOf(stream: string, env: Envelope, into: Map<Kind, Shapes>): void {
  const shapes = (k: Kind): Shapes => {
    let s = into.get(k);
    if (!s) into.set(k, (s = new Shapes()));
    return s;
  };
  shapes('envelope').add({ ...env, events: [] });
  for (const e of env.events) {
    if (stream === 'node_order_statuses') shapes('status').add(e);
    else if (stream === 'node_raw_book_diffs') {
      const raw = (e as { raw_book_diff: unknown }).raw_book_diff;
      shapes(raw === 'remove' ? 'diff.remove' : (`diff.${Object.keys(raw as object)[0]}` as Kind)).add(e);
    } else shapes('fill').add(e, '$[pair]');
  }
}

async function shapesOf(dataDir: string): Promise<{ shapes: Map<Kind, Shapes>; lines: Record<string, Envelope[]> }> {
  const shapes = new Map<Kind, Shapes>();
  const lines: Record<string, Envelope[]> = {};
  for (const stream of STREAMS) {
    lines[stream] = await envelopes(dataDir, stream);
    for (const env of lines[stream]) kindsOf(stream, env, shapes);
  }
  return { shapes, lines };
}

const NODE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}$/;
const DECIMAL = /^-?\d+\.(0|\d*[1-9])$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;
const HASH = /^0x[0-9a-f]{64}$/;
const CLOID = /^0x[0-9a-f]{32}$/;

/** Valid on Hyperliquid: at most 5 significant figures (integers always ok), decimals capped. */
function validPx(px: string, coin: CoinSpec): boolean {
  const [int, frac = ''] = px.split('.');
  const decimals = frac === '0' ? 0 : frac.length;
  const maxDecimals = (coin.kind === 'spot' ? 8 : 6) - coin.szDecimals;
  if (decimals > maxDecimals) return false;
  if (decimals === 0) return true;
  const digits = (int === '0' ? '' : int!) + frac;
  return digits.replace(/^0+/, '').length <= 5;
}

function validSz(sz: string, coin: CoinSpec): boolean {
  const frac = sz.split('.')[1]!;
  return frac === '0' || frac.length <= coin.szDecimals;
}

describe('simulated files have the real node format', () => {
  let dir: string;
  let coins: readonly CoinSpec[];
  let real: Map<Kind, Shapes>;
  let sim: Map<Kind, Shapes>;
  let lines: Record<string, Envelope[]>;

  beforeAll(async () => {
    real = new Map();
    for (const fixture of [MAIN_FIXTURE, EARLY_FIXTURE]) {
      for (const [k, v] of (await shapesOf(join(fixture, 'hl', 'data'))).shapes) {
        const into = real.get(k) ?? new Shapes();
        for (const [p, t] of v.types) for (const x of t) (into.types.get(p) ?? into.types.set(p, new Set()).get(p)!).add(x);
        for (const [p, o] of v.keyOrders) for (const x of o) (into.keyOrders.get(p) ?? into.keyOrders.set(p, new Set()).get(p)!).add(x);
        real.set(k, into);
      }
    }
    // Today's `new` form, which the recorded fixtures predate: node-data.md's example line
    // (`{"new":{"sz":"1.5","insertBefore":405401002864}}`, ALO priority since July 2026).
    real.get('diff.new')!.add({
      user: '0x5eaac7c475b1fad85701f02c4e9e796a53f94bd5',
      oid: 405401002900,
      coin: 'BTC',
      side: 'B',
      px: '76471.0',
      raw_book_diff: { new: { sz: '1.5', insertBefore: 405401002864 } },
    });
    dir = tempDir();
    const running = await startSimulator({
      dataDir: dir,
      infoPort: 0,
      speed: 'max',
      maxBlocks: 90,
      profile: 'mainnet',
      seed: 7,
      restingOrders: 5000,
      startTime: '2026-03-08T09:59:57',
    });
    coins = running.coins;
    await running.done;
    await running.stop();
    ({ shapes: sim, lines } = await shapesOf(dir));
  });

  it('uses every event kind of the real data, with the same key order and value types', () => {
    for (const kind of ['envelope', 'status', 'diff.new', 'diff.update', 'diff.remove', 'fill'] as Kind[]) {
      const want = real.get(kind)!;
      const got = sim.get(kind);
      expect(got, kind).toBeDefined();
      for (const [path, orders] of got!.keyOrders) {
        for (const order of orders) expect(want.keyOrders.get(path), `${kind} ${path}`).toContain(order);
      }
      for (const [path, types] of got!.types) {
        for (const t of types) expect(want.types.get(path), `${kind} ${path}`).toContain(t);
      }
      // Every field the real lines carry appears in ours, optional ones included.
      for (const path of want.types.keys()) expect(got!.types.has(path), `${kind} ${path}`).toBe(true);
    }
    // Both forms of `new`: at the back, and ahead of a resting order.
    expect([...sim.get('diff.new')!.keyOrders.get('$.raw_book_diff.new')!].sort()).toEqual(['sz', 'sz,insertBefore']);
  });

  it('writes every kind of status a node writes, trigger orders included', () => {
    const statuses = lines.node_order_statuses!.flatMap((e) => e.events) as { status: string; hash: string | null; order: Record<string, unknown> }[];
    const names = new Set(statuses.map((s) => s.status));
    for (const s of [
      'open',
      'canceled',
      'filled',
      'triggered',
      'badAloPxRejected',
      'perpMarginRejected',
      'iocCancelRejected',
      'reduceOnlyRejected',
      'minTradeNtlRejected',
    ])
      expect(names).toContain(s);
    const rejected = statuses.filter((s) => s.status.endsWith('Rejected')).length / statuses.length;
    expect(rejected).toBeGreaterThan(0.9);
    const untriggered = statuses.filter((s) => s.status === 'open' && s.order.isTrigger === true);
    expect(untriggered.length).toBeGreaterThan(0);
    for (const s of untriggered) {
      expect(s.order.tif).toBeNull();
      expect(s.order.triggerCondition).toMatch(/^Price (above|below) \d+(\.\d+)?$/);
      expect(s.order.orderType).toMatch(/^(Stop|Take Profit) (Market|Limit)$/);
    }
    // The hash is only on the status that starts an action.
    for (const s of statuses) if (s.hash !== null) expect(s.status).toBe('open');
  });

  it('writes times, numbers, ids and addresses in the node forms, prices valid for each coin', () => {
    const bySpec = new Map(coins.map((c) => [c.name, c]));
    // Collected, then asserted once: an expect per field of 100,000 events would be slow.
    const bad: string[] = [];
    const check = (ok: boolean, what: string): void => {
      if (!ok && bad.length < 20) bad.push(what);
    };
    for (const stream of STREAMS) {
      for (const env of lines[stream]!) check(NODE_TIME.test(env.local_time) && NODE_TIME.test(env.block_time), `${stream} ${env.block_number} times`);
    }
    for (const env of lines.node_order_statuses!) {
      for (const e of env.events as { time: string; user: string; order: Record<string, string | number | boolean | null> }[]) {
        const o = e.order;
        const coin = bySpec.get(o.coin as string);
        const what = JSON.stringify(e);
        check(e.time === env.block_time && ADDRESS.test(e.user) && coin !== undefined, what);
        if (!coin) continue;
        check(validPx(o.limitPx as string, coin) && (o.triggerPx === '0.0' || validPx(o.triggerPx as string, coin)), `px ${what}`);
        check(DECIMAL.test(o.sz as string) && validSz(o.origSz as string, coin) && validSz(o.sz as string, coin), `sz ${what}`);
        check((o.oid as number) > 2 ** 32 && Number.isSafeInteger(o.oid) && Number.isSafeInteger(o.timestamp), `ids ${what}`);
        check(o.cloid === null || CLOID.test(o.cloid as string), `cloid ${what}`);
      }
    }
    for (const env of lines.node_raw_book_diffs!) {
      for (const e of env.events as { user: string; coin: string; px: string; side: string }[]) {
        const coin = bySpec.get(e.coin);
        check(ADDRESS.test(e.user) && (e.side === 'B' || e.side === 'A') && coin !== undefined && validPx(e.px, coin), JSON.stringify(e));
      }
    }
    for (const env of lines.node_fills!) {
      for (const [user, f] of env.events as [string, Record<string, string | number | boolean | null>][]) {
        const what = JSON.stringify(f);
        check(
          ADDRESS.test(user) && HASH.test(f.hash as string) && Number.isSafeInteger(f.tid) && f.time === Date.parse(env.block_time.slice(0, 23) + 'Z'),
          what,
        );
        for (const k of ['px', 'sz', 'startPosition', 'closedPnl', 'fee']) check(DECIMAL.test(f[k] as string), `${k} ${what}`);
        check(validSz(f.sz as string, bySpec.get(f.coin as string)!), `sz ${what}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('covers prices of every magnitude and the three kinds of coins', () => {
    const pxs = new Set(lines.node_raw_book_diffs!.flatMap((e) => (e.events as { coin: string; px: string }[]).map((d) => `${d.coin} ${d.px}`)));
    const has = (re: RegExp): boolean => [...pxs].some((p) => re.test(p));
    expect(has(/^BTC \d{5,6}\.0$/)).toBe(true);
    expect(has(/^ETH \d{4}\.\d$/)).toBe(true);
    expect(has(/^PURR\/USDC 0\.\d+$/)).toBe(true);
    expect(has(/^@107 \d+\.\d+$/)).toBe(true);
    expect(has(/^@151 0\.0000\d+$/)).toBe(true);
    expect(has(/^xyz:ABC \d+\.\d+$/)).toBe(true);
  });

  it('writes one line per block in each stream, empty blocks as "events":[], in unpadded hourly files', () => {
    const heights = lines.node_order_statuses!.map((e) => e.block_number);
    expect(heights).toHaveLength(90);
    for (const stream of STREAMS) expect(lines[stream]!.map((e) => e.block_number)).toEqual(heights);
    expect(lines.node_fills!.some((e) => e.events.length === 0)).toBe(true);
    for (const stream of STREAMS) {
      expect(readdirSync(join(dir, `${stream}_by_block`, 'hourly', '20260308')).sort()).toEqual(['10', '9']);
      expect(existsSync(join(dir, `${stream}_streaming`))).toBe(false);
    }
  });
});
