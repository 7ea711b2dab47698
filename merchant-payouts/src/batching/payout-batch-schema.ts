import type { ColumnType, Kysely } from 'kysely';
import type { Database, DB } from '@coinstile/platform';
import type { PipelineTables } from '../pipeline-schema';

export type PayoutBatchStatus = 'pending' | 'submitted' | 'held';
export type PayoutBatchItemOutcome = 'pending' | 'accepted' | 'refused';

/** `payout_batches` (migration 0006). */
export type PayoutBatchesTable = {
  id: string;
  provider: string;
  currency: string;
  status: PayoutBatchStatus;
  payout_count: number;
  total_minor: string;
  submit_attempts: number;
  next_attempt_at: Date | string;
  last_error: string | null;
  created_at: Date | string;
  submitted_at: Date | string | null;
  updated_at: Date | string;
};

/** `payout_batch_items` (migration 0006). */
export type PayoutBatchItemsTable = {
  batch_id: string;
  payout_id: string;
  attempt: number;
  amount_minor: string;
  outcome: PayoutBatchItemOutcome;
  provider_reference: string | null;
};

/** `operator_notices` (migration 0004). */
export type OperatorNoticesTable = {
  id: ColumnType<string, never, never>;
  kind: string;
  subject_type: string;
  subject_id: string;
  message: string;
  details: string;
  created_at: Date | string;
  acknowledged_at: ColumnType<Date | null, never, Date | string>;
};

/** The columns migration 0006 adds to `payouts`. */
export type PayoutBatchingColumns = {
  attempt: number;
  provider_reference: string | null;
  failure_reason: string | null;
  sent_at: Date | string | null;
  paid_at: Date | string | null;
  failed_at: Date | string | null;
  returned_at: Date | string | null;
  due_at: Date | string | null;
};

export type PayoutBatchTables = {
  payout_batches: PayoutBatchesTable;
  payout_batch_items: PayoutBatchItemsTable;
  operator_notices: OperatorNoticesTable;
  payouts: PayoutBatchingColumns;
  order_releases: PipelineTables['order_releases'];
  stores: PipelineTables['stores'];
};

export type PayoutBatchDB = DB & PayoutBatchTables;

/** The database handle typed with the batching tables (the same connection or transaction). */
export function batchKysely(db: Database | Kysely<DB>): Kysely<PayoutBatchDB> {
  const kysely = 'kysely' in db ? db.kysely : db;
  return kysely.withTables<PayoutBatchTables>() as unknown as Kysely<PayoutBatchDB>;
}
