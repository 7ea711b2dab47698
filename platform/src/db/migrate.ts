import { Migrator, type MigrationResult } from 'kysely';
import type { Database } from './database';
import { migrations } from './migrations';

/**
 * A migration run failed. Every pending migration runs in one transaction, so a failed run leaves the
 * schema exactly as it was. `migration` names the one that failed (undefined when setup failed).
 */
export class MigrationFailedError extends Error {
  override readonly name = 'MigrationFailedError';
  constructor(
    readonly migration: string | undefined,
    override readonly cause: unknown,
  ) {
    super(`database migration ${migration ?? '(setup)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

function migrator(db: Database): Migrator {
  return new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => ({ ...migrations }) },
  });
}

/**
 * Applies every pending migration, all in one transaction under kysely's Postgres advisory lock, so
 * processes migrating at once apply each migration exactly once. Returns the names applied by this
 * call (empty when the schema was already current).
 */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r: MigrationResult) => r.status === 'Error')?.migrationName;
    throw new MigrationFailedError(failed, error);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of the migrations already applied to this database, in order. */
export async function appliedMigrations(db: Database): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt !== undefined).map((m) => m.name);
}
