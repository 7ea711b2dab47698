import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Payout batching (merchant-payouts' batcher and providers).
 *
 * - `payout_batches`: scheduled payouts of one currency handed to one provider together. `pending`
 *   until the provider accepted the batch (submission is retried with backoff), `submitted` after,
 *   `held` when submission kept failing and the operator must look at it.
 * - `payout_batch_items`: which payout attempt went into which batch. `UNIQUE (payout_id, attempt)` is
 *   the database's guard that one attempt of a payout is never in two batches; a payout enters another
 *   batch only after it failed or was returned and the operator retried it (a new `attempt`).
 *   `outcome` says whether the provider took the item (`accepted`: written to the bank file / posted to
 *   the API) or refused it before sending (`refused`).
 * - `payouts` gains its attempt number, the provider's reference, why it failed, and when it moved.
 */
const up = sql`
CREATE TABLE payout_batches (
  id              text PRIMARY KEY CHECK (id LIKE 'pb\\_%'),
  provider        text NOT NULL,
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status          text NOT NULL CHECK (status IN ('pending', 'submitted', 'held')),
  payout_count    integer NOT NULL CHECK (payout_count > 0),
  total_minor     bigint NOT NULL CHECK (total_minor > 0),
  submit_attempts integer NOT NULL DEFAULT 0 CHECK (submit_attempts >= 0),
  next_attempt_at timestamptz NOT NULL,
  last_error      text,
  created_at      timestamptz NOT NULL,
  submitted_at    timestamptz,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX payout_batches_pending_idx ON payout_batches (next_attempt_at) WHERE status = 'pending';

CREATE TABLE payout_batch_items (
  batch_id           text NOT NULL REFERENCES payout_batches(id),
  payout_id          text NOT NULL REFERENCES payouts(id),
  attempt            integer NOT NULL CHECK (attempt >= 1),
  amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
  outcome            text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'accepted', 'refused')),
  provider_reference text,
  PRIMARY KEY (batch_id, payout_id),
  UNIQUE (payout_id, attempt)
);

ALTER TABLE payouts
  ADD COLUMN attempt            integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  ADD COLUMN provider_reference text,
  ADD COLUMN failure_reason     text,
  ADD COLUMN sent_at            timestamptz,
  ADD COLUMN paid_at            timestamptz,
  ADD COLUMN failed_at          timestamptz,
  ADD COLUMN returned_at        timestamptz;
CREATE INDEX payouts_sent_idx ON payouts (provider, id) WHERE status = 'sent';
CREATE INDEX payouts_batch_idx ON payouts (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX ledger_postings_payout_idx ON ledger_postings (payout_id) WHERE payout_id IS NOT NULL;
`;

const down = sql`
DROP INDEX ledger_postings_payout_idx, payouts_batch_idx, payouts_sent_idx;
ALTER TABLE payouts DROP COLUMN attempt, DROP COLUMN provider_reference, DROP COLUMN failure_reason,
  DROP COLUMN sent_at, DROP COLUMN paid_at, DROP COLUMN failed_at, DROP COLUMN returned_at;
DROP TABLE payout_batch_items, payout_batches;
`;

export const payoutBatches: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
