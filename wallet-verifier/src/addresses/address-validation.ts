import { ValidationError, type Chain } from '@coinstile/core';
import { bitcoinjs } from './esm-libraries';
import { getAddress, ZeroAddress } from 'ethers';
import { base58CheckDecode, base58CheckEncode } from './base58check';
import { isChainNetwork, utxoNetworkParams, type ChainNetwork, type UtxoNetworkParams } from './network-params';

/** Why an address was refused. */
export type InvalidAddressReason =
  | 'malformed'
  | 'wrong_network'
  | 'bad_checksum'
  | 'unsupported_witness_version'
  | 'zero_address';

export class InvalidAddressError extends ValidationError {
  constructor(
    readonly chain: Chain,
    readonly reason: InvalidAddressReason,
  ) {
    super(`Not a valid ${chain} address for this network (${reason})`, { chain, reason }, 'invalid_address');
  }
}

export type AddressType = 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr' | 'evm';

export interface ParsedAddress {
  /** Canonical form: bech32 lower case; Litecoin P2SH in its current version byte; EIP-55 for Ethereum. */
  readonly address: string;
  readonly type: AddressType;
  /** scriptPubKey (Bitcoin family) — what a transaction output paying this address carries. */
  readonly outputScript: Uint8Array | undefined;
}

const MAX_ADDRESS_LENGTH = 100;

/**
 * Parses a payable address of `chain` on `network` (ignored for Ethereum). Bitcoin family: base58
 * P2PKH/P2SH with the network's version bytes (Litecoin's legacy P2SH byte too, as litecoind accepts
 * it), bech32 segwit v0 (P2WPKH, P2WSH) and bech32m v1 (P2TR). Ethereum: 0x + 40 hex, all-lower or
 * all-upper, or mixed case with a valid EIP-55 checksum; the zero address is refused.
 */
export function parseAddress(chain: Chain, network: ChainNetwork, text: string): ParsedAddress {
  if (chain !== 'bitcoin' && chain !== 'litecoin' && chain !== 'ethereum') throw new InvalidAddressError(chain, 'malformed');
  if (!isChainNetwork(network)) throw new InvalidAddressError(chain, 'wrong_network');
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_ADDRESS_LENGTH) {
    throw new InvalidAddressError(chain, 'malformed');
  }
  switch (chain) {
    case 'bitcoin':
    case 'litecoin':
      return parseUtxoAddress(utxoNetworkParams(chain, network), text);
    case 'ethereum':
      return parseEvmAddress(text);
  }
}

/** True when `parseAddress` accepts `text`. */
export function isValidAddress(chain: Chain, network: ChainNetwork, text: string): boolean {
  try {
    parseAddress(chain, network, text);
    return true;
  } catch (err) {
    if (err instanceof InvalidAddressError) return false;
    throw err;
  }
}

function parseUtxoAddress(params: UtxoNetworkParams, text: string): ParsedAddress {
  const lower = text.toLowerCase();
  if (lower.startsWith(`${params.bech32}1`)) {
    if (text !== lower && text !== text.toUpperCase()) throw new InvalidAddressError(params.chain, 'malformed');
    let decoded: { version: number; prefix: string; data: Uint8Array };
    try {
      decoded = bitcoinjs.address.fromBech32(lower);
    } catch {
      throw new InvalidAddressError(params.chain, 'bad_checksum');
    }
    if (decoded.prefix !== params.bech32) throw new InvalidAddressError(params.chain, 'wrong_network');
    const type = witnessType(decoded.version, decoded.data.length);
    if (type === undefined) throw new InvalidAddressError(params.chain, 'unsupported_witness_version');
    // OP_0 or OP_1…OP_16, then a push of the witness program.
    const versionOpcode = decoded.version === 0 ? 0x00 : 0x50 + decoded.version;
    const outputScript = Buffer.concat([Buffer.from([versionOpcode, decoded.data.length]), decoded.data]);
    return { address: lower, type, outputScript };
  }
  const payload = base58CheckDecode(text);
  if (payload === undefined) throw new InvalidAddressError(params.chain, looksBech32(lower) ? 'wrong_network' : 'malformed');
  if (payload.length !== 21) throw new InvalidAddressError(params.chain, 'malformed');
  const version = payload[0]!;
  const hash = payload.subarray(1);
  if (version === params.pubKeyHash) {
    return { address: text, type: 'p2pkh', outputScript: Buffer.concat([Buffer.from([0x76, 0xa9, 0x14]), hash, Buffer.from([0x88, 0xac])]) };
  }
  if (version === params.scriptHash || version === params.legacyScriptHash) {
    const canonical = base58CheckEncode(Buffer.concat([Buffer.from([params.scriptHash]), hash]));
    return { address: canonical, type: 'p2sh', outputScript: Buffer.concat([Buffer.from([0xa9, 0x14]), hash, Buffer.from([0x87])]) };
  }
  throw new InvalidAddressError(params.chain, 'wrong_network');
}

function looksBech32(lower: string): boolean {
  return /^[a-z]{1,83}1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{6,}$/.test(lower);
}

function witnessType(version: number, length: number): AddressType | undefined {
  if (version === 0 && length === 20) return 'p2wpkh';
  if (version === 0 && length === 32) return 'p2wsh';
  if (version === 1 && length === 32) return 'p2tr';
  return undefined;
}

function parseEvmAddress(text: string): ParsedAddress {
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) throw new InvalidAddressError('ethereum', 'malformed');
  let address: string;
  try {
    address = getAddress(text);
  } catch {
    throw new InvalidAddressError('ethereum', 'bad_checksum');
  }
  if (address === ZeroAddress) throw new InvalidAddressError('ethereum', 'zero_address');
  return { address, type: 'evm', outputScript: undefined };
}
