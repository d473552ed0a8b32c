import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { textFrame } from '../../src/server/ws-frame.js';

// ws's Sender is not in its type definitions.
const { Sender } = createRequire(import.meta.url)('ws') as { Sender: { frame(d: Buffer, o: object): Buffer[] } };

describe('textFrame', () => {
  it("is byte for byte what ws's own sender frames, at every length boundary", () => {
    for (const n of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
      const payload = Buffer.alloc(n, 0x61);
      const ref = Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
      expect(textFrame(payload).equals(ref), `length ${n}`).toBe(true);
    }
  });
});
