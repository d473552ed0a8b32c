/**
 * Every published signing vector of the official Python and Rust SDKs and of
 * @nktkas/hyperliquid (copied from shared/docs/signing-vectors.md), plus the EIP-712
 * specification's own example, reproduced by src/sign and recovered back to the signer.
 */
import { describe, expect, it } from 'vitest';
import {
  actionHash,
  addressFromPrivateKey,
  phantomAgentDigest,
  recoverL1ActionSigner,
  signDigest,
  signL1Action,
  typedDataDigest,
  type Hex,
  type Signature,
} from '../../src/sign/index.js';
import { toHex } from '../../src/sign/hex.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { privateKeyBytes, recoverableBytes } from '../../src/sign/keys.js';
import { createSignerChecker, signerJob } from '../../src/sign/signer-check.js';

const checker = createSignerChecker(secp256k1, keccak_256, { tableWindow: 4 });

/** The published signature confirms its signer on the candidate fast path (signer-check.ts). */
function expectCandidate(input: { action: unknown; nonce: number; vaultAddress?: string; signature: Signature; source: 'a' | 'b' }, key: string): void {
  const digest = phantomAgentDigest(actionHash(input), input.source);
  const candidate = secp256k1.getPublicKey(privateKeyBytes(key), false).subarray(1);
  expect(checker.run(signerJob(digest, recoverableBytes(input.signature), candidate), 0).slice(0, 43)).toBe('c' + addressFromPrivateKey(key));
}

/** Python's eth_utils.to_hex drops leading zeros: compare r and s as integers. */
function expectSig(sig: Signature, r: string, s: string, v: number): void {
  expect(BigInt(sig.r)).toBe(BigInt(r));
  expect(BigInt(sig.s)).toBe(BigInt(s));
  expect(sig.v).toBe(v);
  expect(sig.r).toMatch(/^0x[0-9a-f]{64}$/);
  expect(sig.s).toMatch(/^0x[0-9a-f]{64}$/);
}

/** The Rust SDK's 65-byte `0x r s v` form. */
function splitRs(hex: string): [string, string, number] {
  return [`0x${hex.slice(2, 66)}`, `0x${hex.slice(66, 130)}`, parseInt(hex.slice(130), 16)];
}

