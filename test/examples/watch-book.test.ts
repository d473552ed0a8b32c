/**
 * Runs the built example (`dist/examples/watch-book.js`, as `npm run example:watch` does)
 * against a peer on 127.0.0.1 that serves `l4Book` from real mainnet data, and reads its
 * top-of-book lines.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { Block } from '../../src/book/index.js';
import { loadBlocks, loadSnapshot, MAIN } from '../book/fixtures.js';
import { ScriptedPeer } from '../client/support/scripted-peer.js';
import { snapshotFrame, updatesFrame } from '../client/support/l4-frames.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'dist', 'examples', 'watch-book.js');

let peer: ScriptedPeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

describe('examples/watch-book', () => {
  it('prints one top-of-book line per block from the replica', async () => {
    expect(existsSync(EXAMPLE), `${EXAMPLE} is built by npm test (npm run build)`).toBe(true);
    const snapshot = loadSnapshot(MAIN);
    const blocks = loadBlocks(MAIN).slice(0, 3);
    peer = await ScriptedPeer.start({
      extraTypes: ['l4Book'],
      onSubscribe: (sub, send) => {
        if (sub.type !== 'l4Book') return;
        send(snapshotFrame(snapshot, 'BTC', (blocks[0] as Block).time - 1));
        for (const b of blocks) send(updatesFrame(b, 'BTC'));
      },
    });
    const child = spawn(process.execPath, [EXAMPLE, 'BTC', '--url', peer.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    try {
      for await (const line of createInterface({ input: child.stdout })) {
        lines.push(line);
        if (lines.length === 4) break;
      }
    } finally {
      child.kill('SIGINT');
    }
    expect(lines[0]).toMatch(/^985148181 .* \(snapshot\)$/);
    expect(lines[1]).toBe('985148182  17:39:13.024  BTC  bid 81307.0 × 0.20195 (4)  ask 81308.0 × 6.08174 (49)  mid 81307.5');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['985148181', '985148182', '985148183', '985148184']);
  });
});
