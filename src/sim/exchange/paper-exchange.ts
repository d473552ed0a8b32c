/**
 * The simulated node's paper exchange (`POST /exchange` on its info port). A request is parsed
 * and queued when it arrives, its signature recovered meanwhile on worker threads (src/sign's
 * RecoveryPool: the recovery costs more than all the rest, and this thread runs the market); it
 * is applied at the start of the first block after its recovery (nonce rules at that block's
 * time, actions one after the other as transactions, always in arrival order: a block takes the
 * queue's recovered prefix, never a later request before an earlier one), and answered once
 * that block is in the node's files, so a client that reads its answer finds the action's
 * statuses, diffs and fills already written.
 *
 * Accounts: an address becomes a paper account with the starting balances the first time it is
 * named in an account info request (`clearinghouseState`, `openOrders`, …), as every client does
 * on start. An action whose signature recovers to no account nor approved agent is refused as the
 * public exchange refuses it ("User or API Wallet 0x… does not exist."), so a signing bug shows
 * up here as it would on mainnet instead of trading for some random address.
 *
 * Signer hints. A client trades with one key per connection (an SDK's keep-alive transport), so
 * the key that signed the last action on a connection is the likely signer of the next: it is
 * handed to the recovery as a candidate, confirmed exactly at a fraction of a recovery's cost or
 * else recovered in full (src/sign/signer-check.ts), the answer the same either way. A connection
 * whose candidate missed twice in a row (many signers on one connection, as through a proxy's
 * shared pool) stops naming one until the same key signs twice in a row again.
 */
import {
  actionHash,
  phantomAgentDigest,
  RecoveryPool,
  userSignedActionDigest,
  type Hex,
  type L1Source,
  type RecoveredSigner,
  type UserSignedAction,
} from '../../sign/index.js';
import type { SimMarket, ExternalFill, ExternalMarket, MarketParticipant } from '../sim-market.js';
import type { Account } from './account.js';
import { ACCOUNT_INFO_TYPES, accountInfo } from './account-info.js';
import { assetTable } from './assets.js';
import { parseExchangeRequest, type Action, type ParsedRequest } from './body.js';
import { Ledger, type OrderStatus } from './ledger.js';
import { NonceSet } from './nonces.js';

export interface ExchangeReply {
  /** HTTP status. */
  status: number;
  body: unknown;
}

/** What a connection's last accepted signature taught: its key and the source it signed for. */
interface SignerHint {
  publicKey: Uint8Array | undefined;
  source: L1Source;
  /** Candidates that missed in a row; none is named from MAX_HINT_MISSES on. */
  misses: number;
}
const MAX_HINT_MISSES = 2;

interface Pending {
  req: ParsedRequest;
  hash: Hex;
  /** Recovered signer for source "a" (mainnet), then "b" (testnet); one for user-signed actions. */
  signers: string[];
  /** Signers known: the request can be applied. */
  recovered: boolean;
  /** Answered (refused before the queue, or by stop()): skipped by the block. */
  done: boolean;
  resolve: (r: ExchangeReply) => void;
}

const SCHEDULE_MIN_MS = 5_000;

export interface PaperExchangeOptions {
  /** Paper accounts at most (each named address opens one, kept for the process's life). Default 10,000. */
  maxAccounts?: number;
  /** Requests waiting for the next block at most; more are answered 503. Default 20,000. */
  maxQueued?: number;
  /** Signature recovery threads (RecoveryPool's `workers`; 0: on this thread). Default: one per core beyond the first, at most 2. */
  recoveryWorkers?: number;
}
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

const ok = (type: string, data?: unknown): ExchangeReply => ({
  status: 200,
  body: { status: 'ok', response: data === undefined ? { type } : { type, data } },
});
const err = (message: string, status = 200): ExchangeReply => ({ status, body: { status: 'err', response: message } });

export interface PaperExchangeStats {
  accounts: number;
  actions: number;
  refused: number;
  /** Signatures confirmed by the connection's candidate key, recovered in full, and of those how many on the market's thread (helping a full worker). */
  recoveries: { candidate: number; full: number; here: number };
}

