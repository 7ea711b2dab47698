import { CRYPTO_ASSET_CODES, type CryptoAsset, type StoreId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { sql } from 'kysely';
import type { StoreService } from '../stores/store-service';

/** Wallets scan this many unused addresses past the last used one; a store's wallet may miss payments beyond it. */
export const DEFAULT_GAP_LIMIT = 20;

/** `ok`; `approaching` from three quarters of the gap limit; `exceeded` at or past it. */
export type GapState = 'ok' | 'approaching' | 'exceeded';

/** A receiving wallet as the integration page shows it. */
export interface ReceivingWalletStatus {
  readonly asset: CryptoAsset;
  readonly extendedPublicKey: string;
  /** One past the highest index handed out to a checkout (0 when none was): where the next address lies. */
  readonly nextIndex: bigint;
  /** The highest index a payment arrived at, or null when none has. */
  readonly lastPaidIndex: bigint | null;
  /** Addresses issued after the last paid one that are still unpaid. */
  readonly unpaidPastLastPaid: bigint;
  readonly gapLimit: number;
  readonly gap: GapState;
}

export function gapStateOf(unpaidPastLastPaid: bigint, gapLimit: number): GapState {
  if (unpaidPastLastPaid >= BigInt(gapLimit)) return 'exceeded';
  if (unpaidPastLastPaid * 4n >= BigInt(gapLimit) * 3n) return 'approaching';
  return 'ok';
}

/**
 * Each of the store's receiving wallets with its next derivation index and how many addresses were
 * handed out unpaid past the last paid one: a wallet app restored from the xpub stops looking after
 * `gapLimit` such addresses, so the store is warned before payments there become invisible to it.
 * Counted from the checkouts' addresses, not from `store_wallet_indexes`: that counter also counts the
 * indexes gateways leased ahead and have not handed out, which no wallet app needs to look at yet.
 */
export async function receivingWalletStatuses(db: Database, stores: StoreService, storeId: StoreId, gapLimit = DEFAULT_GAP_LIMIT): Promise<ReceivingWalletStatus[]> {
  const [store, issued] = await Promise.all([
    stores.get(storeId),
    sql<{ asset: string; last_issued: string; last_paid: string | null }>`
      SELECT asset, max(derivation_index) AS last_issued, max(derivation_index) FILTER (WHERE amount_paid_base > 0) AS last_paid
        FROM checkouts
       WHERE store_id = ${storeId} AND derivation_index IS NOT NULL
       GROUP BY asset`.execute(db.kysely),
  ]);
  const issuedOf = new Map(issued.rows.map((r) => [r.asset, r]));
  return CRYPTO_ASSET_CODES.flatMap((asset) => {
    const wallet = store.wallets[asset];
    if (wallet === undefined) return [];
    const row = issuedOf.get(asset);
    const nextIndex = row === undefined ? 0n : BigInt(row.last_issued) + 1n;
    const lastPaidIndex = row?.last_paid == null ? null : BigInt(row.last_paid);
    const unpaidPastLastPaid = nextIndex - (lastPaidIndex === null ? 0n : lastPaidIndex + 1n);
    return [{ asset, extendedPublicKey: wallet.extendedPublicKey, nextIndex, lastPaidIndex, unpaidPastLastPaid, gapLimit, gap: gapStateOf(unpaidPastLastPaid, gapLimit) }];
  });
}
