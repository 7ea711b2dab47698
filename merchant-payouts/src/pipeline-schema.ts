import type { Kysely } from 'kysely';
import type { Database, DB } from '@coinstile/platform';

/** `order_releases` (migration 0004): one row per released checkout. */
export type OrderReleasesTable = {
  checkout_id: string;
  store_id: string;
  event_id: string;
  currency: string;
  price_minor: string;
  fee_minor: string;
  escrow: boolean;
  released_at: Date | string;
};

/** The tables and columns migration 0004 adds that the pipeline reads and writes. */
export type PipelineTables = {
  order_releases: OrderReleasesTable;
  payouts: { due_at: Date | string | null };
  stores: { payout_schedule: unknown };
};

export type PipelineDB = DB & PipelineTables;

/** The database handle typed with the pipeline's tables (the same connection pool). */
export function pipelineKysely(db: Database | Kysely<DB>): Kysely<PipelineDB> {
  const kysely = 'kysely' in db ? db.kysely : db;
  return kysely.withTables<PipelineTables>() as unknown as Kysely<PipelineDB>;
}
