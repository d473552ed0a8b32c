/**
 * `npm run bench -- web`: what open pages cost the server.
 *
 * - `web.page_clients_cost`: the server's CPU time (user + system, from /proc) per block
 *   with 20 pages open (each: an L4 replica of BTC, its trades and `serverStatus`), over
 *   the same with no page open, measured back to back on one server (`hl-orderbook serve`
 *   in its own process) reading the simulated node at the mainnet profile (in this process).
 *   The pages run in Debian's Chromium. Goal: 20 pages cost at most 1.5× the blocks alone.
 *
 * Short: two windows of `WEB_WINDOW_S` (default 10) seconds after a warm-up; about a minute
 * on a quiet machine. `WEB_PAGES` (default 20) sets the pages.
 */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import type { Report } from './run.js';
import { CHROMIUM, launchChromium } from './browser.js';
import { health, startSimServer, type SimServer } from './sim-server.js';

/** `WEB_PAGES` (default 20): fewer for a short run on a loaded machine (the goal is set for 20). */
const PAGES = Number(process.env.WEB_PAGES ?? 20);
const GOAL = '<= 1.5';
const windowS = Number(process.env.WEB_WINDOW_S ?? 10);

/** CPU seconds (user + system) a process used so far, from /proc/<pid>/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3 (state).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  return ticks / 100; // USER_HZ is 100 on Linux.
}

/** Server CPU ms per block over `seconds`. */
async function perBlock(s: SimServer, seconds: number): Promise<{ msPerBlock: number; blocks: number }> {
  const h0 = (await health(s.httpUrl)).height ?? 0;
  const c0 = await cpuSeconds(s.pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const h1 = (await health(s.httpUrl)).height ?? 0;
  const c1 = await cpuSeconds(s.pid);
  const blocks = h1 - h0;
  if (blocks <= 0) throw new Error(`no block in ${seconds} s: ${s.stderrTail()}`);
  return { msPerBlock: ((c1 - c0) * 1000) / blocks, blocks };
}

export async function run(report: Report): Promise<void> {
  const s = await startSimServer({ sim: { seed: 20260505, profile: 'mainnet' } });
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    for (let i = 0; i < 600 && (await health(s.httpUrl)).state !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 3_000));
    const none = await perBlock(s, windowS);

    // Twenty tabs share a few renderer processes: the server's side is what is measured.
    browser = await launchChromium({ width: 1280, height: 800 }, ['--renderer-process-limit=2']);
    // One after the other: twenty renderers starting at once swamp a small machine.
    for (let i = 0; i < PAGES; i++) {
      const page = await browser.context.newPage();
      await page.goto(`${s.httpUrl}/#BTC`, { waitUntil: 'commit', timeout: 120_000 });
      await page.waitForFunction(
        () =>
          Number(
            (globalThis as unknown as { document: { getElementById(id: string): { dataset: { height?: string } } | null } }).document.getElementById('ladder')
              ?.dataset.height,
          ) > 0,
        null,
        { timeout: 120_000 },
      );
      process.stderr.write(`web: page ${i + 1}/${PAGES} live\n`);
    }
    // Every page connected (a starved page may be between reconnects): the window counts them at both ends.
    for (let i = 0; i < 300 && (await health(s.httpUrl)).clients < PAGES; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 2_000));
    const clientsBefore = (await health(s.httpUrl)).clients;
    const open = await perBlock(s, windowS);
    const clients = Math.min(clientsBefore, (await health(s.httpUrl)).clients);

    const ratio = open.msPerBlock / none.msPerBlock;
    report({
      bench: 'web.page_clients_cost',
      value: Math.round(open.msPerBlock * 1000) / 1000,
      unit: `server CPU ms per block, ${PAGES} pages open`,
      ratio: Math.round(ratio * 100) / 100,
      goal: `ratio ${GOAL}`,
      met: ratio <= 1.5,
      baseline: Math.round(none.msPerBlock * 1000) / 1000,
      blocks: { none: none.blocks, pages: open.blocks },
      pages: PAGES,
      clients,
      windowS,
      browser: CHROMIUM,
      cores: cpus().length,
      load: Math.round(loadavg()[0]! * 10) / 10,
    });
  } finally {
    await browser?.close();
    await s.stop();
  }
}
