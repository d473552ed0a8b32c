/**
 * The scale-out flags of `hl-orderbook serve` and the one hook `serve` calls: which feed to
 * run (a core's, publishing the block log; or an edge's, reading it) — docs/scaleout.md.
 *
 * Kept apart from `src/config.ts` and `src/cli/serve.ts` so that those change in as few
 * places as possible: `addNatsOptions(cmd)`, `resolveNatsConfig(opts)` and `scaleOutFeed`.
 */
import { Option, type Command } from 'commander';
import { ErrorCodes, HlobError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BookFeed, FeedEventMap, FeedStatus } from '../state/feed.js';
import type { StatusMode } from './codec.js';
import type { NatsConnectOptions } from './connection.js';
import { createEdgeFeed } from './edge.js';
import { BlockLogPublisher, DEFAULT_RETENTION, DEFAULT_STREAM, DEFAULT_SUBJECT } from './publisher.js';
import { DEFAULT_BUCKET } from './snapshot-store.js';

export interface NatsServeConfig {
  /** `--publish`: this core appends its blocks to the log. */
  publish: NatsConnectOptions | null;
  /** `--source nats://…`: this server is an edge (no node). */
  source: NatsConnectOptions | null;
  stream: string;
  subject: string;
  bucket: string;
  statuses: StatusMode;
  snapshotEvery: number;
  snapshotKeep: number;
  bufferBytes: number;
  maxAgeMs: number;
  maxBytes: number;
}

interface Spec {
  flag: string;
  env: string;
  description: string;
}

const SPECS: Spec[] = [
  {
    flag: '--publish <urls>',
    env: 'HL_ORDERBOOK_PUBLISH',
    description:
      'append every applied block to the NATS JetStream block log (nats://host:4222, comma separated for a cluster); block or intra-block in the same list sets --book-updates',
  },
  { flag: '--source <url>', env: 'HL_ORDERBOOK_SOURCE', description: 'serve as an edge from the NATS block log (nats://host:4222[,…]) instead of a node' },
  { flag: '--nats-creds <file>', env: 'HL_ORDERBOOK_NATS_CREDS', description: 'NATS credentials file (.creds)' },
  { flag: '--nats-tls-ca <file>', env: 'HL_ORDERBOOK_NATS_TLS_CA', description: 'CA file to trust for NATS TLS' },
  { flag: '--nats-tls-cert <file>', env: 'HL_ORDERBOOK_NATS_TLS_CERT', description: 'client certificate for NATS TLS' },
  { flag: '--nats-tls-key <file>', env: 'HL_ORDERBOOK_NATS_TLS_KEY', description: 'client key for NATS TLS' },
  { flag: '--nats-stream <name>', env: 'HL_ORDERBOOK_NATS_STREAM', description: `JetStream stream of the block log (default ${DEFAULT_STREAM})` },
  { flag: '--nats-subject <subject>', env: 'HL_ORDERBOOK_NATS_SUBJECT', description: `subject of the block log (default ${DEFAULT_SUBJECT})` },
  { flag: '--snapshot-bucket <name>', env: 'HL_ORDERBOOK_SNAPSHOT_BUCKET', description: `object store bucket of the L4 snapshots (default ${DEFAULT_BUCKET})` },
  { flag: '--snapshot-every <blocks>', env: 'HL_ORDERBOOK_SNAPSHOT_EVERY', description: 'core: store an L4 snapshot every N blocks (default 5000; 0: none)' },
  { flag: '--snapshot-keep <n>', env: 'HL_ORDERBOOK_SNAPSHOT_KEEP', description: 'core: snapshots kept in the bucket (default 3)' },
  {
    flag: '--publish-statuses <book|all>',
    env: 'HL_ORDERBOOK_PUBLISH_STATUSES',
    description: 'core: statuses in the log: book (those that rest an order, default) or all (edges then serve full l4Book and orderUpdates too)',
  },
  { flag: '--publish-buffer-mb <mb>', env: 'HL_ORDERBOOK_PUBLISH_BUFFER_MB', description: 'core: bound on blocks waiting for NATS (default 256)' },
  { flag: '--log-max-age-h <hours>', env: 'HL_ORDERBOOK_LOG_MAX_AGE_H', description: 'retention of a stream this core creates, by age (default 24)' },
  { flag: '--log-max-gb <gb>', env: 'HL_ORDERBOOK_LOG_MAX_GB', description: 'retention of a stream this core creates, by size (default 8)' },
];

/** Add the scale-out flags to `serve`. */
export function addNatsOptions(cmd: Command): void {
  for (const s of SPECS) cmd.addOption(new Option(s.flag, `${s.description} (env ${s.env})`));
}

function attr(flag: string): string {
  return flag
    .split(' ')[0]!
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function configError(msg: string): never {
  throw new HlobError(ErrorCodes.CONFIG, msg);
}

function num(raw: string | undefined, flag: string, dflt: number, min: number): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) configError(`${flag}: ${JSON.stringify(raw)} is not a number ≥ ${min}`);
  return n;
}

