/**
 * One typed configuration for `serve`, from command-line flags and `HL_ORDERBOOK_*`
 * environment variables (flag wins over variable, variable over default). The table below
 * drives commander's options (which read the variables, `.env()`, and list them in `--help`)
 * and the validation, so a default is written once.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { codedError, ErrorCodes, HlobError } from './errors.js';
import { parseFaults } from './sim/faults.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface ServeConfig {
  /** The node's data dir (`~/hl/data` layout); null when not given (then `~/hl/data` or the simulated node). */
  dataDir: string | null;
  /** The node's info server (`--serve-info`); default `http://localhost:3001/info`. */
  infoUrl: string;
  /** Where `POST /exchange` goes; null = the simulated node's exchange, or Hyperliquid's next to a real node. */
  exchangeUrl: string | null;
  /** Address to listen on; default `127.0.0.1`. */
  host: string;
  /** Port to listen on; default 8000 (0 = any free port). */
  port: number;
  /** permessage-deflate level 0..9; default 0 (off). */
  compressionLevel: number;
  /** An `l2Book` view is re-sent unchanged at least this often; default 5000 ms. */
  l2HeartbeatMs: number;
  /** Compare the books with a fresh node snapshot every this many minutes (0 = never); default 0. */
  validateEveryMin: number;
  /** State `stale` after this many seconds without a block; default 5. */
  staleAfterS: number;
  /** A height every stream has moved past and still missing this long after is a gap (0: only the 8-block bound); default 500 ms. */
  gapAfterMs: number;
  /** Default `info`. */
  logLevel: LogLevel;
  /** Wait for the node's directories to appear instead of failing; default false. */
  wait: boolean;
  /** Where the node writes requested L4 snapshots; null = `hlob-snapshots` next to the data dir. */
  snapshotDir: string | null;
  /** A client with more unsent output than this is closed with 1008; default 64 MiB. */
  maxClientUnsentBytes: number;
  /** All clients' unsent output together; beyond it the furthest behind are closed; default 1 GiB. */
  maxTotalUnsentBytes: number;
  /** Faults the embedded simulated node injects (`--faults` of `simulate`); null = none. */
  simFaults: string | null;
  /** Processes serving the sockets (node:cluster); 1 = one process (default). */
  workers: number;
  /**
   * Bearer tokens, any of which opens WebSocket upgrades, `/info` and `/metrics`: every
   * `--auth-token`, `HL_ORDERBOOK_AUTH_TOKEN` (several separated by commas) when no flag is
   * given, and the lines of `--auth-token-file`. Empty (default): no access control.
   */
  authTokens: string[];
  /** A file of tokens, one a line (`#` comments and blank lines ignored); read at start-up. */
  authTokenFile: string | null;
  /** `/metrics` open even when tokens are set (for a scraper that cannot send one). Default false. */
  metricsPublic: boolean;
  /** WebSocket connections one IP may hold open at once; 0 (default) = no bound. */
  maxConnectionsPerIp: number;
  /** Which of the node's output layouts to read; default `auto` (the one the node writes; see docs/server.md). */
  layout: 'auto' | 'by-block' | 'streaming';
  /** Streaming layout: once one stream moved past a block, wait this long for the others, ms; default 5. */
  blockCloseMs: number;
  /**
   * `intra-block`: `l2Book`/`bbo` also sent inside a block, as the streaming layout's diff lines
   * are read, marked `"partial":true` (docs/protocol.md); `block` (default): at block ends only.
   */
  bookUpdates: 'block' | 'intra-block';
  /** Where closed candles are kept; null = `hlob-candles` next to the data dir. */
  candlesDir: string | null;
}

interface OptionSpec {
  key: keyof ServeConfig;
  /** The flag may be given several times; the values are collected in order. */
  repeatable?: boolean;
  /** The flag as commander takes it. */
  flag: string;
  /** Other flags meaning the same (the public Rust server's names). */
  aliases?: string[];
  env: string;
  description: string;
  /** The default as shown in `--help`; undefined = none. */
  shown?: string;
  parse: (raw: string, from: string) => ServeConfig[keyof ServeConfig];
  boolean?: boolean;
}

const MIB = 1024 * 1024;

