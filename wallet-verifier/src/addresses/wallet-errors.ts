import { ValidationError } from '@coinstile/core';

/**
 * Base of every refusal of a receiving wallet (extended public key or descriptor). Messages and details
 * never repeat the submitted text: it may be secret.
 */
export abstract class WalletKeyError extends ValidationError {}

/** What kind of secret was recognised; only the kind is ever reported. */
export type PrivateKeyKind = 'extended_private_key' | 'wif' | 'raw_private_key' | 'recovery_phrase';

/** A private key, or something that contains one, was submitted. Never accepted, never stored. */
export class PrivateKeyRefusedError extends WalletKeyError {
  constructor(readonly kind: PrivateKeyKind) {
    super(
      'This is a private key (or contains one). Coinstile never accepts private keys: give the extended ' +
        'PUBLIC key (xpub/zpub/tpub/vpub) or a wpkh(...) descriptor of public keys. Treat the key you ' +
        'pasted as exposed if you sent it anywhere else.',
      { kind },
      'private_key_refused',
    );
  }
}

/** The key is for another network than the chain is configured for (a mainnet zpub on regtest). */
export class WalletNetworkMismatchError extends WalletKeyError {
  constructor(
    readonly expectedNetwork: string,
    readonly keyPrefix: string,
  ) {
    super(
      `A ${keyPrefix} key does not belong to ${expectedNetwork}`,
      { expectedNetwork, keyPrefix },
      'wallet_network_mismatch',
    );
  }
}

/** The descriptor's `#checksum` does not match its text (a typo or a truncated copy). */
export class DescriptorChecksumError extends WalletKeyError {
  constructor() {
    super('The descriptor checksum does not match the descriptor', undefined, 'descriptor_checksum_mismatch');
  }
}

/** The key is not at the depth the wallet kind needs (e.g. a master key where the account key belongs). */
export class WalletKeyDepthError extends WalletKeyError {
  constructor(
    readonly expectedDepth: number,
    readonly actualDepth: number,
    readonly expectedPath: string,
  ) {
    super(
      `The extended public key is at depth ${actualDepth}; expected the key of ${expectedPath} (depth ${expectedDepth})`,
      { expectedDepth, actualDepth, expectedPath },
      'wallet_key_depth',
    );
  }
}

/** Well-formed, but a wallet kind Coinstile does not derive addresses for (P2SH-segwit, multisig, taproot…). */
export class UnsupportedWalletError extends WalletKeyError {
  constructor(message: string, readonly reason: string) {
    super(message, { reason }, 'wallet_unsupported');
  }
}

/** Not an extended public key nor a descriptor at all (garbage, bad Base58Check, bad key bytes). */
export class MalformedWalletError extends WalletKeyError {
  constructor(readonly reason: string) {
    super(`Not a valid extended public key or wpkh descriptor: ${reason}`, { reason }, 'wallet_malformed');
  }
}

/** An address index outside BIP32's non-hardened range 0 … 2^31-1. */
export class DerivationIndexError extends ValidationError {
  constructor(readonly index: number) {
    super(`Address index must be an integer from 0 to 2147483647`, { index }, 'derivation_index_invalid');
  }
}

/**
 * BIP32 child derivation produced no key at this index (probability below 2^-127). Callers skip to the
 * next index, as BIP32 prescribes.
 */
export class UnusableChildIndexError extends Error {
  constructor(readonly index: number) {
    super(`BIP32 derivation yields no valid key at index ${index}; use the next index`);
    this.name = 'UnusableChildIndexError';
  }
}
