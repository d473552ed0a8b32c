/**
 * `npm run bench -- exchange`: what the simulated node's paper exchange sustains while its
 * market runs (mainnet profile, real time, 14.6 blocks/s).
 * - `exchange.actions_per_s`: signed `order` actions (an ALO bid each, resting) answered per
 *   second, 256 in flight over keep-alive HTTP from 32 accounts (8 each); signing happens before the
 *   clock starts (it is the client's cost), and so does a warm-up of one action per connection
 *   (a client's one-time costs: connecting, the first full recovery of its key on that connection,
 *   its key's tables; 256 × ~1.3 ms + 32 × ~7 ms of recovery thread on a quiet core). Each account posts over its own keep-alive connections
 *   (8), as a client process with one key does (an SDK's HTTP transport): the exchange's signer
 *   hint per connection then names the right key. `EXCHANGE_BENCH_SHARED=1` sends every account's
 *   actions over one shared pool of connections instead (many signers per connection, as
 *   through a proxy): the hint misses and the full recovery answers. Goal ≥ 1,000/s. An action is answered once the
 *   block after its arrival is written, ~1.5–2 block gaps (100–150 ms) later whatever the
 *   exchange's speed, so by Little's law 64 in flight can never show more than ~500/s: a
 *   capacity figure needs the queue deep enough for the exchange, not the block clock, to be
 *   the limit (`EXCHANGE_BENCH_IN_FLIGHT` changes it; `blocksPerS` shows the market kept pace).
 * - `exchange.recover_per_s`: signer recoveries per second on this thread (one per action: the
 *   mainnet source), the machine's single-core baseline; `ratio` of the first figure is
 *   actions/s ÷ this baseline (above 1: the exchange answers faster than one core can even
 *   fully recover the signatures).
 * - `exchange.candidate_verify_per_s`: the same signatures confirmed against their known signer
 *   (src/sign/signer-check.ts, table built), per second on this thread, measured beside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { actionHash, addressFromPrivateKey, phantomAgentDigest, randomPrivateKey, recoverDigestSigner, signL1Action } from '../src/sign/index.js';
import { privateKeyBytes, recoverableBytes } from '../src/sign/keys.js';
import { createSignerChecker, signerJob } from '../src/sign/signer-check.js';
import { startSimulator } from '../src/sim/index.js';
import type { Report } from './run.js';

const ACTIONS = Number(process.env.EXCHANGE_BENCH_ACTIONS ?? 3000);
const IN_FLIGHT = Number(process.env.EXCHANGE_BENCH_IN_FLIGHT ?? 256);
// 8 in flight per account: HTTP connections are served in any order, and an account's nonce
// more than 100 behind the ones already applied is refused (the public rule), as a client
// pipelining hundreds of actions on one key would see on mainnet.
const PER_ACCOUNT = 8;
const ACCOUNTS = Math.max(8, Math.ceil(IN_FLIGHT / PER_ACCOUNT));
const SHARED = process.env.EXCHANGE_BENCH_SHARED === '1';
const ETH = 1;

/** The lists merged in a random order (fixed seed) that keeps each list's own order. */
function interleave(lists: string[][], seed: number): string[] {
  const at = lists.map(() => 0);
  const out: string[] = [];
  let state = seed;
  for (;;) {
    const open = lists.flatMap((l, k) => (at[k]! < l.length ? [k] : []));
    if (open.length === 0) return out;
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    // The high bits: an LCG's low bits cycle with short periods.
    const k = open[(state >>> 16) % open.length]!;
    out.push(lists[k]![at[k]!++]!);
  }
}

