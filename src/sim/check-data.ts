/**
 * `check-data`: checks node output (real or simulated) against the invariants a real node
 * keeps, block by block:
 * - every `new` diff has an `open` or `triggered` status for its oid in its block, or is a
 *   statusless order on a spot coin (special spot addresses);
 * - an `update`'s `origSz` equals the order's current size; an `update` or `remove` names a
 *   resting order (with its coin, side and price);
 * - a `new` with `insertBefore` (ALO priority) names an order resting at that very level
 *   (same coin, side and price), not the order itself;
 * - fills pair by `tid`: two per trade, same coin, price and size, one buyer and one seller,
 *   exactly one `crossed:true`;
 * - a `…Rejected` status produces no diff for its order in its block;
 * - heights are consecutive in every stream, and the three streams hold the same blocks.
 *
 * Without a snapshot, orders resting before the first block are unknown: an `update` or
 * `remove` of an oid never seen is accepted (and learnt). With the snapshot the data starts
 * from, every oid must be known.
 */
import { resolve } from 'node:path';
import type { L4SnapshotFile } from '../book/events.js';
import { STREAM_PREFIXES as STREAMS, type StreamPrefix as StreamName } from '../node/format.js';
import { canonicalDecimal } from '../book/decimal.js';
import { readSnapshotFile } from './snapshot-file.js';
import { resolveDataDir, streamLines, type FileLine } from './node-files.js';

export interface Violation {
  file: string;
  /** 1-based line in `file`. */
  line: number;
  /** Block height, when known. */
  height?: number;
  message: string;
}

/** A resting order as the checker tracks it. */
export interface TrackedOrder {
  coin: string;
  side: string;
  px: string;
  /** Current size, canonical decimal. */
  sz: string;
}

export interface CheckReport {
  dataDir: string;
  blocks: number;
  firstHeight: number | null;
  lastHeight: number | null;
  statuses: number;
  diffs: number;
  fills: number;
  /** The first `maxViolations` violations, in data order. */
  violations: Violation[];
  /** All violations found (may exceed `violations.length`). */
  violationCount: number;
  /** Orders resting after the last block, as far as the checker knows them. */
  restingOrders: number;
}

export interface CheckOptions {
  /** The L4 snapshot the data starts from (path, `.gz` ok, or parsed). */
  snapshot?: string | L4SnapshotFile;
  /** Violations kept in the report. Default 20. */
  maxViolations?: number;
  /** Stop after this many blocks (checked ones, above the snapshot). Default: all. */
  maxBlocks?: number;
  signal?: AbortSignal;
}

/** One stream's line of a block, parsed. */
export interface BlockPart {
  file: string;
  line: number;
  height: number;
  blockTime: string;
  events: unknown[];
}

type Rec = Record<string, unknown>;

