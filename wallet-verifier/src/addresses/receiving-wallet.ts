import { CRYPTO_ASSETS, isCryptoAsset, type CryptoAsset } from '@coinstile/core';
import { descriptorChecksum, withDescriptorChecksum } from './descriptor-checksum';
import { STANDARD_PUBLIC_VERSION } from './extended-key-versions';
import { decodeExtendedPublicKey, encodeExtendedPublicKey, refusePrivateKeys, type ExtendedPublicKey } from './extended-public-key';
import { HARDENED_OFFSET } from './hd-public-derivation';
import { isChainNetwork, type ChainNetwork, type UtxoChain } from './network-params';
import {
  DescriptorChecksumError,
  MalformedWalletError,
  UnsupportedWalletError,
  WalletKeyDepthError,
  WalletNetworkMismatchError,
} from './wallet-errors';

/**
 * A store's receiving wallet on a Bitcoin-family chain: BIP84 native segwit, every address P2WPKH,
 * address `i` = `extendedPublicKey / chainPath… / i`.
 */
export interface UtxoReceivingWallet {
  readonly kind: 'p2wpkh';
  readonly chain: UtxoChain;
  readonly network: ChainNetwork;
  /** The key in the standard serialisation the node reads (xpub on mainnet, tpub otherwise). */
  readonly extendedPublicKey: string;
  /** Non-hardened steps from the key to the receive chain: `[0]` for an account key (BIP84 `/0/i`). */
  readonly chainPath: readonly number[];
  /**
   * The same wallet as a Bitcoin Core / Litecoin Core output descriptor with its checksum, e.g.
   * `wpkh([d34db33f/84h/1h/0h]tpub…/0/*)#abcdefgh`: the node's `deriveaddresses` gives the same addresses.
   */
  readonly descriptor: string;
}

/**
 * A store's receiving wallet on Ethereum (ETH and ERC-20 tokens alike): the xpub of `m/44'/60'/0'/0`,
 * address `i` = the EIP-55 address of `xpub / i`.
 */
export interface EvmReceivingWallet {
  readonly kind: 'evm';
  readonly chain: 'ethereum';
  /** The xpub of `m/44'/60'/0'/0` (depth 4). */
  readonly extendedPublicKey: string;
  readonly chainPath: readonly number[];
}

export type ReceivingWallet = UtxoReceivingWallet | EvmReceivingWallet;

/** BIP84 account keys (`m/84'/coin'/account'`) are at depth 3. */
const ACCOUNT_DEPTH = 3;
/** The Ethereum receive chain `m/44'/60'/0'/0` is at depth 4. */
const EVM_CHAIN_DEPTH = 4;
const MAX_INPUT_LENGTH = 1000;

/**
 * Parses what a store gives as its receiving wallet for `asset` on `network` (ignored for Ethereum,
 * whose keys carry no network):
 * - BTC/LTC: a BIP84 account-level key as `xpub`/`zpub` (mainnet), `tpub`/`vpub` (testnet, regtest) —
 *   for LTC also SLIP-132 `Ltub` (mainnet) and `ttub` (test) — whose receive chain is `/0/i`; or a
 *   `wpkh(KEY/…/*)` descriptor with an xpub/tpub, an optional `[fingerprint/path]` origin and an optional
 *   `#checksum` (verified when present).
 * - ETH/USDC: the xpub of `m/44'/60'/0'/0`.
 *
 * Throws only `WalletKeyError` subclasses: `PrivateKeyRefusedError` for any private key (checked
 * first, anywhere in the text), `WalletNetworkMismatchError`, `DescriptorChecksumError`,
 * `WalletKeyDepthError`, `UnsupportedWalletError`, `MalformedWalletError`.
 */
