import { CRYPTO_ASSET_CODES, type CryptoAsset, type StoreId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import type { StoreService } from '../stores/store-service';

/** Wallets scan this many unused addresses past the last used one; a store's wallet may miss payments beyond it. */
export const DEFAULT_GAP_LIMIT = 20;

/** `ok`; `approaching` from three quarters of the gap limit; `exceeded` at or past it. */
export type GapState = 'ok' | 'approaching' | 'exceeded';

/** A receiving wallet as the integration page shows it. */
export interface ReceivingWalletStatus {
  readonly asset: CryptoAsset;
  readonly extendedPublicKey: string;
  /** The index the next checkout in this asset gets. */
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
 */
export async function receivingWalletStatuses(db: Database, stores: StoreService, storeId: StoreId, gapLimit = DEFAULT_GAP_LIMIT): Promise<ReceivingWalletStatus[]> {
  const store = await stores.get(storeId);
  const [indexes, paid] = await Promise.all([
    db.kysely.selectFrom('store_wallet_indexes').select(['asset', 'next_index']).where('store_id', '=', storeId).execute(),
    db.kysely
      .selectFrom('checkouts')
      .select(['asset', (eb) => eb.fn.max<string>('derivation_index').as('last_paid')])
      .where('store_id', '=', storeId)
      .where('amount_paid_base', '>', '0')
      .where('derivation_index', 'is not', null)
      .groupBy('asset')
      .execute(),
  ]);
  const nextOf = new Map(indexes.map((r) => [r.asset, BigInt(r.next_index)]));
  const lastPaidOf = new Map(paid.map((r) => [r.asset, r.last_paid === null ? null : BigInt(r.last_paid)]));
  return CRYPTO_ASSET_CODES.flatMap((asset) => {
    const wallet = store.wallets[asset];
    if (wallet === undefined) return [];
    const nextIndex = nextOf.get(asset) ?? 0n;
    const lastPaidIndex = lastPaidOf.get(asset) ?? null;
    const unpaidPastLastPaid = nextIndex - (lastPaidIndex === null ? 0n : lastPaidIndex + 1n);
    const unpaid = unpaidPastLastPaid < 0n ? 0n : unpaidPastLastPaid;
    return [{ asset, extendedPublicKey: wallet.extendedPublicKey, nextIndex, lastPaidIndex, unpaidPastLastPaid: unpaid, gapLimit, gap: gapStateOf(unpaid, gapLimit) }];
  });
}