describe('Python SDK vectors (tests/signing_test.py)', () => {
  const key = '0x0123456789012345678901234567890123456789012345678901234567890123';
  const address = addressFromPrivateKey(key);
  const orderA = () => ({
    type: 'order',
    orders: [{ a: 1, b: true, p: '100', s: '100', r: false, t: { limit: { tif: 'Gtc' } } as Record<string, unknown> }] as Record<string, unknown>[],
    grouping: 'na',
  });
  const withCloid = () => {
    const a = orderA();
    a.orders[0]!['c'] = '0x00000000000000000000000000000001';
    return a;
  };
  const tpsl = () => {
    const a = orderA();
    a.orders[0]!['t'] = { trigger: { isMarket: true, triggerPx: '103', tpsl: 'sl' } };
    return a;
  };
  const dummy = { type: 'dummy', num: 100000000000 };
  const vault = '0x1719884eb866cb12b2287399b15f7db5e7d775ea';
  const rows: [string, unknown, string | undefined, boolean, string, string, number][] = [
    [
      'l1_action_signing_matches',
      dummy,
      undefined,
      true,
      '0x53749d5b30552aeb2fca34b530185976545bb22d0b3ce6f62e31be961a59298',
      '0x755c40ba9bf05223521753995abb2f73ab3229be8ec921f350cb447e384d8ed8',
      27,
    ],
    [
      'l1_action_signing_matches',
      dummy,
      undefined,
      false,
      '0x542af61ef1f429707e3c76c5293c80d01f74ef853e34b76efffcb57e574f9510',
      '0x17b8b32f086e8cdede991f1e2c529f5dd5297cbe8128500e00cbaf766204a613',
      28,
    ],
    [
      'order_matches',
      orderA(),
      undefined,
      true,
      '0xd65369825a9df5d80099e513cce430311d7d26ddf477f5b3a33d2806b100d78e',
      '0x2b54116ff64054968aa237c20ca9ff68000f977c93289157748a3162b6ea940e',
      28,
    ],
    [
      'order_matches',
      orderA(),
      undefined,
      false,
      '0x82b2ba28e76b3d761093aaded1b1cdad4960b3af30212b343fb2e6cdfa4e3d54',
      '0x6b53878fc99d26047f4d7e8c90eb98955a109f44209163f52d8dc4278cbbd9f5',
      27,
    ],
    [
      'order_with_cloid',
      withCloid(),
      undefined,
      true,
      '0x41ae18e8239a56cacbc5dad94d45d0b747e5da11ad564077fcac71277a946e3',
      '0x3c61f667e747404fe7eea8f90ab0e76cc12ce60270438b2058324681a00116da',
      27,
    ],
    [
      'order_with_cloid',
      withCloid(),
      undefined,
      false,
      '0xeba0664bed2676fc4e5a743bf89e5c7501aa6d870bdb9446e122c9466c5cd16d',
      '0x7f3e74825c9114bc59086f1eebea2928c190fdfbfde144827cb02b85bbe90988',
      28,
    ],
    [
      'matches_with_vault',
      dummy,
      vault,
      true,
      '0x3c548db75e479f8012acf3000ca3a6b05606bc2ec0c29c50c515066a326239',
      '0x4d402be7396ce74fbba3795769cda45aec00dc3125a984f2a9f23177b190da2c',
      28,
    ],
    [
      'matches_with_vault',
      dummy,
      vault,
      false,
      '0xe281d2fb5c6e25ca01601f878e4d69c965bb598b88fac58e475dd1f5e56c362b',
      '0x7ddad27e9a238d045c035bc606349d075d5c5cd00a6cd1da23ab5c39d4ef0f60',
      27,
    ],
    [
      'tpsl_order',
      tpsl(),
      undefined,
      true,
      '0x98343f2b5ae8e26bb2587daad3863bc70d8792b09af1841b6fdd530a2065a3f9',
      '0x6b5bb6bb0633b710aa22b721dd9dee6d083646a5f8e581a20b545be6c1feb405',
      27,
    ],
    [
      'tpsl_order',
      tpsl(),
      undefined,
      false,
      '0x971c554d917c44e0e1b6cc45d8f9404f32172a9d3b3566262347d0302896a2e4',
      '0x206257b104788f80450f8e786c329daa589aa0b32ba96948201ae556d5637eac',
      28,
    ],
    [
      'schedule_cancel',
      { type: 'scheduleCancel' },
      undefined,
      true,
      '0x6cdfb286702f5917e76cd9b3b8bf678fcc49aec194c02a73e6d4f16891195df9',
      '0x6557ac307fa05d25b8d61f21fb8a938e703b3d9bf575f6717ba21ec61261b2a0',
      27,
    ],
    [
      'schedule_cancel',
      { type: 'scheduleCancel' },
      undefined,
      false,
      '0xc75bb195c3f6a4e06b7d395acc20bbb224f6d23ccff7c6a26d327304e6efaeed',
      '0x342f8ede109a29f2c0723bd5efb9e9100e3bbb493f8fb5164ee3d385908233df',
      28,
    ],
  ];
  for (const [name, action, vaultAddress, isMainnet, r, s, v] of rows) {
    it(`${name} on ${isMainnet ? 'mainnet' : 'testnet'}: signature as published, recovers to the key's address`, () => {
      const sig = signL1Action({ privateKey: key, action, nonce: 0, vaultAddress, isMainnet });
      expectSig(sig, r, s, v);
      // The published (unpadded) r/s recover too.
      const signer = recoverL1ActionSigner({ action, nonce: 0, vaultAddress, signature: { r: r as Hex, s: s as Hex, v }, source: isMainnet ? 'a' : 'b' });
      expect(signer).toBe(address);
      expectCandidate({ action, nonce: 0, vaultAddress, signature: { r: r as Hex, s: s as Hex, v }, source: isMainnet ? 'a' : 'b' }, key);
    });
  }

  it('phantom agent connectionId matches production', () => {
    const action = { type: 'order', orders: [{ a: 4, b: true, p: '1670.1', s: '0.0147', r: false, t: { limit: { tif: 'Ioc' } } }], grouping: 'na' };
    expect(actionHash({ action, nonce: 1677777606040 })).toBe('0x0fcbeda5ae3c4950a548021552a4fea2226858c4453571bf3f24ba017eac2908');
  });

  it('the wrong network recovers to another address', () => {
    const sig = signL1Action({ privateKey: key, action: dummy, nonce: 0, isMainnet: true });
    expect(recoverL1ActionSigner({ action: dummy, nonce: 0, signature: sig, source: 'b' })).not.toBe(address);
    expect(recoverL1ActionSigner({ action: { ...dummy, num: 1 }, nonce: 0, signature: sig, source: 'a' })).not.toBe(address);
    expect(recoverL1ActionSigner({ action: dummy, nonce: 1, signature: sig, source: 'a' })).not.toBe(address);
  });
});

