/**
 * `Auth` (the seed's `MarketAuth`): turns an action into the signed `/exchange` body. On
 * Hyperliquid authentication is a signature over the action, not an API key: an L1 action
 * is msgpack-hashed with its nonce (and vault, and expiry) and signed as a phantom `Agent`
 * (`src/sign`, shared with the paper exchange that verifies it).
 *
 * Three ways to trade, one class:
 * - the account's own key: `account` is the key's address;
 * - an API wallet (agent) approved by the account: sign with the agent's key, give the
 *   master's address as `accountAddress` (orders, streams and balances are the master's;
 *   nonces are the agent's, the exchange tracks them per signer);
 * - a vault or sub-account: `vaultAddress` goes into the hash and the body, and `account`
 *   is the vault.
 */
import { addressFromPrivateKey, signL1Action, type Signature } from '../sign/index.js';
import type { NonceManager } from './nonce.js';

export interface AuthOptions {
  /** `0x` + 64 hex: the account's key, or an API wallet's. */
  privateKey: string;
  /** Mainnet signs with source "a", testnet (and the paper exchange by default) "b". */
  isMainnet: boolean;
  /** With an API wallet: the master account it trades for. */
  accountAddress?: string;
  /** Trading for a vault or sub-account. */
  vaultAddress?: string;
  nonces: NonceManager;
}

/** The body of `POST /exchange`. */
export interface ExchangeRequest {
  action: unknown;
  nonce: number;
  signature: Signature;
  vaultAddress: string | null;
  expiresAfter: number | null;
}

export class Auth {
  /** The key's address: the signer (the nonce set it draws from). */
  readonly signer: string;
  /** The address whose orders, fills and balances these are. */
  readonly account: string;
  readonly isMainnet: boolean;
  readonly vaultAddress: string | undefined;
  private readonly privateKey: string;
  private readonly nonces: NonceManager;

  constructor(options: AuthOptions) {
    this.privateKey = options.privateKey;
    this.signer = addressFromPrivateKey(options.privateKey).toLowerCase();
    this.isMainnet = options.isMainnet;
    this.vaultAddress = options.vaultAddress?.toLowerCase();
    this.account = (options.vaultAddress ?? options.accountAddress ?? this.signer).toLowerCase();
    this.nonces = options.nonces;
  }

  /** Signs `action` with the signer's next nonce; `expiresAfter` (ms) makes the exchange refuse it later. */
  sign(action: unknown, options: { expiresAfter?: number } = {}): ExchangeRequest {
    const nonce = this.nonces.next(this.signer);
    const vaultAddress = this.vaultAddress ?? null;
    const expiresAfter = options.expiresAfter ?? null;
    const signature = signL1Action({ privateKey: this.privateKey, action, nonce, vaultAddress, expiresAfter, isMainnet: this.isMainnet });
    return { action, nonce, signature, vaultAddress, expiresAfter };
  }
}
