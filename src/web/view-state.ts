/**
 * What the URL's fragment remembers, so that a link opens the same view:
 * `#BTC`, `#PURR/USDC;agg=3`, `#@107;agg=5m2;user=0xabc…`. The coin comes first, as typed
 * (`/`, `:` and `@` kept readable); `;key=value` pairs follow. Coin names never hold `;`.
 */
import { aggregationById, DEFAULT_AGGREGATION, type Aggregation } from './aggregation.js';

export interface ViewState {
  coin: string;
  aggregation: Aggregation;
  /** The address whose orders are highlighted (lower case), or null. */
  user: string | null;
}

export const DEFAULT_COIN = 'BTC';

const ADDRESS = /^0x[0-9a-f]{40}$/;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Whether `s` is a 20-byte hex address (any case). */
export function isAddress(s: string): boolean {
  return ADDRESS.test(s.toLowerCase());
}

/** The view a fragment names; missing or bad parts take their defaults. */
export function parseHash(hash: string): ViewState {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  const [first = '', ...rest] = text.split(';');
  const coin = decode(first).trim();
  let aggregation = DEFAULT_AGGREGATION;
  let user: string | null = null;
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq);
    const value = decode(part.slice(eq + 1));
    if (key === 'agg') aggregation = aggregationById(value) ?? DEFAULT_AGGREGATION;
    else if (key === 'user' && isAddress(value)) user = value.toLowerCase();
  }
  return { coin: coin === '' ? DEFAULT_COIN : coin, aggregation, user };
}

/** The fragment for a view (defaults left out: `#BTC`). */
export function formatHash(view: ViewState): string {
  const coin = encodeURIComponent(view.coin).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/gi, '@');
  let out = `#${coin}`;
  if (view.aggregation.id !== DEFAULT_AGGREGATION.id) out += `;agg=${view.aggregation.id}`;
  if (view.user !== null) out += `;user=${view.user}`;
  return out;
}
