import type { Database, DB } from '@coinstile/platform';
import type { Kysely } from 'kysely';

/**
 * The columns and tables later migrations added (0004 pipeline, 0006 payout batches) that the dashboard
 * reads; `DB` in platform still describes the initial schema for them.
 */
export type DashboardTables = {
  order_releases: { checkout_id: string; store_id: string; released_at: Date };
  operator_notices: {
    id: string;
    kind: string;
    subject_type: string;
    subject_id: string;
    message: string;
    created_at: Date;
    acknowledged_at: Date | null;
  };
  payouts: {
    due_at: Date | null;
    attempt: number;
    provider_reference: string | null;
    failure_reason: string | null;
    sent_at: Date | null;
    paid_at: Date | null;
    failed_at: Date | null;
  };
  webhook_deliveries: {
    attempts: number;
    store_id: string;
    last_attempt_at: Date | null;
    updated_at: Date;
  };
};

export type DashboardDB = DB & DashboardTables;

/** The same pool, typed with the tables the dashboard reads. */
export function dashboardKysely(db: Database): Kysely<DashboardDB> {
  return db.kysely.withTables<DashboardTables>() as unknown as Kysely<DashboardDB>;
}
