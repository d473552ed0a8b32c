/** `serverStatus` (ours): the `/health` JSON, on every state change and once a second while anything changes. */
import { StateView, frameOf, type ViewContext } from './view.js';

export class ServerStatusView extends StateView {
  readonly channel = 'serverStatus';
  private json = '';
  /** The JSON without `lagMs` (which moves every millisecond): what "changed" means. */
  private signature = '';

  constructor(private readonly health: () => Record<string, unknown>) {
    super('serverStatus');
  }

  protected recompute(_ctx: ViewContext): boolean {
    const h = this.health();
    const json = JSON.stringify(h);
    const signature = JSON.stringify({ ...h, lagMs: undefined });
    this.json = json;
    if (signature === this.signature) return false;
    this.signature = signature;
    return true;
  }

  protected build(_ctx: ViewContext): Buffer {
    return frameOf('serverStatus', this.json);
  }
}
