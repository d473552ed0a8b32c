/**
 * The simulator's long acceptance run (not a bench group; run it by hand):
 *
 *   npm run build && node dist/bench/sim-acceptance.js [--blocks 20000] [--profile stress] [--keep-files]
 *
 * Simulates at `--speed max` and verifies every block as soon as it is written, reading it
 * back from the files: check-data's invariants (the same `DataChecker`) from the
 * simulator's starting snapshot, and the engine applying it with zero desyncs; at the end
 * the engine must equal the snapshot the info server writes. A stress block weighs ~2.7 MB,
 * so 20,000 of them would fill 54 GB: unless `--keep-files`, each stream file is emptied once
 * its line is verified (the simulator appends, so its next line starts the file again).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Books, nodeTimeMs, type Block } from '../src/book/index.js';
import { STREAM_PREFIXES } from '../src/node/format.js';
import { DataChecker, parseBlockLine, type BlockPart } from '../src/sim/check-data.js';
import { hourlyFiles } from '../src/sim/node-files.js';
import { startSimulator, type ProfileName } from '../src/sim/index.js';
import { readSnapshotFile } from '../src/sim/snapshot-file.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const blocks = Number(arg('--blocks', '20000'));
const profile = arg('--profile', 'stress') as ProfileName;
const keepFiles = process.argv.includes('--keep-files');
const dataDir = mkdtempSync(join(tmpdir(), 'hlob-sim-acceptance-'));
const t0 = performance.now();
const sim = await startSimulator({
  dataDir,
  infoPort: 0,
  speed: 'max',
  profile,
  maxBlocks: blocks,
  seed: 2026,
  startTime: '2026-06-30T23:50:00',
  keepMinutes: Infinity,
});
const start = sim.snapshot();
const checker = new DataChecker(start, 50);
const books = Books.fromSnapshot(start);
let desyncs = 0;
let unmatched = 0;
let verified = 0;
let bytes = 0;
let maxFile = 0;
let failure: Error | undefined;
/** Per stream: the file its last line was read from, and the offset after it. */
const cursors = STREAM_PREFIXES.map(() => ({ file: '', offset: 0 }));

/** Files of a stream newer than or equal to `file`, found again after an hourly roll. */
function currentFile(i: number): string {
  const dir = join(dataDir, `${STREAM_PREFIXES[i]}_by_block`, 'hourly');
  const dates = readdirSync(dir).sort();
  const last = dates[dates.length - 1]!;
  const hours = readdirSync(join(dir, last)).sort((a, b) => Number(a) - Number(b));
  return join(dir, last, hours[hours.length - 1]!);
}

function readPart(i: number, height: number): BlockPart {
  const c = cursors[i]!;
  let file = c.file || currentFile(i);
  let text = readFileSync(file, 'latin1').slice(c.offset);
  if (text === '') {
    // Rolled over to the next hour's file.
    file = currentFile(i);
    c.offset = 0;
    text = readFileSync(file, 'latin1');
  }
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines.length !== 1) throw new Error(`${file}: expected exactly the line of block ${height}, found ${lines.length}`);
  bytes += text.length;
  maxFile = Math.max(maxFile, statSync(file).size);
  if (keepFiles) c.offset += text.length;
  else {
    truncateSync(file, 0);
    c.offset = 0;
  }
  c.file = file;
  const part = parseBlockLine({ file, line: 1, text: lines[0]! }, checker);
  if (!part || part.height !== height) throw new Error(`${file}: block ${height} expected, got ${part?.height}`);
  return part;
}

sim.on('block', (height) => {
  if (failure) return;
  try {
    const [s, d, f] = [0, 1, 2].map((i) => readPart(i, height)) as [BlockPart, BlockPart, BlockPart];
    if (height <= start[0]) return;
    checker.checkBlock(height, s, d, f);
    const block: Block = {
      height,
      time: nodeTimeMs(s.blockTime),
      statuses: s.events as Block['statuses'],
      diffs: d.events as Block['diffs'],
      fills: f.events as Block['fills'],
    };
    const change = books.applyBlock(block);
    desyncs += change.desyncs.length;
    unmatched += change.unmatchedFills.length;
    verified++;
    if (verified % 1000 === 0) {
      const s = sim.stats();
      process.stderr.write(
        `${verified} blocks verified (${((performance.now() - t0) / 1000).toFixed(0)} s, ${s.statuses} statuses, ${s.restingOrders} resting, ${checker.violationCount} violations, ${desyncs} desyncs)\n`,
      );
    }
  } catch (err) {
    failure = err as Error;
    void sim.stop();
  }
});

await sim.done;
const out = join(dataDir, 'end-snapshot.json');
const res = await fetch(sim.infoUrl, {
  method: 'POST',
  body: JSON.stringify({
    type: 'fileSnapshot',
    request: { type: 'l4Snapshots', includeUsers: true, includeTriggerOrders: false },
    outPath: out,
    includeHeightInOutput: true,
  }),
});
const end = await readSnapshotFile(out);
const stats = sim.stats();
await sim.stop();
const seconds = (performance.now() - t0) / 1000;
const files = STREAM_PREFIXES.map((s) => hourlyFiles(join(dataDir, `${s}_by_block`, 'hourly')));
const result = {
  profile,
  blocks: stats.blocks,
  verified,
  startHeight: start[0],
  endHeight: end[0],
  statuses: stats.statuses,
  rejected: stats.rejected,
  diffs: stats.diffs,
  fills: stats.fills,
  bytesWritten: stats.bytes,
  bytesVerified: bytes,
  largestFileBytes: maxFile,
  hourlyFiles: (await Promise.all(files)).flat().map((f) => f.slice(dataDir.length + 1)),
  restingOrdersAtEnd: stats.restingOrders,
  violations: checker.violationCount,
  firstViolations: checker.violations.slice(0, 5),
  desyncs,
  unmatchedFills: unmatched,
  snapshotAnswer: res.status,
  engineEqualsEndSnapshot: books.height === end[0] && books.compare(end) === null,
  seconds: Math.round(seconds),
  failure: failure?.message ?? null,
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
rmSync(dataDir, { recursive: true, force: true });
process.exit(result.violations === 0 && desyncs === 0 && unmatched === 0 && result.engineEqualsEndSnapshot && !failure && verified === blocks - 1 ? 0 : 1);