export function parseReceivingWallet(asset: CryptoAsset, network: ChainNetwork, input: string): ReceivingWallet {
  // Callers in plain JavaScript or with unchecked config can pass anything; answer with a typed error.
  if (!isCryptoAsset(asset)) throw new UnsupportedWalletError('Unknown asset', 'unknown_asset');
  if (!isChainNetwork(network)) throw new UnsupportedWalletError('Unknown network', 'unknown_network');
  if (typeof input !== 'string') throw new MalformedWalletError('not a string');
  if (input.length > MAX_INPUT_LENGTH) throw new MalformedWalletError('too long');
  const text = input.trim();
  refusePrivateKeys(text);
  if (text.length === 0) throw new MalformedWalletError('empty');
  const chain = CRYPTO_ASSETS[asset].chain;
  switch (chain) {
    case 'bitcoin':
    case 'litecoin':
      return text.includes('(') || text.includes('#')
        ? parseWpkhDescriptor(chain, network, text)
        : parseBip84AccountKey(chain, network, text);
    case 'ethereum':
      return parseEvmChainKey(text);
  }
}

function networkClassOf(network: ChainNetwork): 'main' | 'test' {
  return network === 'mainnet' ? 'main' : 'test';
}

function refuseWrongFamily(key: ExtendedPublicKey, chain: UtxoChain, network: ChainNetwork): void {
  if (!key.version.chains.includes(chain)) {
    throw new UnsupportedWalletError(`A ${key.version.prefix} key is not a ${chain} key`, 'other_chain');
  }
  if (key.version.networkClass !== networkClassOf(network)) {
    throw new WalletNetworkMismatchError(`${chain} ${network}`, key.version.prefix);
  }
  switch (key.version.scriptType) {
    case 'any':
    case 'p2wpkh':
      return;
    case 'p2sh-p2wpkh':
      throw new UnsupportedWalletError(
        `A ${key.version.prefix} key is for P2SH-wrapped segwit addresses; Coinstile derives native segwit (BIP84) addresses: give the zpub/vpub (or xpub/tpub) of m/84'`,
        'p2sh_p2wpkh',
      );
    case 'multisig-p2wsh':
    case 'multisig-p2sh-p2wsh':
      throw new UnsupportedWalletError(`A ${key.version.prefix} key is a multisig key; multisig wallets are not supported`, 'multisig');
  }
}

function parseBip84AccountKey(chain: UtxoChain, network: ChainNetwork, text: string): UtxoReceivingWallet {
  const key = decodeExtendedPublicKey(text);
  refuseWrongFamily(key, chain, network);
  if (key.depth !== ACCOUNT_DEPTH) {
    throw new WalletKeyDepthError(ACCOUNT_DEPTH, key.depth, "the BIP84 account m/84'/coin'/account'");
  }
  const extendedPublicKey = encodeExtendedPublicKey(key, STANDARD_PUBLIC_VERSION[key.version.networkClass]);
  return {
    kind: 'p2wpkh',
    chain,
    network,
    extendedPublicKey,
    chainPath: [0],
    descriptor: withDescriptorChecksum(`wpkh(${extendedPublicKey}/0/*)`),
  };
}

