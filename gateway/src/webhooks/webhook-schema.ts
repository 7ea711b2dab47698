import type { Kysely } from 'kysely';
import type { Database, DB } from '@coinstile/platform';

/** Columns and tables migration 0004 adds for webhook delivery (beyond platform's `DB`). */
export type WebhookTables = {
  webhook_endpoints: {
    description: string | undefined;
    consecutive_failures: number | undefined;
    disabled_reason: string | null;
    disabled_at: Date | string | null;
    deleted_at: Date | string | null;
  };
  webhook_deliveries: {
    attempts: number | undefined;
    sequence: string;
    ordering_key: string;
    store_id: string;
    body: string;
    lease_until: Date | string | null;
    last_attempt_at: Date | string | null;
    updated_at: Date | string | undefined;
  };
  webhook_delivery_attempts: {
    id: never;
    delivery_id: string;
    attempt: number;
    started_at: Date | string;
    outcome: 'succeeded' | 'failed';
    http_status: number | null;
    latency_ms: number;
    response_body: string | null;
    error: string | null;
  };
  operator_notices: {
    id: never;
    kind: string;
    subject_type: string;
    subject_id: string;
    message: string;
    details: string | undefined;
    created_at: Date | string | undefined;
    acknowledged_at: Date | string | null;
  };
};

/** `webhook_deliveries.attempt` was renamed `attempts` by migration 0004. */
export type WebhookDB = Omit<DB, 'webhook_deliveries'> & {
  webhook_deliveries: Omit<DB['webhook_deliveries'], 'attempt'>;
} & WebhookTables;

export function webhookKysely(db: Database | Kysely<DB>): Kysely<WebhookDB> {
  const kysely = 'kysely' in db ? db.kysely : db;
  return kysely as unknown as Kysely<WebhookDB>;
}