describe('Rust SDK vectors (src/exchange/exchange_client.rs)', () => {
  const key = 'e908f86dbb4d55ac876378565aafeabc187f6690f046459397b17d9b9a19688e';
  const nonce = 1583838;
  const orderR = (t: unknown = { limit: { tif: 'Ioc' } }, c?: string) => ({
    type: 'order',
    orders: [{ a: 1, b: true, p: '2000.0', s: '3.5', r: false, t, ...(c ? { c } : {}) }],
    grouping: 'na',
  });
  const cancel = { type: 'cancel', cancels: [{ a: 1, o: 82382 }] };
  const rows: [string, unknown, string, string][] = [
    [
      'limit_order',
      orderR(),
      '0x77957e58e70f43b6b68581f2dc42011fc384538a2e5b7bf42d5b936f19fbb67360721a8598727230f67080efee48c812a6a4442013fd3b0eed509171bef9f23f1c',
      '0xcd0925372ff1ed499e54883e9a6205ecfadec748f80ec463fe2f84f1209648776377961965cb7b12414186b1ea291e95fd512722427efcbcfb3b0b2bcd4d79d01c',
    ],
    [
      'limit_order_with_cloid',
      orderR(undefined, '0x1e60610f0b3d420597c88c1fed2ad5ee'),
      '0xd3e894092eb27098077145714630a77bbe3836120ee29df7d935d8510b03a08f456de5ec1be82aa65fc6ecda9ef928b0445e212517a98858cfaa251c4cd7552b1c',
      '0x3768349dbb22a7fd770fc9fc50c7b5124a7da342ea579b309f58002ceae49b4357badc7909770919c45d850aabb08474ff2b7b3204ae5b66d9f7375582981f111c',
    ],
    [
      'tpsl_order sl',
      orderR({ trigger: { isMarket: true, triggerPx: '2000.0', tpsl: 'sl' } }),
      '0x8456d2ace666fce1bee1084b00e9620fb20e810368841e9d4dd80eb29014611a0843416e51b1529c22dd2fc28f7ff8f6443875635c72011f60b62cbb8ce90e2d1c',
      '0xeb5bdb52297c1d19da45458758bd569dcb24c07e5c7bd52cf76600fd92fdd8213e661e21899c985421ec018a9ee7f3790e7b7d723a9932b7b5adcd7def5354601c',
    ],
    [
      'cancel',
      cancel,
      '0x02f76cc5b16e0810152fa0e14e7b219f49c361e3325f771544c6f54e157bf9fa17ed0afc11a98596be85d5cd9f86600aad515337318f7ab346e5ccc1b03425d51b',
      '0x6ffebadfd48067663390962539fbde76cfa36f53be65abe2ab72c9db6d0db44457720db9d7c4860f142a484f070c84eb4b9694c3a617c83f0d698a27e55fd5e01c',
    ],
  ];
  for (const [name, action, mainnet, testnet] of rows) {
    it(`${name}: mainnet and testnet signatures as published`, () => {
      expectSig(signL1Action({ privateKey: key, action, nonce, isMainnet: true }), ...splitRs(mainnet));
      expectSig(signL1Action({ privateKey: key, action, nonce, isMainnet: false }), ...splitRs(testnet));
      const [r, s, v] = splitRs(testnet);
      expect(recoverL1ActionSigner({ action, nonce, signature: { r: r as Hex, s: s as Hex, v }, source: 'b' })).toBe(addressFromPrivateKey(key));
      expectCandidate({ action, nonce, signature: { r: r as Hex, s: s as Hex, v }, source: 'b' }, key);
      const [rm, sm, vm] = splitRs(mainnet);
      expectCandidate({ action, nonce, signature: { r: rm as Hex, s: sm as Hex, v: vm }, source: 'a' }, key);
    });
  }

  it('sign_l1_action over a raw connectionId', () => {
    const connectionId = '0xde6c4037798a4434ca03cd05f00e3b803126221375cd1e7eaaaf041768be06eb';
    expectSig(
      signDigest(phantomAgentDigest(connectionId, 'a'), key),
      ...splitRs('0xfa8a41f6a3fa728206df80801a83bcbfbab08649cd34d9c0bfba7c7b2f99340f53a00226604567b98a1492803190d65a201d6805e5831b7044f17fd530aec7841c'),
    );
    expectSig(
      signDigest(phantomAgentDigest(connectionId, 'b'), key),
      ...splitRs('0x1713c0fc661b792a50e8ffdd59b637b1ed172d9a3aa4d801d9d88646710fb74b33959f4d075a7ccbec9f2374a6da21ffa4448d58d0413a0d335775f680a881431c'),
    );
  });

  it('action hashes of order R and the cancel', () => {
    expect(actionHash({ action: orderR(), nonce })).toBe('0x5983a9453b8d32668daefa9310e1a81bc1f4d7da50a9ad8869a4011d12068ea0');
    expect(actionHash({ action: cancel, nonce })).toBe('0xa53262329d1e221a88ff73e5ce330e0e47fb646091cae7020c34c346e592b77e');
  });
});

