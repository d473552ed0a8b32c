/**
 * The coin picker: a combobox over every coin (type to search, arrows to move, Enter to
 * choose, Escape to leave; `/` anywhere focuses it). A name not in the list can still be
 * typed and chosen: the server says whether it has that book.
 */
import { el } from './dom.js';
import { searchCoins, type CoinEntry } from './coins.js';
import { groupDigits } from './format.js';

const MAX_SHOWN = 200;

export class CoinPicker {
  private coins: CoinEntry[] = [];
  private shown: CoinEntry[] = [];
  private active = -1;
  private current = '';

  constructor(
    private readonly input: HTMLInputElement,
    private readonly list: HTMLUListElement,
    private readonly kind: HTMLElement,
    private readonly onChoose: (coin: string) => void,
    private readonly onOpen: () => void,
  ) {
    input.addEventListener('focus', () => {
      input.select();
      this.open('');
    });
    input.addEventListener('input', () => this.open(input.value));
    input.addEventListener('keydown', (e) => this.key(e));
    input.addEventListener('blur', () => this.close(true));
    // mousedown, not click: choosing must happen before the input's blur closes the list.
    list.addEventListener('mousedown', (e) => {
      const li = (e.target as Element).closest('li');
      const name = li?.dataset.coin;
      if (name !== undefined) {
        e.preventDefault();
        this.choose(name);
      }
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === '/' && document.activeElement?.tagName !== 'INPUT' && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        input.focus();
      }
    });
  }

  /** The coin shown (the one being viewed). */
  show(coin: string, kindText: string): void {
    this.current = coin;
    if (document.activeElement !== this.input) this.input.value = coin;
    this.kind.textContent = kindText;
  }

  setCoins(coins: CoinEntry[]): void {
    this.coins = coins;
    if (!this.list.hidden) this.open(this.input.value === this.current ? '' : this.input.value, true);
  }

  private open(query: string, keepActive = false): void {
    if (this.list.hidden) this.onOpen();
    const activeName = keepActive ? this.shown[this.active]?.name : undefined;
    this.shown = searchCoins(this.coins, query === this.current ? '' : query).slice(0, MAX_SHOWN);
    this.active =
      activeName !== undefined
        ? Math.max(
            0,
            this.shown.findIndex((c) => c.name === activeName),
          )
        : this.shown.length > 0
          ? 0
          : -1;
    if (query === '' || query === this.current) {
      const at = this.shown.findIndex((c) => c.name === this.current);
      if (at >= 0 && !keepActive) this.active = at;
    }
    this.renderList();
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
  }

  private close(restore: boolean): void {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
    if (restore) this.input.value = this.current;
  }

  private choose(name: string): void {
    this.current = name;
    this.input.value = name;
    this.close(false);
    this.input.blur();
    this.onChoose(name);
  }

  private key(e: KeyboardEvent): void {
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        e.preventDefault();
        if (this.list.hidden) this.open(this.input.value);
        if (this.shown.length === 0) return;
        const step = e.key === 'ArrowDown' ? 1 : -1;
        this.active = (this.active + step + this.shown.length) % this.shown.length;
        this.renderActive();
        return;
      }
      case 'PageDown':
      case 'PageUp': {
        if (this.shown.length === 0) return;
        e.preventDefault();
        this.active = Math.max(0, Math.min(this.shown.length - 1, this.active + (e.key === 'PageDown' ? 10 : -10)));
        this.renderActive();
        return;
      }
      case 'Enter': {
        e.preventDefault();
        const pick = this.shown[this.active];
        const typed = this.input.value.trim();
        if (pick !== undefined) this.choose(pick.name);
        else if (typed !== '') this.choose(typed);
        return;
      }
      case 'Escape':
        e.preventDefault();
        this.close(true);
        this.input.blur();
        return;
    }
  }

  private renderList(): void {
    const items: HTMLElement[] = [];
    this.shown.forEach((c, i) => {
      const li = el('li');
      li.id = `coin-opt-${i}`;
      li.setAttribute('role', 'option');
      li.dataset.coin = c.name;
      li.append(el('span', 'name', c.name));
      if (c.label !== null) li.append(el('span', 'label', c.label));
      else if (c.kind !== 'perp') li.append(el('span', 'label', c.kind === 'spot' ? 'spot' : 'HIP-3'));
      li.append(el('span', 'mid', c.mid === null ? '' : groupDigits(c.mid)));
      items.push(li);
    });
    if (items.length === 0) {
      const li = el('li', 'empty', this.input.value.trim() === '' ? 'No coins yet' : `No coin matches; Enter opens "${this.input.value.trim()}"`);
      li.setAttribute('role', 'option');
      li.setAttribute('aria-disabled', 'true');
      items.push(li);
    }
    this.list.replaceChildren(...items);
    this.renderActive();
  }

  private renderActive(): void {
    for (const li of this.list.children) li.setAttribute('aria-selected', 'false');
    const li = this.active >= 0 ? this.list.children[this.active] : undefined;
    if (li !== undefined) {
      li.setAttribute('aria-selected', 'true');
      this.input.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    } else {
      this.input.removeAttribute('aria-activedescendant');
    }
  }
}
