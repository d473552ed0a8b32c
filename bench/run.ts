/**
 * `npm run bench [-- <group>…]`: runs benchmark groups (bench/<group>.ts, each exporting
 * `run(report)`), prints one JSON line per figure and writes bench/results/<group>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** `goal` is `"<= 1.5"`, `">= 5000"`, `"< 5"`…: whether `x` meets it. */
export function meets(x: number, goal: string): boolean {
  const m = /^\s*(<=|>=|<|>)\s*([\d.eE+-]+)\s*$/.exec(goal);
  if (!m) throw new Error(`bad goal ${JSON.stringify(goal)}`);
  const g = Number(m[2]);
  switch (m[1]) {
    case '<=': return x <= g;
    case '>=': return x >= g;
    case '<': return x < g;
    default: return x > g;
  }
}

/** Every group, in the order `npm run bench` runs them. */
export const GROUPS = ['book', 'sim', 'ingest', 'streaming', 'fanout', 'scale', 'exchange', 'trading', 'connector', 'web', 'scaleout'] as const;

const here = dirname(fileURLToPath(import.meta.url));
// Results live in the source tree's bench/results, not under dist/.
const resultsDir = join(here, '..', '..', 'bench', 'results');

async function runGroup(group: string): Promise<void> {
  const mod = (await import(`./${group}.js`)) as { run: (report: Report) => Promise<void> | void };
  const figures: Figure[] = [];
  await mod.run((f) => {
    const line: Figure = { ...f };
    // A group whose goal is on the ratio (not the value) sets `met` itself.
    if (line.goal !== undefined && line.met === undefined) line.met = meets(line.value, line.goal);
    figures.push(line);
    process.stdout.write(JSON.stringify(line) + '\n');
  });
  writeResults(group, figures);
}

/** bench/results/<group>.json: the figures of the latest run of a group. */
export function writeResults(group: string, figures: Figure[]): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${group}.json`), JSON.stringify({ group, at: new Date().toISOString(), figures }, null, 2) + '\n');
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
