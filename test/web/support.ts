/**
 * What the browser tests run against: `hl-orderbook serve` in a process
 * of its own (killed and started again on the same port), on a simulated node in this
 * process, and Debian's Chromium driven by playwright-core with a fresh profile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export { CHROMIUM, CHROMIUM_ARGS, launchChromium } from '../../bench/browser.js';

/** The project root (this file is test/web/support.ts, or dist/test/… never: tests run from source). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function builtPageMissing(): string | null {
  for (const f of ['dist/src/cli/main.js', 'dist/web/index.html', 'dist/web/app.js']) {
    if (!existsSync(join(ROOT, f))) return `${f} is missing: run \`npm run build\``;
  }
  return null;
}

export interface ServeProcess {
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The server's output so far (for failure messages). */
  output(): string;
  /** SIGKILL (a crash) or SIGTERM (a clean stop); resolves once it exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `hl-orderbook serve` on the data dir; resolves once it listens (port 0 = any free port). */
export async function spawnServe(dataDir: string, infoUrl: string, port: number): Promise<ServeProcess> {
  const args = [
    join(ROOT, 'dist/src/cli/main.js'),
    'serve',
    '--data-dir',
    dataDir,
    '--info-url',
    infoUrl,
    '--port',
    String(port),
    '--wait',
    '--log-level',
    'info',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const bound = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      text += line + '\n';
      try {
        const j = JSON.parse(line) as { msg?: string; url?: string };
        if (j.msg === 'listening' && typeof j.url === 'string') resolve(Number(new URL(j.url).port));
      } catch {
        // Not a log line.
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening:\n${text}`)));
  });
  return {
    port: bound,
    child,
    exited,
    output: () => text,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
