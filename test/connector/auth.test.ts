import { describe, expect, it } from 'vitest';
import { Auth, NonceManager, actionHash, addressFromPrivateKey, signL1Action } from '../../src/connector/index.js';
import { recoverL1ActionSigner } from '../../src/sign/index.js';

// Published vectors (shared/docs/signing-vectors.md): @nktkas/hyperliquid tests/signing/mod.test.ts,
// the Python SDK's tests/signing_test.py and the Rust SDK's exchange_client.rs.
const NK_KEY = '0x822e9959e022b78423eb653a62ea0020cd283e71a2a8133a6ff2aeffaf373cff';
const NK_ACTION = { type: 'order', orders: [{ a: 0, b: true, p: '30000', s: '0.1', r: false, t: { limit: { tif: 'Gtc' } } }], grouping: 'na' };
const PY_KEY = '0x0123456789012345678901234567890123456789012345678901234567890123';
const RS_KEY = '0xe908f86dbb4d55ac876378565aafeabc187f6690f046459397b17d9b9a19688e';

const pad = (h: string): string => '0x' + h.slice(2).padStart(64, '0');

describe('signing through hl-orderbook/connector (src/sign re-exported)', () => {
  it('reproduces the @nktkas/hyperliquid action hashes (base, vault, expiresAfter, both)', () => {
    const nonce = 1234567890;
    expect(actionHash({ action: NK_ACTION, nonce })).toBe('0x25367e0dba84351148288c2233cd6130ed6cec5967ded0c0b7334f36f957cc90');
    expect(actionHash({ action: NK_ACTION, nonce, vaultAddress: '0x1234567890123456789012345678901234567890' })).toBe(
      '0x214e2ea3270981b6fd18174216691e69f56872663139d396b10ded319cb4bb1e',
    );
    expect(actionHash({ action: NK_ACTION, nonce, expiresAfter: 1234567890 })).toBe('0xc30b002ba3775e4c31c43c1dfd3291dfc85c6ae06c6b9f393991de86cad5fac7');
    expect(actionHash({ action: NK_ACTION, nonce, vaultAddress: '0x1234567890123456789012345678901234567890', expiresAfter: 1234567890 })).toBe(
      '0x2d62412aa0fc57441b5189841d81554a6a9680bf07204e1454983a9ca44f0744',
    );
  });

  it('reproduces the @nktkas/hyperliquid signatures on mainnet and testnet', () => {
    expect(signL1Action({ privateKey: NK_KEY, action: NK_ACTION, nonce: 1234567890, isMainnet: true })).toEqual({
      r: '0x61078d8ffa3cb591de045438a1ae2ed299b271891d1943a33901e7cfb3a31ed8',
      s: '0x0e91df4f9841641d3322dad8d932874b74d7e082cdb5b533f804964a6963aef9',
      v: 28,
    });
    expect(signL1Action({ privateKey: NK_KEY, action: NK_ACTION, nonce: 1234567890, isMainnet: false })).toEqual({
      r: '0x6b0283a894d87b996ad0182b86251cc80d27d61ef307449a2ed249a508ded1f7',
      s: '0x6f884e79f4a0a10af62db831af6f8e03b3f11d899eb49b352f836746ee9226da',
      v: 27,
    });
  });

  it('reproduces the Python SDK order_with_cloid and matches_with_vault rows (r without leading zeros there)', () => {
    const orderA = {
      type: 'order',
      orders: [{ a: 1, b: true, p: '100', s: '100', r: false, t: { limit: { tif: 'Gtc' } }, c: '0x00000000000000000000000000000001' }],
      grouping: 'na',
    };
    const sig = signL1Action({ privateKey: PY_KEY, action: orderA, nonce: 0, isMainnet: true });
    expect(sig).toEqual({
      r: pad('0x41ae18e8239a56cacbc5dad94d45d0b747e5da11ad564077fcac71277a946e3'),
      s: '0x3c61f667e747404fe7eea8f90ab0e76cc12ce60270438b2058324681a00116da',
      v: 27,
    });
    const dummy = { type: 'dummy', num: 100000000000 };
    const vault = signL1Action({ privateKey: PY_KEY, action: dummy, nonce: 0, vaultAddress: '0x1719884eb866cb12b2287399b15f7db5e7d775ea', isMainnet: false });
    expect(vault).toEqual({
      r: '0xe281d2fb5c6e25ca01601f878e4d69c965bb598b88fac58e475dd1f5e56c362b',
      s: '0x7ddad27e9a238d045c035bc606349d075d5c5cd00a6cd1da23ab5c39d4ef0f60',
      v: 27,
    });
  });

  it('reproduces the Rust SDK cancel signature (verbatim wire strings, nonce 1583838)', () => {
    const sig = signL1Action({ privateKey: RS_KEY, action: { type: 'cancel', cancels: [{ a: 1, o: 82382 }] }, nonce: 1583838, isMainnet: true });
    expect(`${sig.r}${sig.s.slice(2)}${sig.v.toString(16)}`).toBe(
      '0x02f76cc5b16e0810152fa0e14e7b219f49c361e3325f771544c6f54e157bf9fa17ed0afc11a98596be85d5cd9f86600aad515337318f7ab346e5ccc1b03425d51b',
    );
  });
});

