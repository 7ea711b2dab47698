import { sql, type Kysely } from 'kysely';
import { IdempotencyConflictError } from '@coinstile/core';
import type { Database } from './database';
import { jsonText, type JsonValue } from './json';
import type { DB } from './schema';

/** What `begin` found for an idempotency key. */
export type IdempotencyBegin =
  /** First use (or a takeover of an abandoned one): handle the request, then `complete` or `abandon`. */
  | { readonly kind: 'started' }
  /** Already answered: send this stored response again. */
  | { readonly kind: 'replay'; readonly responseStatus: number; readonly responseBody: JsonValue }
  /** Another request with this key is being handled right now: answer 409 and let the client retry. */
  | { readonly kind: 'in_progress' };

export interface IdempotencyBeginOptions {
  /**
   * An unfinished key older than this is taken over (its process died mid-request). Default 60 s,
   * longer than any request may take.
   */
  readonly takeOverAfterMs?: number;
  readonly now?: Date;
}

/**
 * `Idempotency-Key` bookkeeping. A key belongs to a scope (the caller and the endpoint, e.g.
 * `st_…:POST /v1/checkouts`) and remembers the hash of the request that first used it: the same
 * request again replays the stored response, a different one is refused with `IdempotencyConflictError`.
 */
export class IdempotencyRepository {
  constructor(private readonly db: Database) {}

  /**
   * Claims `key` in `scope` for a request whose canonical body hashes to `requestHash`.
   * Throws `IdempotencyConflictError` (409) when the key was used with another request.
   */
  async begin(scope: string, key: string, requestHash: string, options: IdempotencyBeginOptions = {}): Promise<IdempotencyBegin> {
    const now = options.now ?? new Date();
    const staleBefore = new Date(now.getTime() - (options.takeOverAfterMs ?? 60_000));
    const claimed = await this.db.kysely
      .insertInto('idempotency_keys')
      .values({ scope, key, request_hash: requestHash, created_at: now })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (claimed) return { kind: 'started' };

    const existing = await this.db.kysely
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'response_status', 'response_body', 'created_at'])
      .where('scope', '=', scope)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!existing) {
      // Abandoned and deleted between our insert and select: claim it again.
      return this.begin(scope, key, requestHash, options);
    }
    if (existing.request_hash !== requestHash) throw new IdempotencyConflictError(key);
    if (existing.response_status !== null) {
      return { kind: 'replay', responseStatus: existing.response_status, responseBody: existing.response_body as JsonValue };
    }
    // Unfinished: take it over only if it is stale, and only one taker wins the conditional update.
    const takeover = await this.db.kysely
      .updateTable('idempotency_keys')
      .set({ created_at: now })
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('response_status', 'is', null)
      .where('created_at', '<', staleBefore)
      .executeTakeFirst();
    return takeover.numUpdatedRows > 0n ? { kind: 'started' } : { kind: 'in_progress' };
  }

  /**
   * Stores the response of a started request so that retries replay it. Pass the transaction that
   * made the request's changes so the response is stored exactly when they commit.
   */
  async complete(scope: string, key: string, responseStatus: number, responseBody: unknown, executor?: Kysely<DB>): Promise<void> {
    const result = await (executor ?? this.db.kysely)
      .updateTable('idempotency_keys')
      .set({ response_status: responseStatus, response_body: jsonText(responseBody), completed_at: sql<Date>`now()` })
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('response_status', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      throw new Error(`idempotency key ${scope}/${key} is not in progress (never begun, or already completed)`);
    }
  }

  /** Releases an unfinished key after the request failed without effect, so a retry can proceed. */
  async abandon(scope: string, key: string): Promise<void> {
    await this.db.kysely
      .deleteFrom('idempotency_keys')
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('response_status', 'is', null)
      .execute();
  }
}
