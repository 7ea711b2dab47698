import { createHash } from 'node:crypto';
import { KeyIdentityCache } from './key-identity-cache';
import { type Clock, nextId, NotFoundError, parseId, type RandomSource, type StoreId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import type { ApiKeyScope } from '../http/schemas';

/** Store keys carry 256 random bits; the prefix makes a leaked key recognisable to secret scanners. */
const KEY_PREFIX = 'csk_';
const KEY_BYTES = 32;
/** Characters of the key shown in listings: the scheme prefix plus a few random characters. */
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 6;

/** SHA-256 of a key. 256 random bits need no slow hash: the hash reveals nothing useful. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** An API key as listings show it: never the key itself. */
export interface ApiKeyView {
  readonly id: string;
  readonly storeId: string;
  readonly prefix: string;
  readonly last4: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** What a verified key resolves to. */
export interface ApiKeyIdentity {
  readonly keyId: string;
  readonly storeId: StoreId;
  readonly scopes: ReadonlySet<ApiKeyScope>;
}

export interface ApiKeyServiceOptions {
  readonly clock: Clock;
  readonly random: RandomSource;
  /** How long a verified key (or a miss) is served from memory. Revocation here clears it at once; other replicas see it within this. */
  readonly cacheTtlMs?: number;
  /** `last_used_at` is written at most this often per key, not on every request. */
  readonly lastUsedWriteIntervalMs?: number;
}


const MAX_CACHE_ENTRIES = 50_000;

/**
 * Store API keys: created with scopes and shown once, stored as SHA-256 with a display prefix and last 4,
 * revocable. Verification is served from a short-lived in-memory cache keyed by the hash, so the hot path
 * does no database read; `last_used_at` is refreshed in the background at most once a minute per key.
 */
export class ApiKeyService {
  readonly #cache: KeyIdentityCache<ApiKeyIdentity>;
  readonly #lastUsedWrittenAt = new Map<string, number>();
  readonly #lastUsedIntervalMs: number;

  constructor(
    private readonly db: Database,
    private readonly options: ApiKeyServiceOptions,
  ) {
    this.#cache = new KeyIdentityCache(options.cacheTtlMs ?? 30_000, MAX_CACHE_ENTRIES);
    this.#lastUsedIntervalMs = options.lastUsedWriteIntervalMs ?? 60_000;
  }

  /** A new key for `storeId`: the only time the key exists outside the caller's hands. */
  async create(storeId: StoreId, scopes: readonly ApiKeyScope[]): Promise<{ key: string; view: ApiKeyView }> {
    const key = KEY_PREFIX + Buffer.from(this.options.random.bytes(KEY_BYTES)).toString('base64url');
    const id = nextId('key', this.options.clock, this.options.random);
    const unique = [...new Set(scopes)];
    const row = await this.db.kysely
      .insertInto('api_keys')
      .values({
        id,
        store_id: storeId,
        key_hash: hashApiKey(key),
        prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
        last4: key.slice(-4),
        scopes: unique,
        created_at: this.options.clock.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { key, view: toView(row) };
  }

  async list(storeId: StoreId): Promise<ApiKeyView[]> {
    const rows = await this.db.kysely.selectFrom('api_keys').selectAll().where('store_id', '=', storeId).orderBy('id', 'desc').execute();
    return rows.map(toView);
  }

  /** Revokes a key of `storeId` (idempotent); a key of another store is not found. */
  async revoke(storeId: StoreId, keyIdText: string): Promise<ApiKeyView> {
    const keyId = parseId('key', keyIdText);
    const row = await this.db.kysely
      .updateTable('api_keys')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(this.options.clock.now())) }))
      .where('id', '=', keyId)
      .where('store_id', '=', storeId)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('api_key', keyIdText);
    this.#cache.forget(keyId);
    return toView(row);
  }

  /** The identity of a presented key, or null when it is unknown or revoked. */
  async verify(key: string): Promise<ApiKeyIdentity | null> {
    if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
    const hash = hashApiKey(key);
    const nowMs = this.options.clock.now().getTime();
    let identity = this.#cache.get(hash, nowMs);
    if (identity === undefined) {
      // The lookup is by the hash (a unique index): the key itself is never compared, so timing reveals nothing.
      const row = await this.db.kysely
        .selectFrom('api_keys')
        .select(['id', 'store_id', 'scopes', 'revoked_at'])
        .where('key_hash', '=', hash)
        .executeTakeFirst();
      identity =
        row && row.revoked_at === null
          ? { keyId: row.id, storeId: row.store_id as StoreId, scopes: new Set(row.scopes as ApiKeyScope[]) }
          : null;
      this.#cache.set(hash, identity, nowMs);
    }
    if (identity) this.touch(identity.keyId, nowMs);
    return identity;
  }

  /** Marks the key used, writing at most once per interval; a failed write is retried by a later request. */
  private touch(keyId: string, nowMs: number): void {
    const last = this.#lastUsedWrittenAt.get(keyId);
    if (last !== undefined && nowMs - last < this.#lastUsedIntervalMs) return;
    this.#lastUsedWrittenAt.set(keyId, nowMs);
    this.db.kysely
      .updateTable('api_keys')
      .set({ last_used_at: new Date(nowMs) })
      .where('id', '=', keyId)
      .execute()
      .catch(() => this.#lastUsedWrittenAt.delete(keyId));
  }
}

function toView(row: {
  id: string;
  store_id: string;
  prefix: string;
  last4: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): ApiKeyView {
  return {
    id: row.id,
    storeId: row.store_id,
    prefix: row.prefix,
    last4: row.last4,
    scopes: row.scopes as ApiKeyScope[],
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}