function urls(raw: string, flag: string): string[] {
  const list = raw
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (list.length === 0) configError(`${flag}: no URL`);
  for (const u of list) if (!/^(nats|tls):\/\/[^\s/]+(:\d+)?\/?$/.test(u)) configError(`${flag}: ${JSON.stringify(u)} is not nats://host:port`);
  return list;
}

/** The scale-out settings from the flags (or their environment variables); null when neither `--publish` nor `--source`. */
export function resolveNatsConfig(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): NatsServeConfig | null {
  const get = (flag: string): string | undefined => {
    const s = SPECS.find((x) => x.flag.startsWith(flag + ' '))!;
    const v = opts[attr(s.flag)];
    if (typeof v === 'string') return v;
    const e = env[s.env];
    return e === undefined || e === '' ? undefined : e;
  };
  const publish = get('--publish');
  const source = get('--source');
  if (publish === undefined && source === undefined) return null;
  if (publish !== undefined && source !== undefined)
    configError('--publish and --source together: a server is a core (publishes) or an edge (reads), not both');
  const ca = get('--nats-tls-ca');
  const cert = get('--nats-tls-cert');
  const key = get('--nats-tls-key');
  const conn = (servers: string[]): NatsConnectOptions => ({
    servers,
    ...(get('--nats-creds') !== undefined ? { credsFile: get('--nats-creds') } : {}),
    ...(ca !== undefined || cert !== undefined || key !== undefined
      ? {
          tls: {
            ...(ca !== undefined ? { caFile: ca } : {}),
            ...(cert !== undefined ? { certFile: cert } : {}),
            ...(key !== undefined ? { keyFile: key } : {}),
          },
        }
      : {}),
  });
  const statuses = get('--publish-statuses') ?? 'book';
  if (statuses !== 'book' && statuses !== 'all') configError(`--publish-statuses: ${JSON.stringify(statuses)} is not book or all`);
  return {
    publish: publish === undefined ? null : conn(urls(publish, '--publish')),
    source: source === undefined ? null : conn(urls(source, '--source')),
    stream: get('--nats-stream') ?? DEFAULT_STREAM,
    subject: get('--nats-subject') ?? DEFAULT_SUBJECT,
    bucket: get('--snapshot-bucket') ?? DEFAULT_BUCKET,
    statuses,
    snapshotEvery: Math.floor(num(get('--snapshot-every'), '--snapshot-every', 5_000, 0)),
    snapshotKeep: Math.floor(num(get('--snapshot-keep'), '--snapshot-keep', 3, 1)),
    bufferBytes: Math.floor(num(get('--publish-buffer-mb'), '--publish-buffer-mb', 256, 1) * 1024 * 1024),
    maxAgeMs: Math.floor(num(get('--log-max-age-h'), '--log-max-age-h', DEFAULT_RETENTION.maxAgeMs / 3_600_000, 0.01) * 3_600_000),
    maxBytes: Math.floor(num(get('--log-max-gb'), '--log-max-gb', DEFAULT_RETENTION.maxBytes / 1024 ** 3, 0.001) * 1024 ** 3),
  };
}

/** A core's feed that also publishes its blocks: `/health` shows the publisher under `nats`. */
class PublishingFeed implements BookFeed {
  constructor(
    readonly inner: BookFeed & { wake(): void },
    readonly publisher: BlockLogPublisher,
  ) {}
  get books(): BookFeed['books'] {
    return this.inner.books;
  }
  status(): FeedStatus {
    return { ...this.inner.status(), nats: { ...this.publisher.status() } };
  }
  on<K extends keyof FeedEventMap>(event: K, listener: (...args: FeedEventMap[K]) => void): this {
    this.inner.on(event, listener);
    return this;
  }
  off<K extends keyof FeedEventMap>(event: K, listener: (...args: FeedEventMap[K]) => void): this {
    this.inner.off(event, listener);
    return this;
  }
  async start(): Promise<void> {
    this.publisher.attach(this.inner);
    await this.inner.start();
  }
  async stop(): Promise<void> {
    await this.inner.stop();
    await this.publisher.close();
  }
  wake(): void {
    this.inner.wake();
  }
}

/**
 * The feed `serve` runs: the node feed `makeNodeFeed` builds (publishing when `--publish`),
 * or an edge's (`--source`), which never calls it.
 */
export function scaleOutFeed(nats: NatsServeConfig | null, logger: Logger, makeNodeFeed: () => BookFeed & { wake(): void }): BookFeed & { wake(): void } {
  if (nats === null) return makeNodeFeed();
  const common = { stream: nats.stream, subject: nats.subject, bucket: nats.bucket };
  if (nats.source !== null) return createEdgeFeed({ connection: nats.source, ...common, logger: logger.child({ part: 'edge' }) });
  const publisher = new BlockLogPublisher({
    connection: nats.publish!,
    ...common,
    statuses: nats.statuses,
    snapshotEvery: nats.snapshotEvery,
    snapshotKeep: nats.snapshotKeep,
    maxBufferedBytes: nats.bufferBytes,
    retention: { maxAgeMs: nats.maxAgeMs, maxBytes: nats.maxBytes },
    logger: logger.child({ part: 'publish' }),
  });
  return new PublishingFeed(makeNodeFeed(), publisher);
}
