import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Webhooks in causal order across relay batches. The relay publishes batches from several loops and the
 * fan-out runs several batches at once, so a checkout's `settled` could get its delivery row, and be
 * sent, before its `processing` had one. Each outbox row now carries the key its events are ordered by
 * (the `checkoutId` of its payload, else its aggregate: the same rule as the delivery rows' key) and when
 * the webhook fan-out handled it; a delivery waits while an earlier row of its key is not fanned out.
 *
 * Rows published before this migration were handed to the fan-out already: they count as fanned out.
 * The partial index holds only rows awaiting their fan-out, a relay batch or two.
 */
const up = sql`
ALTER TABLE outbox
  ADD COLUMN ordering_key text GENERATED ALWAYS AS (
    CASE WHEN jsonb_typeof(payload->'checkoutId') = 'string' THEN payload->>'checkoutId'
         ELSE aggregate_type || ':' || aggregate_id END) STORED,
  ADD COLUMN fanned_out_at timestamptz;
UPDATE outbox SET fanned_out_at = published_at WHERE published_at IS NOT NULL;
CREATE INDEX outbox_awaiting_fan_out_idx ON outbox (ordering_key, id) WHERE fanned_out_at IS NULL;
`;

const down = sql`
DROP INDEX outbox_awaiting_fan_out_idx;
ALTER TABLE outbox DROP COLUMN fanned_out_at, DROP COLUMN ordering_key;
`;

export const outboxFanOutOrder: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
