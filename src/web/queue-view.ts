/** One level's queue: every order in fill order with its user, size and age. */
import { el, setText } from './dom.js';
import { formatAge, groupDigits, shortAddress } from './format.js';
import type { QueueRow } from './queue.js';
import { addUnits, formatUnits, parseUnits, type Units } from '../book/decimal.js';

const SHOW = 300;

export class QueueView {
  /** What the table shows (level, orders, sizes, marks): unchanged, only the ages are updated in place. */
  private signature = '';
  private ageCells: HTMLElement[] = [];

  constructor(
    private readonly root: HTMLElement,
    private readonly meta: HTMLElement,
    private readonly onUser: (user: string) => void,
  ) {}

  hint(text: string): void {
    this.signature = '';
    this.ageCells = [];
    setText(this.meta, '');
    this.root.replaceChildren(el('p', 'hint', text));
    delete this.root.dataset.orders;
  }

  render(isBid: boolean, px: string, rows: readonly QueueRow[], aggregated: boolean): void {
    let total: Units = 0;
    for (const r of rows) total = addUnits(total, parseUnits(r.sz));
    setText(this.meta, `${isBid ? 'bid' : 'ask'} ${groupDigits(px)} · ${rows.length} order${rows.length === 1 ? '' : 's'} · ${formatUnits(total)}`);
    this.root.dataset.orders = String(rows.length);
    // Rebuilt only when the queue itself changed, so that a row stays put (and clickable) while ages tick.
    const signature = `${isBid}|${px}|${aggregated}|${rows.map((r) => `${r.oid}:${r.sz}:${r.mine ? 1 : 0}`).join(',')}`;
    if (signature === this.signature) {
      rows.slice(0, SHOW).forEach((r, i) => {
        const cell = this.ageCells[i];
        if (cell !== undefined) setText(cell, formatAge(r.ageMs));
      });
      return;
    }
    this.signature = signature;
    this.ageCells = [];
    if (rows.length === 0) {
      this.root.replaceChildren(el('p', 'hint', 'This level is gone: it filled or was cancelled. Pick another.'));
      return;
    }
    const table = el('table');
    const hr = el('tr');
    const heads = aggregated ? ['#', 'User', 'Price', 'Size', 'Age'] : ['#', 'User', 'Size', 'Age'];
    for (const h of heads) hr.append(el('th', undefined, h));
    const thead = el('thead');
    thead.append(hr);
    const tbody = el('tbody');
    for (const r of rows.slice(0, SHOW)) {
      const tr = el('tr', r.mine ? 'mine' : undefined);
      tr.dataset.oid = String(r.oid);
      const user = el('td');
      const b = el('button', 'addr', shortAddress(r.user));
      b.type = 'button';
      b.title = `${r.user}: highlight this address's orders (oid ${r.oid})`;
      b.addEventListener('click', () => this.onUser(r.user));
      user.append(b);
      tr.append(el('td', undefined, String(r.pos)), user);
      if (aggregated) tr.append(el('td', undefined, groupDigits(r.px)));
      const age = el('td', undefined, formatAge(r.ageMs));
      this.ageCells.push(age);
      tr.append(el('td', undefined, r.sz), age);
      tbody.append(tr);
    }
    table.append(thead, tbody);
    const parts: Node[] = [table];
    if (rows.length > SHOW) parts.push(el('p', 'hint', `… and ${rows.length - SHOW} more`));
    this.root.replaceChildren(...parts);
  }
}
