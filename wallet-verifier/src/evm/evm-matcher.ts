import type { CheckoutId, CryptoAsset } from '@coinstile/core';
import type { WatchedSet } from '../watch/watched-set';
import { ERC20_TRANSFER_TOPIC, type EvmToken } from './evm-chain';

/** What matching needs of a transaction (ethers' `TransactionResponse` has it). */
export interface EvmTransactionLike {
  readonly hash: string;
  readonly to: string | null;
  readonly from: string;
  readonly nonce: number;
  readonly value: bigint;
}

/** What matching needs of a log (ethers' `Log` has it). */
export interface EvmLogLike {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly transactionHash: string;
  /** Position of the log in its block. */
  readonly index: number;
  readonly removed: boolean;
}

/** A transfer paying a watched address in the asset its checkout expects. */
export interface EvmTransferMatch {
  readonly checkoutId: CheckoutId;
  readonly asset: CryptoAsset;
  readonly txid: string;
  /** 0 for native ETH (a transaction pays one recipient), the log index for a token transfer. */
  readonly outputIndex: number;
  readonly amountBase: bigint;
}

/** A transfer to a watched address in another asset than its checkout's: not counted, reported. */
export interface EvmForeignTransfer {
  readonly checkoutId: CheckoutId;
  readonly expectedAsset: CryptoAsset;
  readonly paidAsset: CryptoAsset;
  readonly txid: string;
  readonly amountBase: bigint;
}

export interface EvmMatchResult {
  readonly matches: EvmTransferMatch[];
  readonly foreign: EvmForeignTransfer[];
}

/**
 * Plain value transfers of `txs` to watched addresses. Only a transaction's own `to` and `value` are
 * visible here: ETH moved by a contract (internal transactions, e.g. a smart-wallet or exchange payout
 * through a contract) is not seen, and such a checkout waits or expires. `only` restricts matching to a
 * subset of keys (re-matching for addresses that arrived late).
 */
export function matchNativeTransfers(
  txs: readonly EvmTransactionLike[],
  nativeAsset: CryptoAsset,
  watched: WatchedSet,
  only?: ReadonlySet<string>,
): EvmMatchResult {
  const matches: EvmTransferMatch[] = [];
  const foreign: EvmForeignTransfer[] = [];
  for (const tx of txs) {
    if (tx.to === null || tx.value <= 0n) continue;
    const key = tx.to.toLowerCase();
    if (only !== undefined && !only.has(key)) continue;
    const slot = watched.slotOf(key);
    if (slot < 0) continue;
    const entry = watched.entryAt(slot);
    if (entry.asset === nativeAsset) {
      matches.push({ checkoutId: entry.checkoutId, asset: nativeAsset, txid: tx.hash, outputIndex: 0, amountBase: tx.value });
    } else {
      foreign.push({ checkoutId: entry.checkoutId, expectedAsset: entry.asset, paidAsset: nativeAsset, txid: tx.hash, amountBase: tx.value });
    }
  }
  return { matches, foreign };
}

/** The recipient and amount of an ERC-20 `Transfer` log, or undefined for anything else with topic0 `Transfer`. */
export function decodeTransferLog(log: EvmLogLike): { toKey: string; amountBase: bigint } | undefined {
  // ERC-721 also logs `Transfer(address,address,uint256)`, with the token id as a third topic and no data.
  if (log.topics.length !== 3 || log.topics[0]?.toLowerCase() !== ERC20_TRANSFER_TOPIC) return undefined;
  const toTopic = log.topics[2]!.toLowerCase();
  if (!/^0x0{24}[0-9a-f]{40}$/.test(toTopic) || !/^0x[0-9a-fA-F]{64}$/.test(log.data)) return undefined;
  return { toKey: `0x${toTopic.slice(26)}`, amountBase: BigInt(log.data) };
}

/**
 * ERC-20 `Transfer` logs of the configured token contracts paying watched addresses. Logs of other
 * contracts (a look-alike token) and logs a node marks `removed` are ignored.
 */
export function matchTokenTransfers(
  logs: readonly EvmLogLike[],
  tokens: readonly EvmToken[],
  watched: WatchedSet,
  only?: ReadonlySet<string>,
): EvmMatchResult {
  const matches: EvmTransferMatch[] = [];
  const foreign: EvmForeignTransfer[] = [];
  for (const log of logs) {
    if (log.removed) continue;
    const contract = log.address.toLowerCase();
    const token = tokens.find((t) => t.contract === contract);
    if (token === undefined) continue;
    const transfer = decodeTransferLog(log);
    if (transfer === undefined || transfer.amountBase <= 0n) continue;
    if (only !== undefined && !only.has(transfer.toKey)) continue;
    const slot = watched.slotOf(transfer.toKey);
    if (slot < 0) continue;
    const entry = watched.entryAt(slot);
    if (entry.asset === token.asset) {
      matches.push({ checkoutId: entry.checkoutId, asset: token.asset, txid: log.transactionHash, outputIndex: log.index, amountBase: transfer.amountBase });
    } else {
      foreign.push({ checkoutId: entry.checkoutId, expectedAsset: entry.asset, paidAsset: token.asset, txid: log.transactionHash, amountBase: transfer.amountBase });
    }
  }
  return { matches, foreign };
}