function isRec(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const SPOT = /^@\d+$|\//;
/** Removed oids remembered without a snapshot, to catch a later reference to them. */
const GONE_MEMORY = 1_000_000;

/**
 * The invariants, applied block by block (pure: no I/O). Feed it the three parts of each
 * block in height order.
 */
export class DataChecker {
  readonly resting = new Map<number, TrackedOrder>();
  private readonly gone = new Set<number>();
  /** The oids of `gone` in the order they left (a ring: the oldest is forgotten first). */
  private readonly goneRing = new Float64Array(GONE_MEMORY);
  private goneNext = 0;
  private readonly known: boolean;
  /** Height of the snapshot, or null. */
  readonly snapshotHeight: number | null;
  violations: Violation[] = [];
  violationCount = 0;

  constructor(
    snapshot?: L4SnapshotFile,
    private readonly maxViolations = 20,
  ) {
    this.known = snapshot !== undefined;
    this.snapshotHeight = snapshot ? snapshot[0] : null;
    if (snapshot) {
      for (const [coin, sides] of snapshot[1]) {
        for (const side of sides) {
          for (const [, o] of side) {
            if (o.isTrigger) continue; // untriggered trigger orders do not rest
            this.resting.set(o.oid, { coin, side: o.side, px: canonicalDecimal(o.limitPx), sz: canonicalDecimal(o.sz) });
          }
        }
      }
    }
  }

  report(file: string, line: number, height: number | undefined, message: string): void {
    this.violationCount++;
    if (this.violations.length < this.maxViolations) this.violations.push(height === undefined ? { file, line, message } : { file, line, height, message });
  }

  private forget(oid: number): void {
    this.resting.delete(oid);
    if (this.known) return;
    // A ring rather than deleting the Set's first entry: a Set keeps holes where entries were
    // deleted, so finding its first live entry would get slower and slower.
    const slot = this.goneNext % GONE_MEMORY;
    if (this.goneNext >= GONE_MEMORY) this.gone.delete(this.goneRing[slot]!);
    this.goneRing[slot] = oid;
    this.goneNext++;
    this.gone.add(oid);
  }

  /** Check one block given its three parts (statuses, diffs, fills). */
  checkBlock(height: number, statuses: BlockPart, diffs: BlockPart, fills: BlockPart): void {
    const block = this.blockStatuses(statuses, (msg) => this.report(statuses.file, statuses.line, height, msg));
    const dv = (msg: string): void => this.report(diffs.file, diffs.line, height, msg);
    for (let i = 0; i < diffs.events.length; i++) this.checkDiff(diffs.events[i], i, block, dv);
    checkFills(fills, (msg) => this.report(fills.file, fills.line, height, msg));
  }

  /** The block's statuses by oid, and the oids a `…Rejected` status names. */
  private blockStatuses(statuses: BlockPart, v: (m: string) => void): BlockStatuses {
    const byOid = new Map<number, Rec[]>();
    const rejected = new Map<number, string>();
    for (let i = 0; i < statuses.events.length; i++) {
      const e = statuses.events[i];
      const order = isRec(e) ? e.order : undefined;
      if (!isRec(e) || typeof e.status !== 'string' || !isRec(order) || !Number.isSafeInteger(order.oid) || typeof order.coin !== 'string') {
        v(`status event ${i} is not {status, order:{oid, coin, …}}: ${JSON.stringify(e).slice(0, 200)}`);
        continue;
      }
      const oid = order.oid as number;
      let list = byOid.get(oid);
      if (!list) byOid.set(oid, (list = []));
      list.push(e);
      if (e.status.endsWith('Rejected')) rejected.set(oid, e.status);
    }
    return { byOid, rejected };
  }

  private checkDiff(e: unknown, i: number, block: BlockStatuses, v: (m: string) => void): void {
    if (!isRec(e) || !Number.isSafeInteger(e.oid) || typeof e.coin !== 'string' || typeof e.side !== 'string' || typeof e.px !== 'string') {
      v(`diff event ${i} is not {user, oid, coin, side, px, raw_book_diff}: ${JSON.stringify(e).slice(0, 200)}`);
      return;
    }
    const oid = e.oid as number;
    let px: string;
    try {
      px = canonicalDecimal(e.px);
    } catch {
      v(`diff for oid ${oid}: px ${JSON.stringify(e.px)} is not a decimal`);
      return;
    }
    const d: Diff = { oid, coin: e.coin, side: e.side, px };
    const raw = e.raw_book_diff;
    const rej = block.rejected.get(oid);
    if (rej !== undefined) v(`diff for oid ${oid} (${d.coin}) but its status in this block is ${rej}: rejected orders produce no diffs`);
    if (isRec(raw) && isRec(raw.new)) this.checkNew(d, raw.new, block.byOid.get(oid), v);
    else if (isRec(raw) && isRec(raw.update)) this.checkUpdate(d, raw.update, v);
    else if (raw === 'remove') this.checkRemove(d, v);
    else v(`diff for oid ${oid}: raw_book_diff ${JSON.stringify(raw).slice(0, 100)} is none of new, update, remove`);
  }

  /** A `new` diff: placed by an `open` or `triggered` status of its block (or statusless on spot), not resting yet. */
  private checkNew(d: Diff, n: Rec, statuses: Rec[] | undefined, v: (m: string) => void): void {
    const { oid, coin, side, px } = d;
    const sz = n.sz;
    if (typeof sz !== 'string') {
      v(`new diff for oid ${oid}: sz is not a string`);
      return;
    }
    if (statuses === undefined) {
      if (!SPOT.test(coin))
        v(`new diff for oid ${oid} (${coin}) has no open or triggered status in its block (statusless new diffs exist only for spot coins)`);
    } else checkPlacing(d, statuses, v);
    if (this.resting.has(oid)) v(`new diff for oid ${oid} (${coin}) but that order already rests`);
    this.checkInsertBefore(v, oid, n.insertBefore, coin, side, px);
    let szc: string;
    try {
      szc = canonicalDecimal(sz);
    } catch {
      v(`new diff for oid ${oid}: sz ${JSON.stringify(sz)} is not a decimal`);
      return;
    }
    this.resting.set(oid, { coin, side, px, sz: szc });
    this.gone.delete(oid);
  }

  /** An `update` diff: its `origSz` is the order's current size. */
  private checkUpdate(d: Diff, u: Rec, v: (m: string) => void): void {
    const { oid, coin, side, px } = d;
    const { origSz, newSz } = u;
    if (typeof origSz !== 'string' || typeof newSz !== 'string') {
      v(`update diff for oid ${oid}: origSz and newSz must be strings`);
      return;
    }
    let from: string;
    let to: string;
    try {
      from = canonicalDecimal(origSz);
      to = canonicalDecimal(newSz);
    } catch {
      v(`update diff for oid ${oid}: sizes ${JSON.stringify(origSz)} → ${JSON.stringify(newSz)} are not decimals`);
      return;
    }
    const current = this.resting.get(oid);
    if (!current) {
      if (this.known || this.gone.has(oid)) v(`update diff for oid ${oid} (${coin}) names no resting order`);
      this.resting.set(oid, { coin, side, px, sz: to });
      return;
    }
    this.checkSame(v, 'update', oid, current, coin, side, px);
    if (current.sz !== from) v(`update diff for oid ${oid} (${coin}): origSz ${origSz} but the order rests with ${current.sz}`);
    current.sz = to;
  }

  private checkRemove(d: Diff, v: (m: string) => void): void {
    const { oid, coin, side, px } = d;
    const current = this.resting.get(oid);
    if (!current) {
      if (this.known || this.gone.has(oid)) v(`remove diff for oid ${oid} (${coin}) names no resting order`);
    } else this.checkSame(v, 'remove', oid, current, coin, side, px);
    this.forget(oid);
  }

  /** `insertBefore` absent or null (the back), or an oid resting at the new order's level. */
  private checkInsertBefore(v: (m: string) => void, oid: number, ib: unknown, coin: string, side: string, px: string): void {
    if (ib === undefined || ib === null) return;
    if (typeof ib !== 'number' || !Number.isSafeInteger(ib)) {
      v(`new diff for oid ${oid} (${coin}): insertBefore ${JSON.stringify(ib)} is not an oid`);
      return;
    }
    if (ib === oid) {
      v(`new diff for oid ${oid} (${coin}): insertBefore names the order itself`);
      return;
    }
    const target = this.resting.get(ib);
    if (target === undefined) {
      // Without a snapshot, an order resting before the first block is unknown: accepted.
      if (this.known || this.gone.has(ib)) v(`new diff for oid ${oid} (${coin} ${side} ${px}): insertBefore ${ib} names no resting order`);
      return;
    }
    if (target.coin !== coin || target.side !== side || target.px !== px) {
      v(`new diff for oid ${oid} (${coin} ${side} ${px}): insertBefore ${ib} rests as ${target.coin} ${target.side} ${target.px}, not at that level`);
    }
  }

  private checkSame(v: (m: string) => void, kind: string, oid: number, o: TrackedOrder, coin: string, side: string, px: string): void {
    if (o.coin !== coin || o.side !== side || o.px !== px)
      v(`${kind} diff for oid ${oid} says ${coin} ${side} ${px} but the order rests as ${o.coin} ${o.side} ${o.px}`);
  }
}

/** A block's statuses as the diff checks read them. */
interface BlockStatuses {
  byOid: Map<number, Rec[]>;
  /** oid → the `…Rejected` status it got in this block. */
  rejected: Map<number, string>;
}

/** The fields of a diff every kind names (`px` canonical). */
interface Diff {
  oid: number;
  coin: string;
  side: string;
  px: string;
}

/** A `new` diff's statuses in its block: one of them places it (`open` or `triggered`), on its coin and side, and it can rest. */
function checkPlacing(d: Diff, statuses: Rec[], v: (m: string) => void): void {
  const { oid, coin, side } = d;
  const placing = statuses.find((s) => s.status === 'open' || s.status === 'triggered');
  if (!placing) {
    v(
      `new diff for oid ${oid} (${coin}) but its statuses in this block are ${statuses.map((s) => s.status).join(', ')}: an order rests only after open or triggered`,
    );
    return;
  }
  const o = placing.order as Rec;
  if (o.coin !== coin || o.side !== side)
    v(`new diff for oid ${oid} is ${coin} ${side} but its ${placing.status} status says ${String(o.coin)} ${String(o.side)}`);
  if (placing.status === 'open' && !statuses.some((s) => s.status === 'triggered')) {
    if (o.isTrigger === true) v(`new diff for oid ${oid} (${coin}): an untriggered trigger order (open, isTrigger:true) cannot rest`);
    else if (o.tif === 'Ioc') v(`new diff for oid ${oid} (${coin}): an Ioc order cannot rest`);
  }
}

/** Fills pair by tid: two per trade, same coin, price and size, one buyer and one seller, exactly one taker. */
function checkFills(fills: BlockPart, v: (m: string) => void): void {
  const byTid = new Map<number, Rec[]>();
  for (let i = 0; i < fills.events.length; i++) {
    const e = fills.events[i];
    const f = Array.isArray(e) ? e[1] : undefined;
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || !isRec(f) || !Number.isSafeInteger(f.tid)) {
      v(`fill event ${i} is not [user, {…, tid}]: ${JSON.stringify(e).slice(0, 200)}`);
      continue;
    }
    let list = byTid.get(f.tid as number);
    if (!list) byTid.set(f.tid as number, (list = []));
    list.push(f);
  }
  for (const [tid, list] of byTid) {
    if (list.length !== 2) {
      v(`tid ${tid} has ${list.length} fill(s) in this block: a trade has exactly two`);
      continue;
    }
    const [a, b] = list as [Rec, Rec];
    if (a.coin !== b.coin || a.px !== b.px || a.sz !== b.sz)
      v(`fills of tid ${tid} differ: ${String(a.coin)} ${String(a.sz)}@${String(a.px)} vs ${String(b.coin)} ${String(b.sz)}@${String(b.px)}`);
    if (!((a.side === 'B' && b.side === 'A') || (a.side === 'A' && b.side === 'B')))
      v(`fills of tid ${tid} are not one buyer and one seller (${String(a.side)}, ${String(b.side)})`);
    if ((a.crossed === true ? 1 : 0) + (b.crossed === true ? 1 : 0) !== 1) v(`fills of tid ${tid}: exactly one must be the taker (crossed:true)`);
  }
}

