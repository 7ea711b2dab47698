import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The settlement pipeline and webhook delivery.
 *
 * - `order_releases`: one row per released checkout (primary key), the database's guard that an order
 *   is released once whatever the queue does.
 * - `stores.payout_schedule`: when a store's payouts fall due (`{"kind":"instant"}`, `{"kind":"daily",
 *   "time":"HH:MM","timeZone":"Asia/Tokyo"}`, `{"kind":"threshold","minimumMinor":"100000"}`).
 * - `payouts.due_at`: when a scheduled payout may be handed to a payout provider (null: waiting for the
 *   store's threshold); `payouts.checkout_id` was already unique (one payout per checkout).
 * - `webhook_deliveries` becomes one row per (endpoint, event) carrying its frozen body, with each
 *   attempt in `webhook_delivery_attempts`; delivery is driven from these rows (a lease per claim), so a
 *   restart loses no retry. `sequence` is the outbox position of the event and `ordering_key` what it is
 *   about (the checkout): an endpoint receives the events of one checkout in order, different checkouts
 *   in parallel.
 * - `webhook_endpoints` gains its failure count, why it was disabled, and soft deletion.
 * - `operator_notices`: things an operator must look at (an endpoint disabled after persistent failure).
 */
const up = sql`
CREATE TABLE order_releases (
  checkout_id  text PRIMARY KEY REFERENCES checkouts(id),
  store_id     text NOT NULL REFERENCES stores(id),
  event_id     text NOT NULL UNIQUE,
  currency     text NOT NULL,
  price_minor  bigint NOT NULL CHECK (price_minor > 0),
  -- The mall's fee (percent + fixed of the store at release), booked with the release: 0 <= fee < price.
  fee_minor    bigint NOT NULL CHECK (fee_minor >= 0 AND fee_minor < price_minor),
  escrow       boolean NOT NULL,
  released_at  timestamptz NOT NULL
);
CREATE INDEX order_releases_released_at_idx ON order_releases (released_at);

-- The pipeline sweeper's scan for settled checkouts that were never released.
CREATE INDEX checkouts_settled_at_idx ON checkouts (settled_at) WHERE status = 'settled';

ALTER TABLE stores ADD COLUMN payout_schedule jsonb NOT NULL DEFAULT '{"kind":"instant"}'::jsonb;

ALTER TABLE payouts ADD COLUMN due_at timestamptz;
CREATE INDEX payouts_due_idx ON payouts (due_at) WHERE status = 'scheduled' AND batch_id IS NULL;
CREATE INDEX payouts_store_waiting_idx ON payouts (store_id) WHERE status = 'scheduled' AND due_at IS NULL;

ALTER TABLE webhook_endpoints
  ADD COLUMN description         text NOT NULL DEFAULT '',
  ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  ADD COLUMN disabled_reason     text,
  ADD COLUMN disabled_at         timestamptz,
  ADD COLUMN deleted_at          timestamptz;

ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_event_id_attempt_key;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_attempt_check;
ALTER TABLE webhook_deliveries RENAME COLUMN attempt TO attempts;
ALTER TABLE webhook_deliveries
  ADD CONSTRAINT webhook_deliveries_attempts_check CHECK (attempts >= 0),
  ADD CONSTRAINT webhook_deliveries_endpoint_event_key UNIQUE (endpoint_id, event_id),
  ADD COLUMN sequence        bigint NOT NULL,
  ADD COLUMN ordering_key    text NOT NULL,
  ADD COLUMN store_id        text NOT NULL,
  ADD COLUMN body            text NOT NULL,
  ADD COLUMN lease_until     timestamptz,
  ADD COLUMN last_attempt_at timestamptz,
  ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now();
ALTER TABLE webhook_deliveries ALTER COLUMN attempts SET DEFAULT 0;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_pending_idx ON webhook_deliveries (endpoint_id, ordering_key, sequence) WHERE status = 'pending';

CREATE TABLE webhook_delivery_attempts (
  id            bigserial PRIMARY KEY,
  delivery_id   text NOT NULL REFERENCES webhook_deliveries(id),
  attempt       integer NOT NULL CHECK (attempt >= 1),
  started_at    timestamptz NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  http_status   integer,
  latency_ms    integer NOT NULL CHECK (latency_ms >= 0),
  response_body text CHECK (length(response_body) <= 2048),
  error         text,
  UNIQUE (delivery_id, attempt)
);

CREATE TABLE operator_notices (
  id           bigserial PRIMARY KEY,
  kind         text NOT NULL,
  subject_type text NOT NULL,
  subject_id   text NOT NULL,
  message      text NOT NULL,
  details      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  acknowledged_at timestamptz
);
CREATE INDEX operator_notices_open_idx ON operator_notices (created_at) WHERE acknowledged_at IS NULL;
`;

const down = sql`
DROP TABLE operator_notices, webhook_delivery_attempts, order_releases;
DROP INDEX checkouts_settled_at_idx, webhook_deliveries_due_idx, webhook_deliveries_endpoint_pending_idx, payouts_due_idx, payouts_store_waiting_idx;
ALTER TABLE webhook_deliveries
  DROP CONSTRAINT webhook_deliveries_endpoint_event_key,
  DROP CONSTRAINT webhook_deliveries_attempts_check,
  DROP COLUMN sequence, DROP COLUMN ordering_key, DROP COLUMN store_id, DROP COLUMN body, DROP COLUMN lease_until,
  DROP COLUMN last_attempt_at, DROP COLUMN updated_at;
ALTER TABLE webhook_deliveries ALTER COLUMN attempts DROP DEFAULT;
ALTER TABLE webhook_deliveries RENAME COLUMN attempts TO attempt;
ALTER TABLE webhook_deliveries
  ADD CONSTRAINT webhook_deliveries_attempt_check CHECK (attempt >= 1),
  ADD CONSTRAINT webhook_deliveries_endpoint_id_event_id_attempt_key UNIQUE (endpoint_id, event_id, attempt);
ALTER TABLE webhook_endpoints DROP COLUMN description, DROP COLUMN consecutive_failures, DROP COLUMN disabled_reason,
  DROP COLUMN disabled_at, DROP COLUMN deleted_at;
ALTER TABLE payouts DROP COLUMN due_at;
ALTER TABLE stores DROP COLUMN payout_schedule;
`;

export const pipeline: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
