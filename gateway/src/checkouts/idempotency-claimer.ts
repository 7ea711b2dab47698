import { type Database, type IdempotencyBegin, IdempotencyRepository } from '@coinstile/platform';
import { sql } from 'kysely';
import { GroupCommit } from './group-commit';

interface Claim {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: string;
  readonly now: Date;
}

/**
 * `IdempotencyRepository.begin` with its common case grouped: first uses of keys arriving in one turn of
 * the event loop are claimed by one multi-row `INSERT … ON CONFLICT DO NOTHING`. A key that was not
 * claimed (already used, in progress, or repeated within the batch) takes the repository's full path
 * (replay, conflict, in progress, stale takeover).
 */
export class IdempotencyClaimer {
  private readonly repository: IdempotencyRepository;
  private readonly group: GroupCommit<Claim, boolean>;

  constructor(db: Database) {
    this.repository = new IdempotencyRepository(db);
    this.group = new GroupCommit(
      async (claims) => {
        const rows = await sql<{ scope: string; key: string }>`
          INSERT INTO idempotency_keys (scope, key, request_hash, created_at)
          VALUES ${sql.join(claims.map((c) => sql`(${c.scope}, ${c.key}, ${c.requestHash}, ${c.now})`))}
          ON CONFLICT (scope, key) DO NOTHING
          RETURNING scope, key`.execute(db.kysely);
        const claimed = new Set(rows.rows.map((r) => `${r.scope}\u0000${r.key}`));
        // A key repeated within the batch was inserted once: only its first request owns it.
        return claims.map((c) => claimed.delete(`${c.scope}\u0000${c.key}`));
      },
      async (claim) => {
        const row = await db.kysely
          .insertInto('idempotency_keys')
          .values({ scope: claim.scope, key: claim.key, request_hash: claim.requestHash, created_at: claim.now })
          .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
          .returning('key')
          .executeTakeFirst();
        return row !== undefined;
      },
    );
  }

  async begin(scope: string, key: string, requestHash: string, now: Date): Promise<IdempotencyBegin> {
    if (await this.group.submit({ scope, key, requestHash, now })) return { kind: 'started' };
    return this.repository.begin(scope, key, requestHash, { now });
  }

  abandon(scope: string, key: string): Promise<void> {
    return this.repository.abandon(scope, key);
  }
}