/** Parse one line into a block part, or report why not. */
export function parseBlockLine(fl: FileLine, checker: DataChecker): BlockPart | undefined {
  let v: unknown;
  try {
    v = JSON.parse(fl.text);
  } catch {
    checker.report(fl.file, fl.line, undefined, `not JSON (${fl.text.length} chars): ${fl.text.slice(0, 80)}`);
    return undefined;
  }
  if (!isRec(v) || typeof v.local_time !== 'string' || typeof v.block_time !== 'string' || !Number.isSafeInteger(v.block_number) || !Array.isArray(v.events)) {
    checker.report(fl.file, fl.line, undefined, 'not a block line {local_time, block_time, block_number, events:[…]}');
    return undefined;
  }
  return { file: fl.file, line: fl.line, height: v.block_number as number, blockTime: v.block_time, events: v.events };
}

/** Check a node data directory (`dir`, or `dir/hl/data`). */
export async function checkNodeData(dir: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const dataDir = await resolveDataDir(resolve(dir));
  const snapshot = typeof opts.snapshot === 'string' ? await readSnapshotFile(opts.snapshot) : opts.snapshot;
  const checker = new DataChecker(snapshot, opts.maxViolations ?? 20);
  const report: CheckReport = {
    dataDir,
    blocks: 0,
    firstHeight: null,
    lastHeight: null,
    statuses: 0,
    diffs: 0,
    fills: 0,
    violations: [],
    violationCount: 0,
    restingOrders: 0,
  };
  const iters = STREAMS.map((s) => streamLines(dataDir, s)[Symbol.asyncIterator]());
  const heads: (BlockPart | null | undefined)[] = [undefined, undefined, undefined];
  const last: (BlockPart | undefined)[] = [undefined, undefined, undefined];
  const next = async (i: number): Promise<BlockPart | null> => {
    for (;;) {
      const r = await iters[i]!.next();
      if (r.done) return null;
      const part = parseBlockLine(r.value, checker);
      if (part) return part;
    }
  };
  let prevHeight: number | null = null;
  try {
    for (;;) {
      if (opts.signal?.aborted) break;
      for (let i = 0; i < 3; i++) if (heads[i] === undefined) heads[i] = await next(i);
      const live = heads.filter((h): h is BlockPart => h !== null && h !== undefined);
      if (live.length === 0) break;
      const height = Math.min(...live.map((h) => h.height));
      const parts: (BlockPart | undefined)[] = [undefined, undefined, undefined];
      for (let i = 0; i < 3; i++) {
        const h = heads[i];
        const name: StreamName = STREAMS[i]!;
        if (h && h.height === height) {
          const p = last[i];
          if (p && h.height !== p.height + 1) {
            checker.report(
              h.file,
              h.line,
              h.height,
              h.height <= p.height
                ? `${name}: height ${h.height} after ${p.height} (not increasing)`
                : `${name}: height ${h.height} after ${p.height}: ${h.height - p.height - 1} block(s) missing`,
            );
          }
          parts[i] = h;
          last[i] = h;
          heads[i] = undefined;
        } else {
          const other = live.find((x) => x.height === height)!;
          checker.report(other.file, other.line, height, `block ${height} has no line in ${name}_by_block`);
        }
      }
      const [s, d, f] = parts;
      if (s && d && f) {
        if (s.blockTime !== d.blockTime || s.blockTime !== f.blockTime)
          checker.report(s.file, s.line, height, `block ${height}: block_time differs between streams (${s.blockTime}, ${d.blockTime}, ${f.blockTime})`);
      }
      if (checker.snapshotHeight !== null && height <= checker.snapshotHeight) continue;
      if (checker.snapshotHeight !== null && prevHeight === null && height !== checker.snapshotHeight + 1) {
        const at = (s ?? d ?? f)!;
        checker.report(
          at.file,
          at.line,
          height,
          `data resumes at block ${height} but the snapshot is at ${checker.snapshotHeight}: blocks ${checker.snapshotHeight + 1}..${height - 1} are missing`,
        );
      }
      prevHeight = height;
      report.firstHeight ??= height;
      report.lastHeight = height;
      report.blocks++;
      if (s && d && f) {
        report.statuses += s.events.length;
        report.diffs += d.events.length;
        report.fills += f.events.length;
        checker.checkBlock(height, s, d, f);
      }
      if (opts.maxBlocks !== undefined && report.blocks >= opts.maxBlocks) break;
    }
  } finally {
    await Promise.all(iters.map((it) => it.return?.(undefined)));
  }
  report.violations = checker.violations;
  report.violationCount = checker.violationCount;
  report.restingOrders = checker.resting.size;
  return report;
}