export class PaperExchange implements MarketParticipant {
  private readonly ledger: Ledger;
  private readonly market: ExternalMarket;
  private readonly simUsers: Set<string>;
  /** Agent address → master account address. */
  private readonly agents = new Map<string, string>();
  private readonly nonces = new Map<string, NonceSet>();
  private queue: Pending[] = [];
  /** Answers computed in a block, sent once that block is written. */
  private answered: { height: number; replies: [Pending, ExchangeReply][] }[] = [];
  private stopped = false;
  private lastMs = 0;
  private readonly counts = { actions: 0, refused: 0 };
  private readonly maxAccounts: number;
  private readonly maxQueued: number;
  private readonly recoveryWorkers: number | undefined;
  /** Started with the first request: an exchange nobody uses runs no threads. */
  private pool: RecoveryPool | undefined;
  private readonly hints = new WeakMap<object, SignerHint>();

  constructor(sim: SimMarket, options: PaperExchangeOptions = {}) {
    this.maxAccounts = options.maxAccounts ?? 10_000;
    this.maxQueued = options.maxQueued ?? 20_000;
    this.recoveryWorkers = options.recoveryWorkers;
    this.simUsers = new Set(sim.userAddresses);
    const assets = assetTable(sim.coins);
    this.market = sim.attach(this);
    this.ledger = new Ledger(assets, (address) => this.market.addUser(address));
    this.ledger.m = this.market;
  }

  stats(): PaperExchangeStats {
    return { accounts: this.ledger.accounts.size, ...this.counts, recoveries: this.pool?.stats() ?? { candidate: 0, full: 0, here: 0 } };
  }

  /**
   * Handle a `POST /exchange` body; resolves once the action's block is written. `connection`
   * (the request's socket) keys the signer hint: a connection's next action is likely signed by
   * the same key.
   */
  submit(text: string, connection?: object): Promise<ExchangeReply> {
    const req = parseExchangeRequest(text);
    if ('error' in req) return Promise.resolve(err(req.error, 422));
    if (this.stopped) return Promise.resolve(err('the simulated node has stopped producing blocks', 503));
    if (this.queue.length >= this.maxQueued)
      return Promise.resolve(err(`the paper exchange has ${this.maxQueued} actions waiting for the next block: try again`, 503));
    let hash: Hex;
    let digest: Uint8Array;
    try {
      hash = actionHash({ action: req.rawAction, nonce: req.nonce, vaultAddress: req.vaultAddress, expiresAfter: req.expiresAfter });
      if (req.action.type === 'approveAgent') {
        if (req.action.nonce !== req.nonce)
          return Promise.resolve(err(`Invalid nonce: the action's nonce ${req.action.nonce} differs from the request's ${req.nonce}`));
        digest = userSignedActionDigest(req.rawAction as UserSignedAction);
      } else {
        digest = phantomAgentDigest(hash, 'a');
      }
    } catch (e) {
      return Promise.resolve(this.badSignature(e));
    }
    return new Promise((resolve) => {
      const p: Pending = { req, hash, signers: [], recovered: false, done: false, resolve };
      // In the queue now, so that its place is its arrival, however long its recovery takes.
      this.queue.push(p);
      const pool = (this.pool ??= new RecoveryPool({ workers: this.recoveryWorkers }));
      const refuse = (e: unknown): void => {
        if (p.done) return;
        p.done = true;
        resolve(this.badSignature(e));
      };
      if (req.action.type === 'approveAgent') {
        // User-signed by the master key, whatever the connection's agent signs with.
        pool.recover(digest, req.signature).then((a) => {
          p.signers.push(a);
          p.recovered = true;
        }, refuse);
        return;
      }
      const hint = connection === undefined ? undefined : this.hintOf(connection);
      pool.recoverSigner(digest, req.signature, this.candidate(hint, 'a')).then((a) => {
        p.signers.push(a.address);
        // The testnet source costs a second recovery: tried only when the mainnet one names no
        // account or agent (the block re-checks both against the accounts then).
        if (this.known(a.address)) {
          this.learn(hint, a, 'a');
          p.recovered = true;
          return;
        }
        pool.recoverSigner(phantomAgentDigest(hash, 'b'), req.signature, this.candidate(hint, 'b')).then((b) => {
          p.signers.push(b.address);
          if (this.known(b.address)) this.learn(hint, b, 'b');
          p.recovered = true;
        }, refuse);
      }, refuse);
    });
  }

  private badSignature(e: unknown): ExchangeReply {
    this.counts.refused++;
    return err(`Invalid signature: ${(e as Error).message}`);
  }

