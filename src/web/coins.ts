/**
 * The coin picker's list: every coin the server has a mid for (`allMids`, perps and spot,
 * then each HIP-3 dex's `allMids`), named as the node names them, with spot pairs' readable
 * names (`@107` → `HYPE/USDC`) when the node's `spotMeta` says, and a search over both.
 */

export type CoinKind = 'perp' | 'spot' | 'hip3';

export interface CoinEntry {
  /** As the server and the node name it: `BTC`, `@107`, `PURR/USDC`, `xyz:ABC`. */
  name: string;
  kind: CoinKind;
  /** A spot pair's `BASE/QUOTE` when the name does not say it (`@107`). */
  label: string | null;
  mid: string | null;
}

export function kindOf(coin: string): CoinKind {
  if (coin.startsWith('@') || coin.includes('/')) return 'spot';
  if (coin.includes(':')) return 'hip3';
  return 'perp';
}

const KIND_ORDER: Record<CoinKind, number> = { perp: 0, spot: 1, hip3: 2 };

/** `@107` sorts as 107 among spot pairs, not as text. */
function numericPart(name: string): number {
  const m = /^@(\d+)$/.exec(name);
  return m ? Number(m[1]) : -1;
}

export function compareCoins(a: CoinEntry, b: CoinEntry): number {
  const k = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (k !== 0) return k;
  const na = numericPart(a.name);
  const nb = numericPart(b.name);
  if (na >= 0 && nb >= 0) return na - nb;
  if (na >= 0 !== nb >= 0) return na >= 0 ? 1 : -1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Spot pair names from a `spotMeta` answer: `@107` → `HYPE/USDC`. Anything malformed is skipped. */
export function spotLabels(spotMeta: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof spotMeta !== 'object' || spotMeta === null) return out;
  const { universe, tokens } = spotMeta as { universe?: unknown; tokens?: unknown };
  if (!Array.isArray(universe) || !Array.isArray(tokens)) return out;
  const tokenName = new Map<number, string>();
  for (const t of tokens as unknown[]) {
    const tt = t as { index?: unknown; name?: unknown } | null;
    if (typeof tt?.index === 'number' && typeof tt.name === 'string') tokenName.set(tt.index, tt.name);
  }
  for (const u of universe as unknown[]) {
    const uu = u as { name?: unknown; tokens?: unknown } | null;
    if (typeof uu?.name !== 'string' || !Array.isArray(uu.tokens) || uu.tokens.length !== 2) continue;
    const [b, q] = uu.tokens as unknown[];
    const base = typeof b === 'number' ? tokenName.get(b) : undefined;
    const quote = typeof q === 'number' ? tokenName.get(q) : undefined;
    if (base !== undefined && quote !== undefined && `${base}/${quote}` !== uu.name) out.set(uu.name, `${base}/${quote}`);
  }
  return out;
}

/** HIP-3 dex names from a `perpDexs` answer (`[null, {name:"xyz",…}, …]`). */
export function dexNames(perpDexs: unknown): string[] {
  if (!Array.isArray(perpDexs)) return [];
  const out: string[] = [];
  for (const d of perpDexs as unknown[]) {
    const name = (d as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && name !== '' && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * Every coin of the mids maps (main `allMids`, then each dex's), sorted perps, spot, HIP-3;
 * `extra` names coins to list even without a mid (the one being viewed, say).
 */
export function coinList(mids: readonly Record<string, string>[], labels: ReadonlyMap<string, string>, extra: readonly string[] = []): CoinEntry[] {
  const byName = new Map<string, CoinEntry>();
  for (const m of mids) {
    for (const [name, mid] of Object.entries(m)) {
      if (typeof mid !== 'string') continue;
      byName.set(name, { name, kind: kindOf(name), label: labels.get(name) ?? null, mid });
    }
  }
  for (const name of extra) if (!byName.has(name)) byName.set(name, { name, kind: kindOf(name), label: labels.get(name) ?? null, mid: null });
  return [...byName.values()].sort(compareCoins);
}

/**
 * The coins matching `query` (case-insensitive, on the name and the spot label), best
 * matches first: exact, then prefix (of the name, of the part after `dex:`, of the label),
 * then anywhere; the list's own order within each rank. An empty query matches all.
 */
export function searchCoins(list: readonly CoinEntry[], query: string): CoinEntry[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [...list];
  const ranked: Array<{ c: CoinEntry; rank: number; i: number }> = [];
  list.forEach((c, i) => {
    const name = c.name.toLowerCase();
    const label = c.label?.toLowerCase() ?? '';
    const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
    let rank = -1;
    if (name === q || label === q || local === q) rank = 0;
    else if (name.startsWith(q) || local.startsWith(q) || label.startsWith(q)) rank = 1;
    else if (name.includes(q) || label.includes(q)) rank = 2;
    if (rank >= 0) ranked.push({ c, rank, i });
  });
  ranked.sort((a, b) => a.rank - b.rank || a.i - b.i);
  return ranked.map((r) => r.c);
}
