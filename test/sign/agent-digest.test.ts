/**
 * The phantom agent's digest, hashed from precomputed constants, equals the generic EIP-712
 * walk's for any connection id and either source (the published vectors pin the rest).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { L1_DOMAIN, phantomAgentDigest, typedDataDigest } from '../../src/sign/index.js';
import { toHex } from '../../src/sign/hex.js';

const AGENT = {
  Agent: [
    { name: 'source', type: 'string' },
    { name: 'connectionId', type: 'bytes32' },
  ],
};

describe('phantomAgentDigest', () => {
  it('is the generic typed-data digest of {source, connectionId}', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom('a' as const, 'b' as const), (id, source) => {
        const connectionId = toHex(id);
        expect(phantomAgentDigest(connectionId, source)).toEqual(typedDataDigest(L1_DOMAIN, AGENT, 'Agent', { source, connectionId }));
      }),
      { seed: 712, numRuns: 500 },
    );
  });

  it('refuses a connection id that is not 32 bytes, naming it', () => {
    expect(() => phantomAgentDigest('0x1234', 'a')).toThrow(/Agent\.connectionId must be 32 bytes/);
  });
});