function integer(min: number, max: number) {
  return (raw: string, from: string): number => {
    const n = Number(raw);
    if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new HlobError(ErrorCodes.CONFIG, `${from}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

function positiveNumber(raw: string, from: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new HlobError(ErrorCodes.CONFIG, `${from}: expected a number >= 0, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function aboveZero(raw: string, from: string): number {
  const n = positiveNumber(raw, from);
  if (n === 0) throw new HlobError(ErrorCodes.CONFIG, `${from}: expected a number > 0, got ${JSON.stringify(raw)}`);
  return n;
}

function text(raw: string, from: string): string {
  if (raw.trim() === '') throw new HlobError(ErrorCodes.CONFIG, `${from}: must not be empty`);
  return raw;
}

function url(raw: string, from: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw codedError('CONFIG', 'not http');
  } catch {
    throw new HlobError(ErrorCodes.CONFIG, `${from}: expected an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function bool(raw: string, from: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new HlobError(ErrorCodes.CONFIG, `${from}: expected true or false, got ${JSON.stringify(raw)}`);
}

function logLevel(raw: string, from: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new HlobError(ErrorCodes.CONFIG, `${from}: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as LogLevel;
}

function faultSpec(raw: string, from: string): string {
  try {
    parseFaults(raw);
  } catch (err) {
    throw new HlobError(ErrorCodes.CONFIG, `${from}: ${(err as Error).message}`);
  }
  return raw;
}

/** A token: visible ASCII without commas (the list separator), so that it survives headers, URLs and variables. */
function token(raw: string, from: string): string {
  const t = raw.trim();
  if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(t)) {
    // Never echo the value: it is a secret.
    throw new HlobError(ErrorCodes.CONFIG, `${from}: a token must be visible ASCII characters without spaces or commas (got ${t.length} characters)`);
  }
  return t;
}

/** A comma-separated list of tokens (the environment variable); one token from a flag. */
function tokens(raw: string, from: string): string[] {
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw new HlobError(ErrorCodes.CONFIG, `${from}: must not be empty`);
  return parts.map((p) => token(p, from));
}

/** The tokens of a token file: one a line, blank lines and `#` comments ignored. */
export function readTokenFile(path: string, from = '--auth-token-file'): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HlobError(ErrorCodes.CONFIG, `${from}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const out: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) return;
    out.push(token(l, `${from} ${path} line ${i + 1}`));
  });
  if (out.length === 0) throw new HlobError(ErrorCodes.CONFIG, `${from}: ${path} holds no token`);
  return out;
}

function layout(raw: string, from: string): ServeConfig['layout'] {
  if (raw !== 'auto' && raw !== 'by-block' && raw !== 'streaming')
    throw new HlobError(ErrorCodes.CONFIG, `${from}: expected auto, by-block or streaming, got ${JSON.stringify(raw)}`);
  return raw;
}

function bookUpdates(raw: string, from: string): ServeConfig['bookUpdates'] {
  if (raw !== 'block' && raw !== 'intra-block') throw new HlobError(ErrorCodes.CONFIG, `${from}: expected block or intra-block, got ${JSON.stringify(raw)}`);
  return raw;
}

function mebibytes(raw: string, from: string): number {
  return Math.round(positiveNumber(raw, from) * MIB);
}

export const DEFAULTS: ServeConfig = {
  dataDir: null,
  infoUrl: 'http://localhost:3001/info',
  exchangeUrl: null,
  host: '127.0.0.1',
  port: 8000,
  compressionLevel: 0,
  l2HeartbeatMs: 5000,
  validateEveryMin: 0,
  staleAfterS: 5,
  gapAfterMs: 500,
  logLevel: 'info',
  wait: false,
  snapshotDir: null,
  maxClientUnsentBytes: 64 * MIB,
  maxTotalUnsentBytes: 1024 * MIB,
  workers: 1,
  simFaults: null,
  authTokens: [],
  authTokenFile: null,
  metricsPublic: false,
  maxConnectionsPerIp: 0,
  layout: 'auto',
  blockCloseMs: 5,
  bookUpdates: 'block',
  candlesDir: null,
};

/** Every `serve` option, in `--help` order. */
export const SERVE_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'dataDir',
    flag: '--data-dir <dir>',
    env: 'HL_ORDERBOOK_DATA_DIR',
    description: "the node's data dir",
    shown: '~/hl/data, or a simulated node when that does not exist',
    parse: text,
  },
  { key: 'infoUrl', flag: '--info-url <url>', env: 'HL_ORDERBOOK_INFO_URL', description: "the node's info server", shown: DEFAULTS.infoUrl, parse: url },
  {
    key: 'exchangeUrl',
    flag: '--exchange-url <url>',
    env: 'HL_ORDERBOOK_EXCHANGE_URL',
    description: 'where POST /exchange and WS post actions are forwarded',
    shown: "the simulated node's /exchange, or https://api.hyperliquid.xyz/exchange next to a node",
    parse: url,
  },
  {
    key: 'host',
    flag: '--host <host>',
    aliases: ['--address <host>'],
    env: 'HL_ORDERBOOK_HOST',
    description: 'address to listen on',
    shown: DEFAULTS.host,
    parse: text,
  },
  {
    key: 'port',
    flag: '--port <port>',
    env: 'HL_ORDERBOOK_PORT',
    description: 'port to listen on (0: any free port)',
    shown: String(DEFAULTS.port),
    parse: integer(0, 65535),
  },
  {
    key: 'compressionLevel',
    flag: '--compression-level <0-9>',
    aliases: ['--websocket-compression-level <0-9>'],
    env: 'HL_ORDERBOOK_COMPRESSION_LEVEL',
    description: 'permessage-deflate level, 0 = off (costs CPU per client)',
    shown: '0',
    parse: integer(0, 9),
  },
  {
    key: 'l2HeartbeatMs',
    flag: '--l2-heartbeat-ms <ms>',
    env: 'HL_ORDERBOOK_L2_HEARTBEAT_MS',
    description: 're-send an unchanged l2Book at least this often',
    shown: String(DEFAULTS.l2HeartbeatMs),
    parse: integer(100, 3_600_000),
  },
  {
    key: 'validateEveryMin',
    flag: '--validate-every <min>',
    env: 'HL_ORDERBOOK_VALIDATE_EVERY',
    description: 'compare the books with a fresh node snapshot every N minutes (0: never)',
    shown: '0',
    parse: positiveNumber,
  },
  {
    key: 'staleAfterS',
    flag: '--stale-after <s>',
    env: 'HL_ORDERBOOK_STALE_AFTER',
    description: 'state "stale" after this many seconds without a block',
    shown: String(DEFAULTS.staleAfterS),
    parse: aboveZero,
  },
  {
    key: 'gapAfterMs',
    flag: '--gap-after-ms <ms>',
    env: 'HL_ORDERBOOK_GAP_AFTER_MS',
    description: 'a block every stream has moved past, still missing this long after, is a gap (0: only after 8 blocks)',
    shown: String(DEFAULTS.gapAfterMs),
    parse: integer(0, 3_600_000),
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'HL_ORDERBOOK_LOG_LEVEL',
    description: LOG_LEVELS.join(', '),
    shown: DEFAULTS.logLevel,
    parse: logLevel,
  },
  {
    key: 'wait',
    flag: '--wait',
    env: 'HL_ORDERBOOK_WAIT',
    description: "wait for the node's directories instead of failing",
    shown: 'false',
    parse: bool,
    boolean: true,
  },
  {
    key: 'snapshotDir',
    flag: '--snapshot-dir <dir>',
    env: 'HL_ORDERBOOK_SNAPSHOT_DIR',
    description: 'where the node writes requested L4 snapshots',
    shown: 'hlob-snapshots next to the data dir',
    parse: text,
  },
  {
    key: 'maxClientUnsentBytes',
    flag: '--max-client-unsent-mb <MiB>',
    env: 'HL_ORDERBOOK_MAX_CLIENT_UNSENT_MB',
    description: 'close a client with more unsent output (1008)',
    shown: '64',
    parse: mebibytes,
  },
  {
    key: 'maxTotalUnsentBytes',
    flag: '--max-total-unsent-mb <MiB>',
    env: 'HL_ORDERBOOK_MAX_TOTAL_UNSENT_MB',
    description: 'bound on all unsent output; the furthest behind are closed first',
    shown: '1024',
    parse: mebibytes,
  },
  {
    key: 'authTokens',
    flag: '--auth-token <token>',
    env: 'HL_ORDERBOOK_AUTH_TOKEN',
    repeatable: true,
    description:
      'require this bearer token on /ws, /info and /metrics (Authorization: Bearer, or ?token=); repeat for several; the variable takes a comma-separated list',
    shown: 'none (open)',
    parse: tokens,
  },
  {
    key: 'authTokenFile',
    flag: '--auth-token-file <file>',
    env: 'HL_ORDERBOOK_AUTH_TOKEN_FILE',
    description: 'also accept the tokens in this file, one a line (# comments)',
    shown: 'none',
    parse: text,
  },
  {
    key: 'metricsPublic',
    flag: '--metrics-public',
    env: 'HL_ORDERBOOK_METRICS_PUBLIC',
    description: 'leave /metrics open when tokens are set',
    shown: 'false',
    parse: bool,
    boolean: true,
  },
  {
    key: 'maxConnectionsPerIp',
    flag: '--max-connections-per-ip <n>',
    env: 'HL_ORDERBOOK_MAX_CONNECTIONS_PER_IP',
    description: 'WebSocket connections one IP may hold open (0: no bound); more get 429',
    shown: '0',
    parse: integer(0, 1_000_000),
  },
  {
    key: 'layout',
    flag: '--layout <layout>',
    env: 'HL_ORDERBOOK_LAYOUT',
    description: "the node's output layout: by-block (--batch-by-block), streaming (--stream-with-block-info) or auto (the one written)",
    shown: 'auto',
    parse: layout,
  },
  {
    key: 'blockCloseMs',
    flag: '--block-close-ms <ms>',
    env: 'HL_ORDERBOOK_BLOCK_CLOSE_MS',
    description: 'streaming layout: once one stream moved past a block, wait this long for the others',
    shown: String(DEFAULTS.blockCloseMs),
    parse: integer(0, 10_000),
  },
  {
    key: 'bookUpdates',
    flag: '--book-updates <mode>',
    env: 'HL_ORDERBOOK_BOOK_UPDATES',
    description: 'l2Book/bbo frames at block ends (block) or also inside a block, marked "partial":true (intra-block; streaming layout only)',
    shown: DEFAULTS.bookUpdates,
    parse: bookUpdates,
  },
  {
    key: 'candlesDir',
    flag: '--candles-dir <dir>',
    env: 'HL_ORDERBOOK_CANDLES_DIR',
    description: 'where closed candles are kept (5,000 per coin and interval)',
    shown: 'hlob-candles next to the data dir',
    parse: text,
  },
  {
    key: 'workers',
    flag: '--workers <n>',
    env: 'HL_ORDERBOOK_WORKERS',
    description: 'processes sharing the port, each a full server (memory and block parsing x n; see docs/server.md)',
    shown: '1',
    parse: integer(1, 64),
  },
  {
    key: 'simFaults',
    flag: '--sim-faults <spec>',
    env: 'HL_ORDERBOOK_SIM_FAULTS',
    description: 'the simulated node (no node data) injects these faults, e.g. rate=0.002,snapshot-rate=0.3 (docs/simulator.md)',
    shown: 'none',
    parse: faultSpec,
  },
];

/** Commander's attribute name for a flag (`--l2-heartbeat-ms <ms>` → `l2HeartbeatMs`). */
export function attributeName(flag: string): string {
  return new Option(flag).attributeName();
}

/**
 * The `serve` options as commander takes them: each reads its variable (`.env()`, shown in
 * `--help`), a repeatable one collects every value, and the Rust server's aliases.
 */
export function serveOptions(): Option[] {
  const out: Option[] = [];
  for (const spec of SERVE_OPTIONS) {
    const option = new Option(spec.flag, `${spec.description} (default: ${spec.shown ?? 'none'})`).env(spec.env);
    // Given several times: every value, in order (a secret is never a default shown by --help).
    if (spec.repeatable === true) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    out.push(option);
    for (const alias of spec.aliases ?? []) out.push(new Option(alias, `alias of ${longName(spec.flag)} (the public Rust server's name)`));
  }
  return out;
}

/**
 * What commander found for a command built with `serveOptions()`, split by source for
 * `resolveServeConfig`: the flags given, and the variables it read (their text as set: a
 * boolean option's variable is `true` to commander whatever it says, `false` included).
 */
export function givenToCommand(cmd: Command, env: NodeJS.ProcessEnv = process.env): { flags: Record<string, unknown>; env: Record<string, string> } {
  const flags: Record<string, unknown> = {};
  const vars: Record<string, string> = {};
  const values = cmd.opts();
  for (const spec of SERVE_OPTIONS) {
    for (const flag of [spec.flag, ...(spec.aliases ?? [])]) {
      const key = attributeName(flag);
      const source = cmd.getOptionValueSource(key);
      if (source === 'cli') flags[key] = values[key];
      else if (source === 'env' && env[spec.env] !== undefined) vars[spec.env] = env[spec.env]!;
    }
  }
  return { flags, env: vars };
}

function longName(flag: string): string {
  return flag.split(' ')[0]!;
}

/**
 * Resolve the config from the flags given (by commander's attribute names) and the
 * variables set (`givenToCommand`). Throws a `HlobError` (CONFIG) naming the flag or
 * variable and the value.
 */
export function resolveServeConfig(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const config: ServeConfig = { ...DEFAULTS };
  const target = config as unknown as Record<string, unknown>;
  for (const spec of SERVE_OPTIONS) {
    const given: { from: string; value: unknown }[] = [];
    for (const flag of [spec.flag, ...(spec.aliases ?? [])]) {
      const v = opts[attributeName(flag)];
      if (v !== undefined) given.push({ from: longName(flag), value: v });
    }
    let value: unknown;
    if (spec.repeatable === true && given.length > 0) {
      // Every occurrence of every spelling, each parsed on its own.
      value = given.flatMap((g) => (Array.isArray(g.value) ? (g.value as unknown[]) : [g.value]).flatMap((v) => spec.parse(String(v), g.from) as string[]));
    } else if (given.length > 0) {
      const parsed = given.map((g) => ({ from: g.from, value: typeof g.value === 'boolean' ? g.value : spec.parse(String(g.value), g.from) }));
      const first = parsed[0]!;
      const other = parsed.find((p) => p.value !== first.value);
      if (other !== undefined) {
        throw new HlobError(
          ErrorCodes.CONFIG,
          `${first.from} ${JSON.stringify(first.value)} and ${other.from} ${JSON.stringify(other.value)} disagree: they are the same setting`,
        );
      }
      value = first.value;
    } else if (env[spec.env] !== undefined) {
      value = spec.parse(env[spec.env]!, spec.env);
    }
    if (value !== undefined) target[spec.key] = value;
  }
  if (config.authTokenFile !== null) {
    const from = opts[attributeName('--auth-token-file')] !== undefined ? '--auth-token-file' : 'HL_ORDERBOOK_AUTH_TOKEN_FILE';
    config.authTokens = [...config.authTokens, ...readTokenFile(config.authTokenFile, from)];
  }
  config.authTokens = [...new Set(config.authTokens)];
  return config;
}

/** `~/hl/data`, where a node writes by default. */
export function defaultNodeDataDir(home: string = homedir()): string {
  return join(home, 'hl', 'data');
}

/** The settings every serving process hands its server alike (one process, or each cluster worker). */
export function listenerSettings(c: ServeConfig): Pick<
  ServeConfig,
  'host' | 'port' | 'compressionLevel' | 'l2HeartbeatMs' | 'maxClientUnsentBytes' | 'maxTotalUnsentBytes' | 'authTokens' | 'metricsPublic'
> & {
  intraBlock: boolean;
} {
  return {
    host: c.host,
    port: c.port,
    compressionLevel: c.compressionLevel,
    l2HeartbeatMs: c.l2HeartbeatMs,
    intraBlock: c.bookUpdates === 'intra-block',
    maxClientUnsentBytes: c.maxClientUnsentBytes,
    maxTotalUnsentBytes: c.maxTotalUnsentBytes,
    authTokens: c.authTokens,
    metricsPublic: c.metricsPublic,
  };
}
