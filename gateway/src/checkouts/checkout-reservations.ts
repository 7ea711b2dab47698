import type { CryptoAsset, StoreId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { sql } from 'kysely';
import { GroupCommit } from './group-commit';

/** An `Idempotency-Key` to claim for a request. */
export interface KeyClaim {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: string;
  readonly now: Date;
}

/** What one checkout creation needs reserved before it can be built. */
export interface ReservationRequest {
  readonly claim?: KeyClaim;
  /** A derivation index of this wallet, when the checkout gets an address now. */
  readonly wallet?: { readonly storeId: StoreId; readonly asset: CryptoAsset };
}

/**
 * `claimed`: the key is this request's (or it had none) and `index` is its fresh derivation index (when a
 * wallet was asked). `not_claimed`: the key was already used, is in progress, or was claimed by an earlier
 * request of the same batch; nothing was reserved.
 */
export type Reservation = { readonly kind: 'claimed'; readonly index: number | null } | { readonly kind: 'not_claimed' };

/**
 * Claims `Idempotency-Key`s and hands out BIP32 derivation indexes, for every request arriving in one
 * turn of the event loop, in ONE statement: the keys are inserted (`ON CONFLICT DO NOTHING`), and only the
 * requests that own their key (or have none) advance their wallet's counter (`INSERT … ON CONFLICT DO
 * UPDATE … RETURNING` on `store_wallet_indexes`), each wallet by the number of its requests, so an index
 * is handed out exactly once and a refused replay spends none. An index whose checkout is then never
 * written stays unused (a gap), never reused.
 */
export class CheckoutReservations {
  private readonly group: GroupCommit<ReservationRequest, Reservation>;

  constructor(private readonly db: Database) {
    this.group = new GroupCommit(
      (requests) => this.reserveMany(requests),
      async (request) => (await this.reserveMany([request]))[0]!,
    );
  }

  reserve(request: ReservationRequest): Promise<Reservation> {
    return this.group.submit(request);
  }

  private async reserveMany(requests: readonly ReservationRequest[]): Promise<Reservation[]> {
    const rows = requests.map(
      (r, i) =>
        sql`(${i}::int, ${r.claim?.scope ?? null}::text, ${r.claim?.key ?? null}::text, ${r.claim?.requestHash ?? null}::text,
             ${r.claim?.now ?? null}::timestamptz, ${r.wallet?.storeId ?? null}::text, ${r.wallet?.asset ?? null}::text)`,
    );
    const result = await sql<{ i: number; next_index: string | null; n: string | null }>`
      WITH req (i, scope, key, request_hash, created_at, store_id, asset) AS (VALUES ${sql.join(rows)}),
      first_of_key AS (
        SELECT DISTINCT ON (scope, key) i, scope, key, request_hash, created_at FROM req WHERE scope IS NOT NULL ORDER BY scope, key, i
      ),
      claimed AS (
        INSERT INTO idempotency_keys (scope, key, request_hash, created_at)
        SELECT scope, key, request_hash, created_at FROM first_of_key
        ON CONFLICT (scope, key) DO NOTHING
        RETURNING scope, key
      ),
      winners AS (
        SELECT i, store_id, asset FROM req WHERE scope IS NULL
        UNION ALL
        SELECT r.i, r.store_id, r.asset FROM first_of_key f
          JOIN claimed c ON c.scope = f.scope AND c.key = f.key
          JOIN req r ON r.i = f.i
      ),
      counts AS (
        SELECT store_id, asset, count(*)::bigint AS n FROM winners WHERE asset IS NOT NULL GROUP BY store_id, asset
      ),
      alloc AS (
        INSERT INTO store_wallet_indexes AS w (store_id, asset, next_index)
        -- Counters locked in one order by every statement: concurrent batches cannot deadlock.
        SELECT store_id, asset, n FROM counts ORDER BY store_id, asset
        ON CONFLICT (store_id, asset) DO UPDATE SET next_index = w.next_index + EXCLUDED.next_index
        RETURNING w.store_id, w.asset, w.next_index
      )
      SELECT w.i, a.next_index, c.n
        FROM winners w
        LEFT JOIN alloc a ON a.store_id = w.store_id AND a.asset = w.asset
        LEFT JOIN counts c ON c.store_id = w.store_id AND c.asset = w.asset
       ORDER BY w.i`.execute(this.db.kysely);
    // Each wallet's counter moved by its number of winners: their indexes are [next - n, next), in request order.
    const nextFree = new Map<string, bigint>();
    const out: Reservation[] = requests.map(() => ({ kind: 'not_claimed' }));
    for (const row of result.rows) {
      const request = requests[row.i]!;
      if (!request.wallet || row.next_index === null || row.n === null) {
        out[row.i] = { kind: 'claimed', index: null };
        continue;
      }
      const walletKey = `${request.wallet.storeId}|${request.wallet.asset}`;
      const index = nextFree.get(walletKey) ?? BigInt(row.next_index) - BigInt(row.n);
      nextFree.set(walletKey, index + 1n);
      out[row.i] = { kind: 'claimed', index: Number(index) };
    }
    return out;
  }
}