function parseStep(text: string): { index: number; hardened: boolean } | undefined {
  const m = /^(\d{1,10})(['hH]?)$/.exec(text);
  if (m === null) return undefined;
  const index = Number(m[1]);
  if (index >= HARDENED_OFFSET) return undefined;
  return { index, hardened: m[2] !== '' };
}

const DESCRIPTOR_FUNCTION = /^([a-z_]+)\(/;

function parseWpkhDescriptor(chain: UtxoChain, network: ChainNetwork, text: string): UtxoReceivingWallet {
  const hash = text.indexOf('#');
  const body = hash < 0 ? text : text.slice(0, hash);
  if (hash >= 0) {
    const given = text.slice(hash + 1);
    const expected = descriptorChecksum(body);
    if (expected === undefined) throw new MalformedWalletError('a character outside the descriptor charset');
    if (!/^[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{8}$/.test(given) || given !== expected) throw new DescriptorChecksumError();
  }
  const fn = DESCRIPTOR_FUNCTION.exec(body)?.[1];
  if (fn === undefined) throw new MalformedWalletError('not a descriptor');
  if (fn !== 'wpkh') {
    throw new UnsupportedWalletError(
      `${fn}(…) descriptors are not supported; give a wpkh(…) descriptor (native segwit P2WPKH)`,
      `descriptor_${fn}`,
    );
  }
  const inner = /^wpkh\((?:\[([^\]]*)\])?([1-9A-HJ-NP-Za-km-z]+)((?:\/[^/()]*)*)\)$/.exec(body);
  if (inner === null) throw new MalformedWalletError('not a wpkh(KEY/…/*) descriptor with one extended key');
  const [, origin, keyText, pathText] = inner;

  let originSteps = 0;
  let canonicalOrigin = '';
  if (origin !== undefined) {
    const parts = origin.split('/');
    const fingerprint = parts[0]!;
    if (!/^[0-9a-fA-F]{8}$/.test(fingerprint)) throw new MalformedWalletError('the key origin fingerprint is not 8 hex digits');
    const steps = parts.slice(1).map(parseStep);
    if (steps.some((s) => s === undefined)) throw new MalformedWalletError('a key origin step is not a BIP32 index');
    originSteps = steps.length;
    canonicalOrigin = `[${[fingerprint.toLowerCase(), ...steps.map((s) => `${s!.index}${s!.hardened ? 'h' : ''}`)].join('/')}]`;
  }

  const key = decodeExtendedPublicKey(keyText!);
  if (key.version.prefix !== 'xpub' && key.version.prefix !== 'tpub') {
    throw new UnsupportedWalletError(
      `A descriptor's key must be an xpub or tpub, as Bitcoin Core writes them (found ${key.version.prefix})`,
      'descriptor_key_version',
    );
  }
  refuseWrongFamily(key, chain, network);
  if (origin !== undefined && originSteps !== key.depth) {
    throw new WalletKeyDepthError(originSteps, key.depth, `the key origin's ${originSteps}-step path`);
  }

  const steps = pathText!.split('/').slice(1);
  const last = steps.pop();
  if (last !== '*') {
    if (last === "*'" || last === '*h' || last === '*H') {
      throw new UnsupportedWalletError('A hardened wildcard (/*h) needs the private key; use /*', 'hardened_wildcard');
    }
    throw new UnsupportedWalletError('The descriptor must be ranged (end in /*) to give a fresh address per checkout', 'not_ranged');
  }
  const chainPath: number[] = [];
  for (const step of steps) {
    const parsed = parseStep(step);
    if (parsed === undefined) throw new MalformedWalletError('a derivation step is not a BIP32 index');
    if (parsed.hardened) {
      throw new UnsupportedWalletError('Hardened steps after an extended public key need the private key', 'hardened_step');
    }
    chainPath.push(parsed.index);
  }
  const canonicalBody = `wpkh(${canonicalOrigin}${keyText}${chainPath.map((i) => `/${i}`).join('')}/*)`;
  return {
    kind: 'p2wpkh',
    chain,
    network,
    extendedPublicKey: keyText!,
    chainPath,
    descriptor: withDescriptorChecksum(canonicalBody),
  };
}

function parseEvmChainKey(text: string): EvmReceivingWallet {
  const key = decodeExtendedPublicKey(text);
  if (key.version.prefix !== 'xpub') {
    throw new UnsupportedWalletError(
      `Ethereum wallets take the xpub of m/44'/60'/0'/0 (found ${key.version.prefix})`,
      'evm_key_version',
    );
  }
  if (key.depth !== EVM_CHAIN_DEPTH) {
    throw new WalletKeyDepthError(EVM_CHAIN_DEPTH, key.depth, "m/44'/60'/0'/0");
  }
  return { kind: 'evm', chain: 'ethereum', extendedPublicKey: text, chainPath: [] };
}
