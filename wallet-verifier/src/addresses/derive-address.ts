import { bitcoinjs } from './esm-libraries';
import { getAddress, keccak256 } from 'ethers';
import { decodeExtendedPublicKey } from './extended-public-key';
import { deriveChildNode, deriveChildPoint, hash160, publicNode, type PublicNode } from './hd-public-derivation';
import { utxoNetworkParams } from './network-params';
import type { ReceivingWallet } from './receiving-wallet';
import { DerivationIndexError } from './wallet-errors';

const MAX_INDEX = 0x7fffffff;
/** Chain-level nodes kept; one per store wallet in use. Oldest evicted first. */
const CHAIN_NODE_CACHE_LIMIT = 10_000;
const chainNodes = new Map<string, PublicNode>();

function chainNodeOf(wallet: ReceivingWallet): PublicNode {
  const cacheKey = `${wallet.extendedPublicKey}/${wallet.chainPath.join('/')}`;
  const cached = chainNodes.get(cacheKey);
  if (cached !== undefined) return cached;
  const key = decodeExtendedPublicKey(wallet.extendedPublicKey);
  let node = publicNode(key.publicKey, key.chainCode);
  for (const step of wallet.chainPath) node = deriveChildNode(node, step);
  if (chainNodes.size >= CHAIN_NODE_CACHE_LIMIT) {
    const oldest = chainNodes.keys().next().value;
    if (oldest !== undefined) chainNodes.delete(oldest);
  }
  chainNodes.set(cacheKey, node);
  return node;
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX) throw new DerivationIndexError(index);
}

/**
 * The receiving address at `index` of `wallet`: bech32 P2WPKH (`bc1q…`, `ltc1q…`, `rltc1q…`) for Bitcoin
 * and Litecoin, an EIP-55 checksummed address for Ethereum. The chain-level node is cached, so each call
 * costs one public child derivation.
 *
 * @throws DerivationIndexError for an index outside 0 … 2^31-1
 * @throws UnusableChildIndexError in the 2^-127 case BIP32 leaves an index without a key (skip it)
 */
export function deriveAddress(wallet: ReceivingWallet, index: number): string {
  checkIndex(index);
  const chainNode = chainNodeOf(wallet);
  switch (wallet.kind) {
    case 'p2wpkh': {
      const { point } = deriveChildPoint(chainNode, index, true);
      return bitcoinjs.address.toBech32(hash160(point), 0, utxoNetworkParams(wallet.chain, wallet.network).bech32);
    }
    case 'evm': {
      const { point } = deriveChildPoint(chainNode, index, false);
      return getAddress(`0x${keccak256(point.subarray(1)).slice(-40)}`);
    }
  }
}

/** `count` consecutive addresses from `fromIndex`. */
export function deriveAddresses(wallet: ReceivingWallet, fromIndex: number, count: number): string[] {
  checkIndex(fromIndex);
  if (!Number.isInteger(count) || count < 0) throw new RangeError('count must be a non-negative integer');
  if (count > 0) checkIndex(fromIndex + count - 1);
  const out: string[] = [];
  for (let i = 0; i < count; i += 1) out.push(deriveAddress(wallet, fromIndex + i));
  return out;
}
