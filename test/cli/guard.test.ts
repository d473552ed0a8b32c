import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('the command line', () => {
  it('refuses an argument containing the node binary name, exit 2 with the reason', () => {
    const bad = ['--data-dir', `/tmp/${['hl', 'node'].join('-')}/data`];
    const r = spawnSync(process.execPath, ['dist/src/cli/main.js', ...bad], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/kills any process/);
  });
});
