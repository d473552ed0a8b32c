/**
 * `npm run bench [-- <group>…]`: runs benchmark groups (bench/<group>.ts, each exporting
 * `run(report)`), prints one JSON line per figure and writes bench/results/<group>.json
 * with the machine it ran on (cpu, cores, Node, load average at the group's start).
 *
 * A goal is judged on a ratio to a baseline measured in the same run (`ratio`), never on an
 * absolute figure: the same code reads 2-3x apart on machines with slower memory or under
 * load. A figure with a goal and no ratio is reported on stderr as a bench defect.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { meets } from './goal.js';
import { machine, type Machine } from './machine.js';

// Groups import `meets` from goal.ts: importing this module from a group would wait on its
// own top-level await (a cycle that never settles).
export { meets };

export interface Figure {
  bench: string;
  value: number;
  unit: string;
  ratio?: number;
  goal?: string;
  met?: boolean;
  [extra: string]: unknown;
}

export type Report = (figure: Figure) => void;

/** Every group, in the order `npm run bench` runs them. */
export const GROUPS = ['book', 'sim', 'ingest', 'streaming', 'fanout', 'scale', 'exchange', 'trading', 'connector', 'web', 'scaleout'] as const;

const here = dirname(fileURLToPath(import.meta.url));
// Results live in the source tree's bench/results, not under dist/.
const resultsDir = join(here, '..', '..', 'bench', 'results');

async function runGroup(group: string): Promise<void> {
  const mod = (await import(`./${group}.js`)) as { run: (report: Report) => Promise<void> | void };
  const at = machine();
  process.stderr.write(`bench ${group}: ${at.cpu}, ${at.cores} cores, ${at.memGb} GB, Node ${at.node}, load average ${at.loadavg.join(' ')}\n`);
  const figures: Figure[] = [];
  await mod.run((f) => {
    const line: Figure = { ...f };
    // A group whose goal is on the ratio (not the value) sets `met` itself.
    if (line.goal !== undefined && line.met === undefined) line.met = meets(line.value, line.goal);
    if (line.goal !== undefined && line.ratio === undefined) process.stderr.write(`bench ${group}: ${line.bench} has a goal but no same-run ratio\n`);
    figures.push(line);
    process.stdout.write(JSON.stringify(line) + '\n');
  });
  writeResults(group, figures, at);
}

/** bench/results/<group>.json: the figures of the latest run of a group, and the machine. */
export function writeResults(group: string, figures: Figure[], at: Machine = machine()): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${group}.json`), JSON.stringify({ group, at: new Date().toISOString(), machine: at, figures }, null, 2) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const asked = process.argv.slice(2);
  const groups = asked.length > 0 ? asked : [...GROUPS];
  for (const g of groups) {
    if (!(GROUPS as readonly string[]).includes(g)) {
      process.stderr.write(`unknown bench group ${JSON.stringify(g)}; groups: ${GROUPS.join(', ')}\n`);
      process.exit(2);
    }
  }
  for (const g of groups) await runGroup(g);
}
