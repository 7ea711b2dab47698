import { CRYPTO_ASSETS, type CryptoAsset } from '@coinstile/core';
import { getAddress, id } from 'ethers';
import { EvmFollowerConfigError } from './evm-errors';

/** An asset paid as an ERC-20 token (`kind: 'erc20'` in core's asset table). */
export type Erc20Asset = Extract<CryptoAsset, 'USDC'>;

/** A token contract whose `Transfer` logs pay checkouts in `asset`. */
export interface EvmToken {
  readonly asset: Erc20Asset;
  /** The contract address, lower-case (as logs carry it). */
  readonly contract: string;
}

/** One EVM chain the verifier follows: its native asset and the token contracts configured on it. */
export interface EvmChainSpec {
  readonly chain: 'ethereum';
  readonly chainId: number;
  readonly nativeAsset: 'ETH';
  readonly tokens: readonly EvmToken[];
}

/** topic0 of `Transfer(address indexed from, address indexed to, uint256 value)` (ERC-20 and ERC-721 alike). */
export const ERC20_TRANSFER_TOPIC = id('Transfer(address,address,uint256)');

/**
 * The watched-set key of an account address: lower-case hex with `0x`. Throws `TypeError` (ethers'
 * `INVALID_ARGUMENT`) for anything that is not an address, including a mixed-case one whose EIP-55
 * checksum is wrong.
 */
export function evmAddressKey(address: string): string {
  return getAddress(address).toLowerCase();
}

/** The 32-byte topic an indexed address is logged as. */
export function addressTopic(key: string): string {
  return `0x${'0'.repeat(24)}${key.slice(2)}`;
}

/**
 * The chain spec from configuration: `ETH_CHAIN_ID` and the token contracts (`USDC_CONTRACT`).
 * Throws `EvmFollowerConfigError` for a missing chain id, an invalid contract address, a non-token asset
 * or the same contract given twice.
 */
export function evmChainSpec(chainId: number | undefined, tokens: readonly { asset: CryptoAsset; contract: string; variable: string }[]): EvmChainSpec {
  if (chainId === undefined || !Number.isSafeInteger(chainId) || chainId < 1) {
    throw new EvmFollowerConfigError('ETH_CHAIN_ID', 'must be set to the chain id of ETH_RPC_URL (1 for Ethereum mainnet), so a node of another chain is refused');
  }
  const seen = new Set<string>();
  const specTokens: EvmToken[] = [];
  for (const t of tokens) {
    const info = CRYPTO_ASSETS[t.asset];
    if (info.kind !== 'erc20' || info.chain !== 'ethereum') throw new EvmFollowerConfigError(t.variable, `${t.asset} is not an ERC-20 asset`);
    let contract: string;
    try {
      contract = evmAddressKey(t.contract);
    } catch {
      throw new EvmFollowerConfigError(t.variable, 'is not a valid 0x-address (or its EIP-55 checksum is wrong)');
    }
    if (seen.has(contract)) throw new EvmFollowerConfigError(t.variable, `contract ${contract} is configured twice`);
    seen.add(contract);
    specTokens.push({ asset: t.asset as Erc20Asset, contract });
  }
  return { chain: 'ethereum', chainId, nativeAsset: 'ETH', tokens: specTokens };
}
