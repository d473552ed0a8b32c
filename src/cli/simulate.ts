/**
 * `hl-orderbook simulate`, `replay` and `check-data`: the simulated node, the replay of
 * recorded node data, and the checker of node output. Bad use (bad flags, a data directory
 * that cannot be written, a port in use) prints one line and exits with code 2.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { HlobError } from '../errors.js';
import { checkNodeData } from '../sim/check-data.js';
import { DEFAULT_COINS } from '../sim/market.js';
import { PROFILE_NAMES, type ProfileName } from '../sim/profiles.js';
import { startReplay } from '../sim/replay.js';
import type { RunningSim } from '../sim/running-node.js';
import { startSimulator } from '../sim/simulator.js';

/** Exit code of bad use (flags, directories, ports). */
const USAGE = 2;

function fail(command: string, message: string, code = USAGE): never {
  process.stderr.write(`hl-orderbook ${command}: ${message}\n`);
  process.exit(code);
}

function int(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return n;
  };
}

function num(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}.`);
    return n;
  };
}

/** Commander's own errors (unknown flag, bad value) exit with the usage code too. */
function usageExits(cmd: Command): Command {
  return cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : USAGE));
}

/** Run until done (then stay up unless asked to exit) or until SIGINT/SIGTERM. */
async function supervise(name: string, sim: RunningSim, exitWhenDone: boolean): Promise<void> {
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await sim.stop();
    const s = sim.stats();
    process.stderr.write(`hl-orderbook ${name}: stopped at height ${sim.height()} after ${s.blocks} blocks\n`);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  try {
    await sim.done;
  } catch (err) {
    await sim.stop().catch(() => undefined);
    fail(name, (err as Error).message, 1);
  }
  if (stopping) return;
  const s = sim.stats();
  const summary = `${s.blocks} blocks up to height ${sim.height()}: ${s.statuses} statuses (${s.rejected} rejected), ${s.diffs} diffs, ${s.fills} fills, ${s.bytes} bytes`;
  if (exitWhenDone) {
    await sim.stop();
    process.stderr.write(`hl-orderbook ${name}: done, ${summary}\n`);
    process.exit(0);
  }
  process.stderr.write(`hl-orderbook ${name}: done, ${summary}; the info server still answers on ${sim.infoUrl} (Ctrl-C to stop)\n`);
}

/** The `simulate` flags as commander parses them. */
interface SimulateFlags {
  dataDir: string;
  infoPort: number;
  seed: number;
  profile: ProfileName;
  eventsPerBlock?: number;
  blocksPerSecond: number;
  speed: 'realtime' | 'max';
  coins: number;
  restingOrders: number;
  maxBlocks?: number;
  startTime?: string;
  keepMinutes: number;
  streaming: boolean;
  layout: string;
  partialWrites: boolean;
  faults?: string;
  exitWhenDone: boolean;
}

/** Start a simulator (bad use: one line and the usage exit code), or rethrow what is not ours. */
async function started(command: string, start: () => Promise<RunningSim>): Promise<RunningSim> {
  try {
    return await start();
  } catch (err) {
    if (err instanceof HlobError) fail(command, err.message);
    throw err;
  }
}

async function runSimulate(o: SimulateFlags): Promise<void> {
  const sim = await started('simulate', () =>
    startSimulator({
      dataDir: o.dataDir,
      infoPort: o.infoPort,
      seed: o.seed,
      profile: o.profile,
      eventsPerBlock: o.eventsPerBlock,
      blocksPerSecond: o.blocksPerSecond,
      speed: o.speed,
      coins: o.coins,
      restingOrders: o.restingOrders,
      maxBlocks: o.maxBlocks,
      startTime: o.startTime,
      keepMinutes: o.keepMinutes,
      layout: o.streaming ? 'both' : (o.layout as 'by-block' | 'streaming' | 'both'),
      partialWrites: o.partialWrites,
      faults: o.faults,
    }),
  );
  process.stderr.write(
    `hl-orderbook simulate: writing ${sim.dataDir} (profile ${o.profile}, ${o.coins} coins, ${o.restingOrders} resting orders, seed ${o.seed}, speed ${o.speed}${o.faults === undefined ? '' : `, faults ${o.faults}`}); info server ${sim.infoUrl}\n`,
  );
  await supervise('simulate', sim, o.exitWhenDone);
}

function registerSimulate(program: Command): void {
  usageExits(
    program
      .command('simulate')
      .description(
        "run a simulated Hyperliquid node: write the node's by-block files and answer its info server (fileSnapshot, meta, spotMeta, metaAndAssetCtxs, spotMetaAndAssetCtxs, perpDexs, allPerpMetas, exchangeStatus)",
      )
      .requiredOption('--data-dir <dir>', "where to write the node's files (like ~/hl/data)")
      .option('--info-port <port>', 'info server port on 127.0.0.1 (0: a free one)', int('--info-port', 0, 65535), 3001)
      .option('--seed <n>', 'same seed, same files', int('--seed', 0, 2 ** 32 - 1), 1)
      .addOption(new Option('--profile <name>', 'order flow preset').choices(PROFILE_NAMES as string[]).default('mainnet'))
      .option('--events-per-block <n>', "order statuses per block instead of the profile's rate", int('--events-per-block', 0, 1_000_000))
      .option('--blocks-per-second <n>', 'block rate', num('--blocks-per-second', 0.01, 1000), 14.6)
      .addOption(new Option('--speed <speed>', 'realtime, or max: as fast as possible').choices(['realtime', 'max']).default('realtime'))
      .option('--coins <n>', `number of coins (${DEFAULT_COINS} fixed, then generated)`, int('--coins', 1, 4000), DEFAULT_COINS)
      .option('--resting-orders <n>', 'book size at the start, all coins', int('--resting-orders', 0, 2_000_000), 20_000)
      .option('--max-blocks <n>', 'stop producing after this many blocks', int('--max-blocks', 0))
      .option('--start-time <time>', 'simulated time of the first block (UTC, e.g. 2026-12-31T23:59:50); default: block_time is the wall clock')
      .option('--keep-minutes <n>', 'delete closed hourly files older than this', num('--keep-minutes', 0, 1e9), 60)
      .option('--streaming', 'also write the _streaming layout (= --layout both)', false)
      .option('--layout <layout>', "the node's output layout to write: by-block, streaming (events spaced through each block) or both", 'by-block')
      .option('--partial-writes', 'write lines in pieces, like a node with output buffering', false)
      .option('--faults <spec>', 'inject node faults, e.g. rate=0.002,snapshot-rate=0.3 or skip@100,pause@300:10s,snapshot-late@2:20s (docs/simulator.md)')
      .option('--exit-when-done', 'exit after --max-blocks instead of keeping the info server up', false)
      .action(runSimulate),
  );
}

function registerReplay(program: Command): void {
  usageExits(
    program
      .command('replay')
      .description('write recorded node data again (original spacing or at once) and serve its recorded L4 snapshot')
      .requiredOption('--from <dir>', 'recorded data: a directory holding hl/data/node_* (gzip or plain)')
      .requiredOption('--snapshot <file>', 'the recorded L4 snapshot (.gz ok)')
      .requiredOption('--data-dir <dir>', 'where to write the files')
      .option('--info-port <port>', 'info server port on 127.0.0.1 (0: a free one)', int('--info-port', 0, 65535), 3001)
      .addOption(new Option('--speed <speed>', '1x keeps the recorded spacing; max writes at once').choices(['1x', 'max']).default('1x'))
      .option('--exit-when-done', 'exit after the last block instead of keeping the info server up', false)
      .action(async (o: { from: string; snapshot: string; dataDir: string; infoPort: number; speed: '1x' | 'max'; exitWhenDone: boolean }) => {
        const sim = await started('replay', () =>
          startReplay({ from: o.from, snapshot: o.snapshot, dataDir: o.dataDir, infoPort: o.infoPort, speed: o.speed }),
        );
        process.stderr.write(`hl-orderbook replay: writing ${sim.dataDir} from ${o.from} (speed ${o.speed}); info server ${sim.infoUrl}\n`);
        await supervise('replay', sim, o.exitWhenDone);
      }),
  );
}

async function runCheckData(dir: string, o: { snapshot?: string; maxViolations: number }): Promise<void> {
  let report;
  try {
    report = await checkNodeData(dir, { snapshot: o.snapshot, maxViolations: o.maxViolations });
  } catch (err) {
    if (err instanceof HlobError) fail('check-data', err.message);
    throw err;
  }
  for (const v of report.violations) process.stdout.write(`${v.file}:${v.line}: ${v.height !== undefined ? `block ${v.height}: ` : ''}${v.message}\n`);
  const span = report.firstHeight === null ? 'no blocks' : `${report.blocks} blocks (${report.firstHeight}..${report.lastHeight})`;
  const counts = `${report.statuses} statuses, ${report.diffs} diffs, ${report.fills} fills, ${report.restingOrders} orders resting at the end`;
  if (report.violationCount === 0) {
    process.stdout.write(`check-data: ${report.dataDir}: ${span}, ${counts}: OK\n`);
    return;
  }
  const shown = report.violations.length < report.violationCount ? ` (first ${report.violations.length} shown)` : '';
  process.stdout.write(`check-data: ${report.dataDir}: ${span}, ${counts}: ${report.violationCount} violation(s)${shown}\n`);
  process.exitCode = 1;
}

function registerCheckData(program: Command): void {
  usageExits(
    program
      .command('check-data')
      .description('check node output (real or simulated) against the invariants a real node keeps; exit code 1 on violations')
      .argument('<data-dir>', 'the node data directory (or a directory holding hl/data)')
      .option('--snapshot <file>', 'the L4 snapshot the data starts from (.gz ok): every oid must then be known')
      .option('--max-violations <n>', 'violations to print', int('--max-violations', 1, 100_000), 20)
      .action(runCheckData),
  );
}

/** `simulate`, `replay` and `check-data`. */
export function registerSimulateCommands(program: Command): void {
  registerSimulate(program);
  registerReplay(program);
  registerCheckData(program);
}
