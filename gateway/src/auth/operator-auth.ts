import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { hashOperatorToken } from './operator-token';

interface CacheEntry {
  readonly tokenId: string | null;
  readonly expiresAtMs: number;
}

/**
 * Verifies operator tokens against `operator_tokens` (SHA-256 hashes). Results are cached briefly so
 * every operator request does not read the table; a revoked token stops working within the TTL.
 */
export class OperatorAuthenticator {
  readonly #cache = new Map<string, CacheEntry>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly cacheTtlMs = 30_000,
  ) {}

  /** The token's id, or null when it is not a live operator token. */
  async verify(token: string): Promise<string | null> {
    if (token.length > 200) return null;
    const hash = hashOperatorToken(token);
    const nowMs = this.clock.now().getTime();
    const cached = this.#cache.get(hash);
    if (cached && cached.expiresAtMs > nowMs) return cached.tokenId;
    const row = await this.db.kysely
      .selectFrom('operator_tokens')
      .select(['id', 'token_hash'])
      .where('token_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    // The row was found by its hash; comparing the hashes again in constant time guards against any
    // collation or index surprise turning a near-match into a match.
    const tokenId = row && timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(hash, 'hex')) ? row.id : null;
    if (this.#cache.size > 1_000) this.#cache.clear();
    this.#cache.set(hash, { tokenId, expiresAtMs: nowMs + this.cacheTtlMs });
    return tokenId;
  }
}
