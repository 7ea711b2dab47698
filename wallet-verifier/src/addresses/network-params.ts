import type { BitcoinjsNetwork } from './esm-libraries';

/** The Bitcoin Core family chains Coinstile derives and validates addresses for. */
export type UtxoChain = 'bitcoin' | 'litecoin';

/** The deployment a chain node runs on (`BTC_NETWORK` / `LTC_NETWORK`). */
export type ChainNetwork = 'mainnet' | 'testnet' | 'regtest';

export const CHAIN_NETWORKS: readonly ChainNetwork[] = ['mainnet', 'testnet', 'regtest'];

export function isChainNetwork(value: unknown): value is ChainNetwork {
  return value === 'mainnet' || value === 'testnet' || value === 'regtest';
}

/**
 * Address and key encodings of one chain on one network, as in the node's `chainparams.cpp`.
 * Testnet and regtest share every base58 version byte and differ only in the bech32 prefix.
 */
export interface UtxoNetworkParams {
  readonly chain: UtxoChain;
  readonly network: ChainNetwork;
  /** Human-readable part of bech32/bech32m segwit addresses. */
  readonly bech32: string;
  /** Base58 version byte of P2PKH addresses. */
  readonly pubKeyHash: number;
  /** Base58 version byte of P2SH addresses. */
  readonly scriptHash: number;
  /**
   * Litecoin's older P2SH version byte (the one Bitcoin uses), still accepted by litecoind and converted
   * to the current one. `undefined` for Bitcoin.
   */
  readonly legacyScriptHash: number | undefined;
  /** Base58 version byte of WIF private keys (used only to recognise and refuse them). */
  readonly wif: number;
  /** BIP32 version bytes of the standard extended keys the node itself prints (xpub/tpub, xprv/tprv). */
  readonly bip32: { readonly public: number; readonly private: number };
  /** BIP44 coin type of the network (`m/84'/<coinType>'/0'`). */
  readonly coinType: number;
}

const XPUB = 0x0488b21e;
const XPRV = 0x0488ade4;
const TPUB = 0x043587cf;
const TPRV = 0x04358394;

/**
 * Litecoin Core prints and parses extended keys with Bitcoin's xpub/tpub version bytes; the Ltub/ttub
 * encodings of SLIP-132 are accepted as input (see `extended-key-versions.ts`) but never produced.
 */
const PARAMS: Readonly<Record<UtxoChain, Readonly<Record<ChainNetwork, UtxoNetworkParams>>>> = {
  bitcoin: {
    mainnet: { chain: 'bitcoin', network: 'mainnet', bech32: 'bc', pubKeyHash: 0x00, scriptHash: 0x05, legacyScriptHash: undefined, wif: 0x80, bip32: { public: XPUB, private: XPRV }, coinType: 0 },
    testnet: { chain: 'bitcoin', network: 'testnet', bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, legacyScriptHash: undefined, wif: 0xef, bip32: { public: TPUB, private: TPRV }, coinType: 1 },
    regtest: { chain: 'bitcoin', network: 'regtest', bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, legacyScriptHash: undefined, wif: 0xef, bip32: { public: TPUB, private: TPRV }, coinType: 1 },
  },
  litecoin: {
    mainnet: { chain: 'litecoin', network: 'mainnet', bech32: 'ltc', pubKeyHash: 0x30, scriptHash: 0x32, legacyScriptHash: 0x05, wif: 0xb0, bip32: { public: XPUB, private: XPRV }, coinType: 2 },
    testnet: { chain: 'litecoin', network: 'testnet', bech32: 'tltc', pubKeyHash: 0x6f, scriptHash: 0x3a, legacyScriptHash: 0xc4, wif: 0xef, bip32: { public: TPUB, private: TPRV }, coinType: 1 },
    regtest: { chain: 'litecoin', network: 'regtest', bech32: 'rltc', pubKeyHash: 0x6f, scriptHash: 0x3a, legacyScriptHash: 0xc4, wif: 0xef, bip32: { public: TPUB, private: TPRV }, coinType: 1 },
  },
};

export function utxoNetworkParams(chain: UtxoChain, network: ChainNetwork): UtxoNetworkParams {
  return PARAMS[chain][network];
}

/** The same parameters in the shape bitcoinjs-lib takes (for `address.toOutputScript` and friends). */
export function bitcoinjsNetwork(params: UtxoNetworkParams): BitcoinjsNetwork {
  return {
    messagePrefix: params.chain === 'bitcoin' ? '\x18Bitcoin Signed Message:\n' : '\x19Litecoin Signed Message:\n',
    bech32: params.bech32,
    bip32: { public: params.bip32.public, private: params.bip32.private },
    pubKeyHash: params.pubKeyHash,
    scriptHash: params.scriptHash,
    wif: params.wif,
  };
}
