/** The status bar (the server's `/health` figures, live from `serverStatus`) and the disconnect banner. */
import type { ServerStatusData } from '../client/protocol.js';
import { setText } from './dom.js';
import { formatCount, formatLag } from './format.js';
import { codedError } from '../errors.js';

export class StatusView {
  constructor(
    private readonly root: HTMLElement,
    private readonly banner: HTMLElement,
    private readonly main: HTMLElement,
  ) {}

  private field(name: string): HTMLElement {
    const e = this.root.querySelector<HTMLElement>(`[data-field="${name}"]`);
    if (e === null) throw codedError('PAGE', `status field ${name} is missing`);
    return e;
  }

  health(h: ServerStatusData): void {
    const pill = this.field('state');
    setText(pill, h.state);
    pill.className = `pill ${h.state}`;
    setText(this.field('height'), formatCount(h.height));
    setText(this.field('lag'), formatLag(h.lagMs));
    setText(this.field('eps'), formatCount(h.eventsPerSecond));
    setText(this.field('clients'), formatCount(h.clients));
    setText(this.field('source'), h.source === 'simulated' ? 'simulated node' : h.source === 'node' ? 'node' : String(h.source));
    this.root.dataset.state = h.state;
  }

  /** The connection is gone (or was never made): the banner says so and how it goes on. */
  offline(text: string): void {
    const pill = this.field('state');
    setText(pill, 'offline');
    pill.className = 'pill offline';
    this.root.dataset.state = 'offline';
    setText(this.banner, text);
    this.banner.hidden = false;
    this.main.classList.add('offline');
  }

  online(): void {
    this.banner.hidden = true;
    this.main.classList.remove('offline');
  }
}
