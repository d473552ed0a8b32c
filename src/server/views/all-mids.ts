/**
 * `allMids`: every coin's mid, per scope (perps and spot together without `dex`; one HIP-3
 * dex with it). The board keeps mids up to date from blocks' best-level changes; a view is
 * re-sent when its scope's version moved.
 */
import type { BooksView } from '../../state/feed.js';
import { dexOf } from '../subscriptions.js';
import { StateView, frameOf, type ViewContext } from './view.js';

/** The scope of perps and spot coins. */
const MAIN = '';

export class MidsBoard {
  private readonly scopes = new Map<string, Map<string, string>>();
  private readonly versions = new Map<string, number>();
  private readonly jsonCache = new Map<string, { version: number; json: string }>();

  /** Recompute every mid (after a snapshot or resync). Bumps every scope. */
  rebuild(books: BooksView): void {
    for (const mids of this.scopes.values()) mids.clear();
    for (const coin of books.coins()) {
      const mid = books.book(coin)?.mid() ?? null;
      if (mid !== null) this.scope(scopeOf(coin)).set(coin, mid);
    }
    for (const scope of this.scopes.keys()) this.bump(scope);
  }

  /** Recompute one coin's mid; returns its scope when the mid changed, else null. */
  update(coin: string, books: BooksView): string | null {
    const mid = books.book(coin)?.mid() ?? null;
    const scope = scopeOf(coin);
    const mids = this.scope(scope);
    if ((mids.get(coin) ?? null) === mid) return null;
    if (mid === null) mids.delete(coin);
    else mids.set(coin, mid);
    this.bump(scope);
    return scope;
  }

  version(scope: string): number {
    return this.versions.get(scope) ?? 0;
  }

  /** The scope's mids as a JSON object, serialized once per version. */
  json(scope: string): string {
    const version = this.version(scope);
    const cached = this.jsonCache.get(scope);
    if (cached !== undefined && cached.version === version) return cached.json;
    const json = JSON.stringify(Object.fromEntries(this.scopes.get(scope) ?? []));
    this.jsonCache.set(scope, { version, json });
    return json;
  }

  private scope(scope: string): Map<string, string> {
    let m = this.scopes.get(scope);
    if (m === undefined) {
      m = new Map();
      this.scopes.set(scope, m);
    }
    return m;
  }

  private bump(scope: string): void {
    this.versions.set(scope, this.version(scope) + 1);
  }
}

export function scopeOf(coin: string): string {
  return dexOf(coin) ?? MAIN;
}

export class AllMidsView extends StateView {
  readonly channel = 'allMids';
  readonly scope: string;
  private version = -1;

  constructor(
    key: string,
    /** As the subscription named it (null: none): echoed in the data only when named. */
    readonly dex: string | null,
    private readonly board: MidsBoard,
  ) {
    super(key);
    this.scope = dex ?? MAIN;
  }

  protected recompute(_ctx: ViewContext): boolean {
    const v = this.board.version(this.scope);
    if (v === this.version) return false;
    this.version = v;
    return true;
  }

  protected build(_ctx: ViewContext): Buffer {
    const mids = this.board.json(this.scope);
    return frameOf('allMids', this.dex === null ? `{"mids":${mids}}` : `{"mids":${mids},"dex":${JSON.stringify(this.dex)}}`);
  }
}