describe('@nktkas/hyperliquid vectors (tests/signing/mod.test.ts)', () => {
  const key = '0x822e9959e022b78423eb653a62ea0020cd283e71a2a8133a6ff2aeffaf373cff';
  const action = { type: 'order', orders: [{ a: 0, b: true, p: '30000', s: '0.1', r: false, t: { limit: { tif: 'Gtc' } } }], grouping: 'na' };
  const nonce = 1234567890;
  const vaultAddress = '0x1234567890123456789012345678901234567890';

  it('createL1ActionHash: base, vault, expiresAfter, both', () => {
    expect(actionHash({ action, nonce })).toBe('0x25367e0dba84351148288c2233cd6130ed6cec5967ded0c0b7334f36f957cc90');
    expect(actionHash({ action, nonce, vaultAddress })).toBe('0x214e2ea3270981b6fd18174216691e69f56872663139d396b10ded319cb4bb1e');
    expect(actionHash({ action, nonce, expiresAfter: 1234567890 })).toBe('0xc30b002ba3775e4c31c43c1dfd3291dfc85c6ae06c6b9f393991de86cad5fac7');
    expect(actionHash({ action, nonce, vaultAddress, expiresAfter: 1234567890 })).toBe('0x2d62412aa0fc57441b5189841d81554a6a9680bf07204e1454983a9ca44f0744');
    // null is absent, as the public body writes it; undefined keys are dropped.
    expect(actionHash({ action, nonce, vaultAddress: null, expiresAfter: null })).toBe('0x25367e0dba84351148288c2233cd6130ed6cec5967ded0c0b7334f36f957cc90');
    expect(actionHash({ action: { ...action, builder: undefined }, nonce })).toBe('0x25367e0dba84351148288c2233cd6130ed6cec5967ded0c0b7334f36f957cc90');
  });

  it('signL1Action on mainnet and testnet', () => {
    expectSig(
      signL1Action({ privateKey: key, action, nonce, isMainnet: true }),
      '0x61078d8ffa3cb591de045438a1ae2ed299b271891d1943a33901e7cfb3a31ed8',
      '0x0e91df4f9841641d3322dad8d932874b74d7e082cdb5b533f804964a6963aef9',
      28,
    );
    expectSig(
      signL1Action({ privateKey: key, action, nonce, isMainnet: false }),
      '0x6b0283a894d87b996ad0182b86251cc80d27d61ef307449a2ed249a508ded1f7',
      '0x6f884e79f4a0a10af62db831af6f8e03b3f11d899eb49b352f836746ee9226da',
      27,
    );
  });
});

describe('EIP-712 specification example (Mail)', () => {
  it('digest and signature of the example as the EIP publishes them', () => {
    const digest = typedDataDigest(
      { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
      {
        Person: [
          { name: 'name', type: 'string' },
          { name: 'wallet', type: 'address' },
        ],
        Mail: [
          { name: 'from', type: 'Person' },
          { name: 'to', type: 'Person' },
          { name: 'contents', type: 'string' },
        ],
      },
      'Mail',
      {
        from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
        to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
        contents: 'Hello, Bob!',
      },
    );
    expect(toHex(digest)).toBe('0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2');
    // The EIP's key is keccak256("cow").
    const key = '0xc85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4';
    expect(addressFromPrivateKey(key)).toBe('0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826');
    expectSig(
      signDigest(digest, key),
      '0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d',
      '0x07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562',
      28,
    );
  });
});
