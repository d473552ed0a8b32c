/**
 * Prints one top-of-book line per block for a coin, from a local L4 replica.
 *
 *     npm run example:watch -- BTC
 *     npm run example:watch -- ETH --url ws://127.0.0.1:8000/ws
 *     npm run example:watch -- BTC --bbo --url wss://api.hyperliquid.xyz/ws   (public API: no l4Book, use bbo)
 *
 * Connection changes go to stderr, book lines to stdout. Ctrl-C closes the client.
 */
import { parseArgs } from 'node:util';
import { Bbo, ClientBuilder, KeepAlive, L4BookTracker, type L2Level } from '../src/client/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: 'ws://127.0.0.1:8000/ws' },
    bbo: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write('usage: watch-book [COIN] [--url ws://host:port/ws] [--bbo]\n');
  process.exit(0);
}

const coin = positionals[0] ?? 'BTC';
const url = values.url;

function side(level: L2Level | null): string {
  return level ? `${level.px} × ${level.sz} (${level.n})` : '(empty)';
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

const client = new ClientBuilder(url)
  .withModule(values.bbo ? Bbo : L4BookTracker)
  .withLightweightModule(KeepAlive)
  .withReconnectPolicy({ baseMs: 500, maxMs: 10_000 })
  .build();

client.events.on('state', (state) => process.stderr.write(`[${url}] ${state}\n`));
client.events.on('backoff', (delay, failures) => process.stderr.write(`[${url}] retry in ${delay} ms (attempt ${failures + 1})\n`));

process.once('SIGINT', () => {
  void client.close().then(() => process.exit(0));
});

try {
  await client.connect();
} catch (error) {
  process.stderr.write(`cannot connect to ${url}: ${(error as Error).message}\n`);
  process.exit(1);
}

if (values.bbo) {
  const bbo = client.getHandle(Bbo);
  const changes = bbo.changes(coin);
  await bbo.track(coin);
  for await (const view of changes) {
    process.stdout.write(`${clock(view.time)}  ${coin}  bid ${side(view.bid)}  ask ${side(view.ask)}\n`);
  }
} else {
  const tracker = client.getHandle(L4BookTracker);
  tracker.on('desync', (c, error) => process.stderr.write(`${c}: replica diverged (${error.message}); resyncing\n`));
  // Listen before tracking, so that no block between the snapshot and the loop is missed.
  const changes = tracker.changes(coin);
  const replica = await tracker.track(coin);
  process.stderr.write(`${coin}: ${replica.size} resting orders at height ${replica.height}\n`);
  for await (const change of changes) {
    const [bid, ask] = replica.bbo();
    const tag = change.kind === 'snapshot' ? ' (snapshot)' : '';
    process.stdout.write(`${change.height}  ${clock(change.time)}  ${coin}  bid ${side(bid)}  ask ${side(ask)}  mid ${replica.mid() ?? '-'}${tag}\n`);
  }
}