  /**
   * An info request about a paper account, or undefined when it is not one (another type, no
   * valid `user`, or an address of the generated flow). Naming an address opens its account.
   */
  info(body: Record<string, unknown>): unknown {
    if (typeof body.type !== 'string' || !ACCOUNT_INFO_TYPES.has(body.type)) return undefined;
    if (typeof body.user !== 'string' || !ADDRESS.test(body.user)) return undefined;
    const user = body.user.toLowerCase();
    if (this.simUsers.has(user)) return undefined;
    let a = this.ledger.account(user);
    if (!a) {
      if (this.ledger.accounts.size >= this.maxAccounts) {
        return { error: `the simulated node holds ${this.maxAccounts} paper accounts, its maximum: ${user} cannot open another` };
      }
      a = this.ledger.open(user);
    }
    return accountInfo(this.ledger, a, body, this.lastMs);
  }

  /** The simulator wrote block `height` to every stream: answer its actions. */
  blockWritten(height: number): void {
    while (this.answered.length > 0 && this.answered[0]!.height <= height) {
      for (const [p, reply] of this.answered.shift()!.replies) p.resolve(reply);
    }
  }

  /** Production ended: answer what was applied, refuse what was not. */
  stop(): void {
    this.stopped = true;
    for (const { replies } of this.answered.splice(0)) for (const [p, reply] of replies) p.resolve(reply);
    for (const p of this.queue.splice(0)) {
      if (p.done) continue;
      p.done = true;
      p.resolve(err('the simulated node has stopped producing blocks', 503));
    }
    // Everything queued was just answered: recoveries still running are of no use.
    void this.pool?.close('drop');
  }

  // ---- MarketParticipant ----

  beginBlock(m: ExternalMarket): void {
    this.lastMs = m.ms;
    // The recovered prefix: a request still recovering waits for the next block, and so does
    // everything that arrived after it (nonces and order placement keep arrival order).
    let ready = 0;
    while (ready < this.queue.length && (this.queue[ready]!.recovered || this.queue[ready]!.done)) ready++;
    if (ready > 0) {
      const queue = this.queue.splice(0, ready);
      const replies: [Pending, ExchangeReply][] = [];
      for (const p of queue) {
        if (p.done) continue;
        p.done = true;
        const reply = this.apply(p, m.ms);
        if ((reply.body as { status: string }).status === 'err') this.counts.refused++;
        else this.counts.actions++;
        replies.push([p, reply]);
      }
      this.answered.push({ height: m.height, replies });
    }
    for (const a of this.ledger.accounts.values()) {
      if (a.scheduledCancel !== null && a.scheduledCancel <= m.ms) {
        a.scheduledCancel = null;
        this.ledger.cancelAll(a, 'scheduledCancel');
      }
    }
  }

  fill(f: ExternalFill): string {
    return this.ledger.fill(f);
  }

  private hintOf(connection: object): SignerHint {
    let hint = this.hints.get(connection);
    if (!hint) this.hints.set(connection, (hint = { publicKey: undefined, source: 'a', misses: 0 }));
    return hint;
  }

  /** The connection's candidate for a signature over `source`'s digest, if it names one. */
  private candidate(hint: SignerHint | undefined, source: L1Source): Uint8Array | undefined {
    return hint !== undefined && hint.source === source && hint.misses < MAX_HINT_MISSES ? hint.publicKey : undefined;
  }

  /** A known signer was found for `source`: the connection's next candidate. */
  private learn(hint: SignerHint | undefined, signer: RecoveredSigner, source: L1Source): void {
    if (hint === undefined) return;
    const same = hint.publicKey !== undefined && hint.source === source && sameBytes(hint.publicKey, signer.publicKey);
    if (signer.path === 'candidate') hint.misses = 0;
    // Named and missed: one more in a row. Not named (too many misses): the same key twice in a
    // row names it again.
    else if (!same && hint.publicKey !== undefined && hint.misses < MAX_HINT_MISSES && hint.source === source) hint.misses++;
    else if (same) hint.misses = 0;
    hint.publicKey = signer.publicKey;
    hint.source = source;
  }

  private known(address: string): boolean {
    return this.agents.has(address) || this.ledger.account(address) !== undefined;
  }

  // ---- applying one request ----