describe('Auth', () => {
  const clock = { now: () => 1_700_000_000_000 };

  it('signs with the next nonce of the signer; the body is what /exchange takes and recovers to the signer', () => {
    const auth = new Auth({ privateKey: NK_KEY, isMainnet: false, nonces: new NonceManager(clock) });
    expect(auth.account).toBe(addressFromPrivateKey(NK_KEY).toLowerCase());
    const a = auth.sign(NK_ACTION);
    const b = auth.sign(NK_ACTION);
    expect(a.nonce).toBe(1_700_000_000_000);
    expect(b.nonce).toBe(1_700_000_000_001);
    expect(a).toMatchObject({ action: NK_ACTION, vaultAddress: null, expiresAfter: null });
    expect(a.signature.r).toMatch(/^0x[0-9a-f]{64}$/);
    expect(a.signature.s).toMatch(/^0x[0-9a-f]{64}$/);
    expect([27, 28]).toContain(a.signature.v);
    expect(recoverL1ActionSigner({ action: NK_ACTION, nonce: a.nonce, signature: a.signature, source: 'b' }).toLowerCase()).toBe(auth.signer);
  });

  it('an API wallet signs for its master: the account is the master, the nonces are the agent key’s', () => {
    const master = '0x' + 'ab'.repeat(20);
    const nonces = new NonceManager(clock);
    const agent = new Auth({ privateKey: NK_KEY, isMainnet: true, accountAddress: master, nonces });
    expect(agent.account).toBe(master);
    expect(agent.signer).toBe(addressFromPrivateKey(NK_KEY).toLowerCase());
    const body = agent.sign(NK_ACTION);
    expect(nonces.peek(agent.signer)).toBe(body.nonce);
    expect(nonces.peek(master)).toBeUndefined();
    expect(recoverL1ActionSigner({ action: NK_ACTION, nonce: body.nonce, signature: body.signature, source: 'a' }).toLowerCase()).toBe(agent.signer);
  });

  it('a vault signature carries the vault in the hash and the body; expiresAfter likewise', () => {
    const vaultAddress = '0x1234567890123456789012345678901234567890';
    const auth = new Auth({ privateKey: NK_KEY, isMainnet: true, vaultAddress, nonces: new NonceManager({ now: () => 1234567890 }) });
    const body = auth.sign(NK_ACTION, { expiresAfter: 1234567890 });
    expect(auth.account).toBe(vaultAddress);
    expect(body.vaultAddress).toBe(vaultAddress);
    expect(body.expiresAfter).toBe(1234567890);
    expect(body.signature).toEqual(
      signL1Action({ privateKey: NK_KEY, action: NK_ACTION, nonce: 1234567890, vaultAddress, expiresAfter: 1234567890, isMainnet: true }),
    );
    expect(
      recoverL1ActionSigner({
        action: NK_ACTION,
        nonce: body.nonce,
        vaultAddress,
        expiresAfter: 1234567890,
        signature: body.signature,
        source: 'a',
      }).toLowerCase(),
    ).toBe(auth.signer);
  });
});
