/**
 * The package's public surface (`package.json` `exports`): the entries a user imports by
 * name resolve to built files with their types, and the program's internals (server, state,
 * node, cli) are not reachable. Runs against `dist/` (`npm run build`), as a user would.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, string | { types: string; default: string }>;
};

/** Imports `specifier` by the package's own name (Node's self-reference) in a fresh process; the export names, or the error code. */
function load(specifier: string): string {
  const code = `import(${JSON.stringify(specifier)}).then((m) => console.log(Object.keys(m).sort().join(',')), (e) => console.log('ERR ' + e.code))`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' }).trim();
}

describe('package exports', () => {
  it('are the deliberate entries, each a built file with its types', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './client', './connector', './book', './sim', './package.json']);
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(existsSync(join(ROOT, target.default)), `${entry}: ${target.default} (run npm run build)`).toBe(true);
      expect(existsSync(join(ROOT, target.types)), `${entry}: ${target.types}`).toBe(true);
    }
  });

  it('resolve by name, and internals do not', () => {
    expect(load(`${pkg.name}/client`).split(',')).toEqual(expect.arrayContaining(['ClientBuilder', 'Subscriptions', 'L4BookTracker', 'SERVER_ERROR_PREFIX']));
    expect(load(pkg.name).split(',')).toEqual(expect.arrayContaining(['ErrorCodes', 'HlobError', 'codedError']));
    expect(load(`${pkg.name}/dist/src/server/index.js`)).toBe('ERR ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(load(`${pkg.name}/state`)).toBe('ERR ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
