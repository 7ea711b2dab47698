import type { Clock, CryptoAsset, StoreId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import type { HostedStoreDirectory } from './hosted-checkout-reader';

type StoreEntry = { readonly name: string; readonly wallets: Readonly<Partial<Record<CryptoAsset, unknown>>> };

/**
 * Store names and wallet assets straight from the `stores` table, each kept for `ttlMs` so an open page
 * refreshing its checkout costs no store read. For composing the page without the gateway's `StoreService`.
 */
export class DbStoreDirectory implements HostedStoreDirectory {
  readonly #cache = new Map<string, { entry: Promise<StoreEntry | null>; expiresAtMs: number }>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly ttlMs = 5_000,
  ) {}

  getCached(id: StoreId): Promise<StoreEntry | null> {
    const nowMs = this.clock.now().getTime();
    const cached = this.#cache.get(id);
    if (cached !== undefined && cached.expiresAtMs > nowMs) return cached.entry;
    const entry = this.db.kysely
      .selectFrom('stores')
      .select(['name', 'wallets'])
      .where('id', '=', id)
      .executeTakeFirst()
      .then((row) => (row === undefined ? null : { name: row.name, wallets: walletsOf(row.wallets) }));
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(id, { entry, expiresAtMs: nowMs + this.ttlMs });
    entry.catch(() => this.#cache.delete(id));
    return entry;
  }
}

function walletsOf(json: unknown): Readonly<Partial<Record<CryptoAsset, unknown>>> {
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Partial<Record<CryptoAsset, unknown>>) : {};
}
