import type { CryptoAsset, StoreId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { sql } from 'kysely';
import { GroupCommit } from './group-commit';

interface Request {
  readonly storeId: StoreId;
  readonly asset: CryptoAsset;
}

/**
 * Hands out BIP32 derivation indexes per (store, asset), each exactly once: one atomic
 * `INSERT … ON CONFLICT DO UPDATE … RETURNING` on `store_wallet_indexes` moves the counter past every
 * index it hands out. Concurrent requests are grouped: a wallet asked for k indexes in one turn advances
 * its counter by k in one statement and gives each request one of the k. An index whose checkout is then
 * never written stays unused (a gap), never reused.
 */
export class IndexAllocator {
  private readonly group: GroupCommit<Request, number>;

  constructor(private readonly db: Database) {
    this.group = new GroupCommit(
      (requests) => this.allocateMany(requests),
      async (request) => (await this.allocateMany([request]))[0]!,
    );
  }

  /** The next unused index of `storeId`'s `asset` wallet. */
  allocate(storeId: StoreId, asset: CryptoAsset): Promise<number> {
    return this.group.submit({ storeId, asset });
  }

  private async allocateMany(requests: readonly Request[]): Promise<number[]> {
    const counts = new Map<string, { storeId: StoreId; asset: CryptoAsset; count: number }>();
    for (const r of requests) {
      const key = `${r.storeId}|${r.asset}`;
      const entry = counts.get(key);
      if (entry) entry.count += 1;
      else counts.set(key, { storeId: r.storeId, asset: r.asset, count: 1 });
    }
    const values = [...counts.values()];
    const rows = await sql<{ store_id: string; asset: string; next_index: string }>`
      INSERT INTO store_wallet_indexes AS w (store_id, asset, next_index)
      SELECT v.store_id, v.asset, v.count FROM (VALUES ${sql.join(
        values.map((v) => sql`(${v.storeId}, ${v.asset}, ${String(v.count)}::bigint)`),
      )}) AS v(store_id, asset, count)
      ON CONFLICT (store_id, asset) DO UPDATE SET next_index = w.next_index + EXCLUDED.next_index
      RETURNING w.store_id, w.asset, w.next_index`.execute(this.db.kysely);
    // Each wallet's counter moved by its count: the indexes handed out are [next - count, next).
    const nextFree = new Map<string, bigint>();
    for (const row of rows.rows) {
      const count = BigInt(counts.get(`${row.store_id}|${row.asset}`)!.count);
      nextFree.set(`${row.store_id}|${row.asset}`, BigInt(row.next_index) - count);
    }
    return requests.map((r) => {
      const key = `${r.storeId}|${r.asset}`;
      const index = nextFree.get(key)!;
      nextFree.set(key, index + 1n);
      return Number(index);
    });
  }
}
