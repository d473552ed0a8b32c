/**
 * A private key as a wallet object of the viem "local account" shape (`address` and
 * `signTypedData({domain, types, primaryType, message})` → 65-byte hex), which third-party
 * SDKs such as @nktkas/hyperliquid accept: lets a client sign with src/sign alone.
 */
import { typedDataDigest, type TypedDataDomain, type TypedDataTypes } from './eip712.js';
import { type Hex } from './hex.js';
import { addressFromPrivateKey, signDigest } from './keys.js';

export interface PrivateKeyWallet {
  readonly address: Hex;
  signTypedData(params: { domain: TypedDataDomain; types: TypedDataTypes; primaryType: string; message: Record<string, unknown> }): Promise<Hex>;
}

export function privateKeyWallet(privateKey: string): PrivateKeyWallet {
  const address = addressFromPrivateKey(privateKey);
  return {
    address,
    signTypedData(params) {
      // viem passes EIP712Domain in types sometimes; the digest adds its own.
      const { EIP712Domain: _domain, ...types } = params.types;
      const sig = signDigest(typedDataDigest(params.domain, types, params.primaryType, params.message), privateKey);
      return Promise.resolve(`${sig.r}${sig.s.slice(2)}${sig.v.toString(16)}` as Hex);
    },
  };
}
