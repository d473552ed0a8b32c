/** The trades tape: newest on top, the taker's side in colour, buyer → seller. */
import type { Trade } from '../book/types.js';
import { el } from './dom.js';
import { formatClock, groupDigits, shortAddress } from './format.js';

const KEEP = 80;

export class TradesView {
  private readonly body: HTMLTableSectionElement;
  private count = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly onUser: (user: string) => void,
  ) {
    const table = el('table');
    const head = el('thead');
    const hr = el('tr');
    for (const h of ['Time', 'Price', 'Size', 'Buyer', 'Seller']) hr.append(el('th', undefined, h));
    head.append(hr);
    this.body = el('tbody');
    table.append(head, this.body);
    root.replaceChildren(table);
  }

  clear(): void {
    this.body.replaceChildren();
    this.count = 0;
    this.root.dataset.count = '0';
  }

  add(t: Trade): void {
    const tr = el('tr', `${t.side} fresh`);
    tr.title = `${t.side === 'B' ? 'buy' : 'sell'} (taker), tid ${t.tid}, hash ${t.hash}`;
    const [buyer, seller] = t.users;
    const buyerTd = el('td');
    buyerTd.append(this.addr(buyer));
    const sellerTd = el('td');
    sellerTd.append(this.addr(seller));
    // Block time, UTC; the milliseconds go on narrow screens.
    const clock = formatClock(t.time);
    const time = el('td', undefined, clock.slice(0, 8));
    time.append(el('span', 'ms', clock.slice(8)));
    time.title = `${clock} UTC`;
    tr.append(time, el('td', 'px', groupDigits(t.px)), el('td', undefined, t.sz), buyerTd, sellerTd);
    this.body.prepend(tr);
    while (this.body.childElementCount > KEEP) this.body.lastElementChild?.remove();
    this.count++;
    this.root.dataset.count = String(this.count);
    // The newest row flashes once; the class is dropped so that it does not flash again when re-laid out.
    setTimeout(() => tr.classList.remove('fresh'), 900);
  }

  private addr(user: string): HTMLElement {
    const b = el('button', 'addr', shortAddress(user));
    b.type = 'button';
    b.title = `${user}: highlight this address's orders`;
    b.addEventListener('click', () => this.onUser(user));
    return b;
  }
}