function post(agent: Agent, url: URL, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Full recoveries and candidate checks per second on this thread, interleaved in rounds. */
function signerRates(): { recover: number; verify: number } {
  const key = randomPrivateKey();
  const candidate = secp256k1.getPublicKey(privateKeyBytes(key), false).subarray(1);
  const checker = createSignerChecker(secp256k1, keccak_256);
  const signed = Array.from({ length: 100 }, (_, nonce) => {
    const action = { type: 'noop' };
    const signature = signL1Action({ privateKey: key, action, nonce, isMainnet: true });
    return { hash: actionHash({ action, nonce }), signature };
  });
  // Builds the tables (once per key and thread in the exchange), outside the timing.
  checker.run(signerJob(phantomAgentDigest(signed[0]!.hash, 'a'), recoverableBytes(signed[0]!.signature), candidate), 0);
  let recoverMs = 0;
  let verifyMs = 0;
  for (let round = 0; round < 4; round++) {
    let t0 = performance.now();
    for (const { hash, signature } of signed) recoverDigestSigner(phantomAgentDigest(hash, 'a'), signature);
    recoverMs += performance.now() - t0;
    t0 = performance.now();
    for (const { hash, signature } of signed) {
      const out = checker.run(signerJob(phantomAgentDigest(hash, 'a'), recoverableBytes(signature), candidate), 0);
      if (out[0] !== 'c') throw new Error(`the candidate check missed its own signer: ${out}`);
    }
    verifyMs += performance.now() - t0;
  }
  const n = 4 * signed.length;
  return { recover: n / (recoverMs / 1000), verify: n / (verifyMs / 1000) };
}

export async function run(report: Report): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hlob-bench-exchange-'));
  const sim = await startSimulator({ dataDir, infoPort: 0, profile: 'mainnet', speed: 'realtime', seed: 11, keepMinutes: 0 });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  try {
    const exchangeUrl = new URL(sim.exchangeUrl!);
    const infoUrl = new URL(sim.infoUrl);
    const keys = Array.from({ length: ACCOUNTS }, () => randomPrivateKey());
    // Naming each account opens it with the starting balances.
    for (const k of keys) await post(agent, infoUrl, JSON.stringify({ type: 'clearinghouseState', user: addressFromPrivateKey(k) }));
    const [, coins] = sim.snapshot();
    const bestBid = Number(coins.find(([c]) => c === 'ETH')![1][0][0]![1].limitPx);
    // Far below the market: every order rests (an ALO that would cross is refused cheaper).
    const price = (Math.floor(bestBid * 0.8 * 10) / 10).toFixed(1);
    const start = Date.now();
    // Account k's actions, in its nonce order: PER_ACCOUNT to warm up, then its share of ACTIONS.
    const bodies = keys.map((key, k) =>
      Array.from({ length: PER_ACCOUNT + Math.floor(ACTIONS / ACCOUNTS) + (k < ACTIONS % ACCOUNTS ? 1 : 0) }, (_, i) => {
        const action = { type: 'order', orders: [{ a: ETH, b: true, p: price, s: '0.01', r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' };
        const nonce = start + i;
        return JSON.stringify({ action, nonce, signature: signL1Action({ privateKey: key, action, nonce, isMainnet: true }) });
      }),
    );
    // Sockets idle while signing may have been closed by the server: fresh ones for the run.
    agent.destroy();
    // One keep-alive pool per account (a client process with its key), or one shared by all.
    const sharedAgent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const agents = keys.map(() => (SHARED ? sharedAgent : new Agent({ keepAlive: true, maxSockets: PER_ACCOUNT })));
    let resting = 0;
    let firstRefusal: string | undefined;
    // Shared: the accounts' actions in a random interleaving (each account's in its nonce order:
    // a proxy's mix; round-robin would give each loop, and so each socket, a single account);
    // else account k's PER_ACCOUNT loops take its own actions, over its own connections.
    const queues = SHARED ? [interleave(bodies, 0x5eed)] : bodies;
    const next = queues.map(() => 0);
    /** IN_FLIGHT loops posting one after another, each at most `each` actions. */
    const drive = (each: number): Promise<unknown> =>
      Promise.all(
        Array.from({ length: IN_FLIGHT }, async (_, loop) => {
          const q = SHARED ? 0 : loop % ACCOUNTS;
          const agentOf = SHARED ? sharedAgent : agents[q]!;
          for (let n = 0; n < each && next[q]! < queues[q]!.length; n++) {
            const answer = await post(agentOf, exchangeUrl, queues[q]![next[q]!++]!);
            if (answer.includes('"resting"')) resting++;
            else firstRefusal ??= answer;
          }
        }),
      );
    // Warm-up, before the clock: one action per loop (per connection), paying once what a client
    // pays once (connecting, its key's first full recovery on that connection, the key's tables).
    await drive(1);
    const before = sim.stats().exchange?.recoveries;
    let blocks = 0;
    const onBlock = (): void => {
      blocks++;
    };
    sim.on('block', onBlock);
    const t0 = performance.now();
    await drive(Infinity);
    const seconds = (performance.now() - t0) / 1000;
    sim.off('block', onBlock);
    sharedAgent.destroy();
    for (const a of agents) a.destroy();
    const after = sim.stats().exchange?.recoveries;
    const perSecond = ACTIONS / seconds;
    const rates = signerRates();
    const baseline = rates.recover;
    if (resting !== ACTIONS + ACCOUNTS * PER_ACCOUNT)
      throw new Error(`only ${resting} of ${ACTIONS + ACCOUNTS * PER_ACCOUNT} orders rested: the bench measured refusals, the first: ${firstRefusal}`);
    report({
      bench: 'exchange.actions_per_s',
      value: Math.round(perSecond),
      unit: 'actions/s',
      ratio: Math.round((perSecond / baseline) * 100) / 100,
      goal: '>= 1000',
      actions: ACTIONS,
      inFlight: IN_FLIGHT,
      connections: SHARED ? 'shared by all accounts' : `${PER_ACCOUNT} per account`,
      warmUp: `${ACCOUNTS * PER_ACCOUNT} actions (one per connection) before the clock`,
      ...(before && after
        ? { candidateHits: after.candidate - before.candidate, fullRecoveries: after.full - before.full, onMarketThread: after.here - before.here }
        : {}),
      profile: 'mainnet',
      blocksPerS: Math.round((blocks / seconds) * 10) / 10,
    });
    report({ bench: 'exchange.recover_per_s', value: Math.round(baseline), unit: 'recoveries/s' });
    report({
      bench: 'exchange.candidate_verify_per_s',
      value: Math.round(rates.verify),
      unit: 'checks/s',
      ratio: Math.round((rates.verify / baseline) * 100) / 100,
    });
  } finally {
    agent.destroy();
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
