import { type CarrierId, type Clock, nextId, NotFoundError, parseId, type RandomSource } from '@coinstile/core';
import type { Database, DB } from '@coinstile/platform';
import type { Selectable } from 'kysely';
import { hashApiKey } from '../auth/api-keys';
import { KeyIdentityCache } from '../auth/key-identity-cache';

/** Carrier keys carry 256 random bits; the prefix tells them from store keys (`csk_`) and operator tokens (`cso_`). */
export const CARRIER_KEY_PREFIX = 'csc_';
const KEY_BYTES = 32;
const DISPLAY_PREFIX_LENGTH = CARRIER_KEY_PREFIX.length + 6;

/** What a carrier key may do: post shipment events. The only scope carriers have. */
export const CARRIER_SCOPES = ['shipments'] as const;
export type CarrierScope = (typeof CARRIER_SCOPES)[number];

export interface CarrierKeyIdentity {
  readonly keyId: string;
  readonly carrierId: CarrierId;
  readonly scopes: ReadonlySet<CarrierScope>;
}

export interface CarrierKeyView {
  readonly id: string;
  readonly carrierId: string;
  readonly prefix: string;
  readonly last4: string;
  readonly scopes: readonly CarrierScope[];
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

function viewOf(row: Selectable<DB['carrier_api_keys']>): CarrierKeyView {
  return {
    id: row.id,
    carrierId: row.carrier_id,
    prefix: row.prefix,
    last4: row.last4,
    scopes: row.scopes as CarrierScope[],
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/**
 * Carrier API keys (`carrier_api_keys`): shown once, stored as SHA-256 with a display prefix and last 4,
 * verified through a short-lived cache like store keys. Carriers are few and post rarely, so the cache is small.
 */
export class CarrierKeyService {
  readonly #cache: KeyIdentityCache<CarrierKeyIdentity>;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    cacheTtlMs = 30_000,
  ) {
    this.#cache = new KeyIdentityCache(cacheTtlMs, 1_000);
  }

  async create(carrierIdText: string): Promise<{ key: string; view: CarrierKeyView }> {
    const carrierId = parseId('car', carrierIdText);
    const carrier = await this.db.kysely.selectFrom('carriers').select('id').where('id', '=', carrierId).executeTakeFirst();
    if (carrier === undefined) throw new NotFoundError('carrier', carrierId);
    const key = CARRIER_KEY_PREFIX + Buffer.from(this.random.bytes(KEY_BYTES)).toString('base64url');
    const row = await this.db.kysely
      .insertInto('carrier_api_keys')
      .values({
        id: nextId('key', this.clock, this.random),
        carrier_id: carrierId,
        key_hash: hashApiKey(key),
        prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
        last4: key.slice(-4),
        scopes: [...CARRIER_SCOPES],
        created_at: this.clock.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { key, view: viewOf(row) };
  }

  /** Revokes a key of `carrierIdText` (idempotent; effective at once here, within the cache TTL on other replicas). */
  async revoke(carrierIdText: string, keyIdText: string): Promise<CarrierKeyView> {
    const carrierId = parseId('car', carrierIdText);
    const keyId = parseId('key', keyIdText);
    const row = await this.db.kysely
      .updateTable('carrier_api_keys')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(this.clock.now())) }))
      .where('id', '=', keyId)
      .where('carrier_id', '=', carrierId)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('carrier_api_key', keyId);
    this.#cache.forget(keyId);
    return viewOf(row);
  }

  /** The identity of a presented carrier key, or null when unknown or revoked. */
  async verify(key: string): Promise<CarrierKeyIdentity | null> {
    if (!key.startsWith(CARRIER_KEY_PREFIX) || key.length > 200) return null;
    const hash = hashApiKey(key);
    const nowMs = this.clock.now().getTime();
    const cached = this.#cache.get(hash, nowMs);
    if (cached !== undefined) return cached;
    const row = await this.db.kysely.selectFrom('carrier_api_keys').select(['id', 'carrier_id', 'scopes', 'revoked_at']).where('key_hash', '=', hash).executeTakeFirst();
    const identity = row && row.revoked_at === null ? { keyId: row.id, carrierId: row.carrier_id as CarrierId, scopes: new Set(row.scopes as CarrierScope[]) } : null;
    this.#cache.set(hash, identity, nowMs);
    return identity;
  }
}
