/**
 * `npm run bench -- exchange`: what the simulated node's paper exchange sustains while its
 * market runs (mainnet profile, real time, 14.6 blocks/s).
 * - `exchange.actions_per_s`: signed `order` actions (an ALO bid each, resting) answered per
 *   second, 256 in flight over keep-alive HTTP from 32 accounts (8 each); signing happens before the
 *   clock starts (it is the client's cost). Goal ≥ 1,000/s. An action is answered once the
 *   block after its arrival is written, ~1.5–2 block gaps (100–150 ms) later whatever the
 *   exchange's speed, so by Little's law 64 in flight can never show more than ~500/s: a
 *   capacity figure needs the queue deep enough for the exchange, not the block clock, to be
 *   the limit (`EXCHANGE_BENCH_IN_FLIGHT` changes it; `blocksPerS` shows the market kept pace).
 * - `exchange.recover_per_s`: signer recoveries per second on this thread (one per action: the
 *   mainnet source), the machine's single-core baseline; `ratio` of the first figure is
 *   actions/s ÷ this baseline (above 1: the exchange answers faster than one core can even
 *   check the signatures, the recoveries running on worker threads).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionHash, addressFromPrivateKey, phantomAgentDigest, randomPrivateKey, recoverDigestSigner, signL1Action } from '../src/sign/index.js';
import { startSimulator } from '../src/sim/index.js';
import type { Report } from './run.js';

const ACTIONS = Number(process.env.EXCHANGE_BENCH_ACTIONS ?? 3000);
const IN_FLIGHT = Number(process.env.EXCHANGE_BENCH_IN_FLIGHT ?? 256);
// 8 in flight per account: HTTP connections are served in any order, and an account's nonce
// more than 100 behind the ones already applied is refused (the public rule), as a client
// pipelining hundreds of actions on one key would see on mainnet.
const ACCOUNTS = Math.max(8, Math.ceil(IN_FLIGHT / 8));
const ETH = 1;

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

function recoverRate(): number {
  const key = randomPrivateKey();
  const action = { type: 'noop' };
  const signature = signL1Action({ privateKey: key, action, nonce: 1, isMainnet: true });
  const hash = actionHash({ action, nonce: 1 });
  const n = 400;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) recoverDigestSigner(phantomAgentDigest(hash, i & 1 ? 'a' : 'b'), signature);
  return n / ((performance.now() - t0) / 1000);
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
    const bodies = Array.from({ length: ACTIONS }, (_, i) => {
      const action = { type: 'order', orders: [{ a: ETH, b: true, p: price, s: '0.01', r: false, t: { limit: { tif: 'Alo' } } }], grouping: 'na' };
      const nonce = start + Math.floor(i / ACCOUNTS);
      return JSON.stringify({ action, nonce, signature: signL1Action({ privateKey: keys[i % ACCOUNTS]!, action, nonce, isMainnet: true }) });
    });
    // Sockets idle while signing may have been closed by the server: fresh ones for the run.
    agent.destroy();
    const runAgent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    let next = 0;
    let resting = 0;
    let firstRefusal: string | undefined;
    let blocks = 0;
    const onBlock = (): void => {
      blocks++;
    };
    sim.on('block', onBlock);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < bodies.length) {
          const answer = await post(runAgent, exchangeUrl, bodies[next++]!);
          if (answer.includes('"resting"')) resting++;
          else firstRefusal ??= answer;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    sim.off('block', onBlock);
    runAgent.destroy();
    const perSecond = ACTIONS / seconds;
    const baseline = recoverRate();
    if (resting !== ACTIONS) throw new Error(`only ${resting} of ${ACTIONS} orders rested: the bench measured refusals, the first: ${firstRefusal}`);
    report({
      bench: 'exchange.actions_per_s',
      value: Math.round(perSecond),
      unit: 'actions/s',
      ratio: Math.round((perSecond / baseline) * 100) / 100,
      goal: '>= 1000',
      actions: ACTIONS,
      inFlight: IN_FLIGHT,
      profile: 'mainnet',
      blocksPerS: Math.round((blocks / seconds) * 10) / 10,
    });
    report({ bench: 'exchange.recover_per_s', value: Math.round(baseline), unit: 'recoveries/s' });
  } finally {
    agent.destroy();
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
