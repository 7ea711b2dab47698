import type { Kysely } from 'kysely';
import type { CryptoAsset, StoreId } from '@coinstile/core';
import type { Database } from './database';
import type { DB } from './schema';

/**
 * Allocates BIP32 derivation indexes per (store, asset). One atomic upsert per allocation, so
 * concurrent checkouts never share an address. Allocated inside the checkout's transaction, an index
 * rolled back with it is handed out again (no checkout ever held it); allocated on its own, a failed
 * checkout leaves a gap, which wallets tolerate within their gap limit.
 */
export class WalletIndexRepository {
  constructor(private readonly db: Database) {}

  /** The next unused index for `asset` under `storeId`'s wallet: 0, 1, 2, … */
  async allocate(storeId: StoreId, asset: CryptoAsset, executor: Kysely<DB> = this.db.kysely): Promise<number> {
    const row = await executor
      .insertInto('store_wallet_indexes')
      .values({ store_id: storeId, asset, next_index: '1' })
      .onConflict((oc) => oc.columns(['store_id', 'asset']).doUpdateSet((eb) => ({ next_index: eb('store_wallet_indexes.next_index', '+', '1') })))
      .returning('next_index')
      .executeTakeFirstOrThrow();
    return Number(BigInt(row.next_index) - 1n);
  }
}
