/**
 * The ladder's DOM: a fixed pool of rows per side (asks above the spread, worst at the top;
 * bids below, best at the top), updated in place each block, with size and cumulative bars,
 * flashes on changed levels, the selected level and the highlighted user's levels marked.
 */
import { el, setText } from './dom.js';
import type { Flash } from './flash.js';
import { groupDigits } from './format.js';
import type { Ladder, LadderRow } from './ladder.js';

export interface Selection {
  isBid: boolean;
  px: string;
}

interface RowEl {
  root: HTMLElement;
  px: HTMLElement;
  sz: HTMLElement;
  cum: HTMLElement;
  n: HTMLElement;
  /** Alternates the flash animation's name so that a second flash restarts it. */
  parity: boolean;
}

export class LadderView {
  private readonly bidRows: RowEl[] = [];
  private readonly askRows: RowEl[] = [];

  constructor(
    private readonly bids: HTMLElement,
    private readonly asks: HTMLElement,
    rows: number,
    onSelect: (sel: Selection) => void,
  ) {
    for (let i = 0; i < rows; i++) {
      this.bidRows.push(this.makeRow(bids, true, onSelect));
      // Asks are shown worst at the top: row i of the pool is the i-th best, placed above the better ones.
      this.askRows.push(this.makeRow(asks, false, onSelect, true));
    }
  }

  private makeRow(parent: HTMLElement, isBid: boolean, onSelect: (sel: Selection) => void, prepend = false): RowEl {
    const root = el('div', 'row');
    root.tabIndex = 0;
    root.setAttribute('role', 'button');
    root.append(el('div', 'bar bar-cum'), el('div', 'bar bar-sz'));
    const px = el('span', 'px');
    const sz = el('span', 'sz');
    const cum = el('span', 'cum');
    const n = el('span', 'n');
    root.append(px, sz, cum, n);
    root.hidden = true;
    const select = (): void => {
      const p = root.dataset.px;
      if (p !== undefined) onSelect({ isBid, px: p });
    };
    root.addEventListener('click', select);
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        select();
      }
    });
    if (prepend) parent.prepend(root);
    else parent.append(root);
    return { root, px, sz, cum, n, parity: false };
  }

  render(
    ladder: Ladder,
    flashes: { bids: Map<string, Flash>; asks: Map<string, Flash> },
    mine: { bids: Set<number>; asks: Set<number> },
    selected: Selection | null,
  ): void {
    this.fill(this.bidRows, ladder.bids, flashes.bids, mine.bids, selected?.isBid === true ? selected.px : null, 'bid');
    this.fill(this.askRows, ladder.asks, flashes.asks, mine.asks, selected?.isBid === false ? selected.px : null, 'ask');
  }

  clear(): void {
    for (const r of [...this.bidRows, ...this.askRows]) {
      r.root.hidden = true;
      delete r.root.dataset.px;
    }
  }

  private fill(pool: RowEl[], rows: LadderRow[], flashes: Map<string, Flash>, mine: Set<number>, selectedPx: string | null, sideName: string): void {
    for (let i = 0; i < pool.length; i++) {
      const r = pool[i]!;
      const row = rows[i];
      if (row === undefined) {
        r.root.hidden = true;
        delete r.root.dataset.px;
        continue;
      }
      r.root.hidden = false;
      r.root.dataset.px = row.px;
      setText(r.px, groupDigits(row.px));
      setText(r.sz, row.sz);
      setText(r.cum, row.cum);
      setText(r.n, String(row.n));
      r.root.style.setProperty('--sz', row.szFrac.toFixed(4));
      r.root.style.setProperty('--cum', row.cumFrac.toFixed(4));
      r.root.setAttribute('aria-label', `${sideName} ${row.px}, size ${row.sz}, total ${row.cum}, ${row.n} orders`);
      r.root.classList.toggle('selected', row.px === selectedPx);
      r.root.classList.toggle('mine', mine.has(i));
      const f = flashes.get(row.px);
      if (f !== undefined) {
        // A finished animation's class may stay; only a new name restarts it.
        r.root.classList.remove('f-up-a', 'f-up-b', 'f-down-a', 'f-down-b', 'f-new-a', 'f-new-b');
        r.parity = !r.parity;
        r.root.classList.add(`f-${f}-${r.parity ? 'a' : 'b'}`);
      }
    }
  }
}