  private apply(p: Pending, t: number): ExchangeReply {
    const { req } = p;
    let signer: string | undefined;
    let source: 'a' | 'b' | null = null;
    if (req.action.type === 'approveAgent') {
      const s = p.signers[0]!;
      if (this.ledger.account(s) && !this.agents.has(s)) signer = s;
    } else {
      for (let i = 0; i < p.signers.length && signer === undefined; i++) {
        const s = p.signers[i]!;
        if (this.known(s)) {
          signer = s;
          source = i === 0 ? 'a' : 'b';
        }
      }
    }
    if (signer === undefined) return err(`User or API Wallet ${p.signers[0]} does not exist.`);
    if (req.expiresAfter !== null && req.expiresAfter < t) return err(`Action expired: expiresAfter ${req.expiresAfter} is before the block time ${t}`);
    let nonces = this.nonces.get(signer);
    if (!nonces) this.nonces.set(signer, (nonces = new NonceSet()));
    const why = nonces.check(req.nonce, t);
    if (why) return err(why);
    const master = this.ledger.account(this.agents.get(signer) ?? signer)!;
    let actor: Account = master;
    if (req.vaultAddress !== null) {
      const vault = this.ledger.account(req.vaultAddress);
      if (vault ? vault.owner !== master.address : this.simUsers.has(req.vaultAddress)) {
        return err(`User or API Wallet ${master.address} is not the leader of vault or sub-account ${req.vaultAddress}.`);
      }
      // A vault or sub-account address used for the first time opens under this master.
      actor = vault ?? this.ledger.open(req.vaultAddress);
      actor.owner = master.address;
    }
    nonces.use(req.nonce);
    if (source !== null && master.source === null) master.source = source;
    return this.dispatch(actor, master, req.action, p.hash);
  }

  private dispatch(a: Account, master: Account, action: Action, hash: string): ExchangeReply {
    const l = this.ledger;
    switch (action.type) {
      case 'order':
        return ok('order', { statuses: action.orders.map((w) => l.place(a, w, hash)) });
      case 'cancel':
        return ok('cancel', { statuses: action.cancels.map((c) => l.cancel(a, c.a, c.o)) });
      case 'cancelByCloid':
        return ok('cancel', {
          statuses: action.cancels.map((c) => {
            const o = l.findOpen(a, c.cloid);
            return o ? l.cancel(a, c.asset, o.order.oid) : { error: `Order was never placed, already canceled, or filled. asset=${c.asset}` };
          }),
        });
      case 'modify': {
        const s = this.modify(a, action.oid, action.order, hash);
        return 'error' in s ? err(s.error) : ok('default');
      }
      case 'batchModify':
        return ok('order', { statuses: action.modifies.map((m) => this.modify(a, m.oid, m.order, hash)) });
      case 'scheduleCancel':
        if (action.time === undefined) {
          a.scheduledCancel = null;
          return ok('default');
        }
        if (action.time < this.market.ms + SCHEDULE_MIN_MS) return err('Scheduled cancel time too early, must be at least 5 seconds from now.');
        a.scheduledCancel = action.time;
        return ok('default');
      case 'updateLeverage': {
        const c = this.market.coins.find((x) => l.assetOf(x) === action.asset);
        if (!c || c.kind === 'spot') return err(`Invalid asset ${action.asset}.`);
        if (action.leverage > l.maxLeverage(c)) return err('Invalid leverage value');
        a.leverage.set(c.id, { type: action.isCross ? 'cross' : 'isolated', value: action.leverage });
        return ok('default');
      }
      case 'noop':
        return ok('default');
      case 'approveAgent':
        this.agents.set(action.agentAddress.toLowerCase(), master.address);
        return ok('default');
    }
  }

  /** Cancel an open order (by oid or cloid) and place its replacement; the batch answers like `order`. */
  private modify(a: Account, oid: number | string, wire: Parameters<Ledger['place']>[1], hash: string): OrderStatus {
    const o = this.ledger.findOpen(a, oid);
    if (!o) return { error: 'Cannot modify canceled or filled order' };
    if (this.ledger.assetOf(o.coin) !== wire.a) return { error: `Cannot modify an order into another asset: asset=${wire.a}` };
    this.ledger.remove(a, o, 'canceled');
    return this.ledger.place(a, wire, hash);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
