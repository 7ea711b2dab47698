import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Escrow refunds credited to the shopper's balance (issues #7 and #8): a refund of a checkout linked to a
 * shopper account may end `credited` at once instead of waiting for an address.
 *
 * - `refunds.status` gains `credited`; a credited refund has no address (like `awaiting_address`), names
 *   the account credited (`shopper_account_id`) and when (`credited_at`), and nothing else has them.
 * - The ledger kind (`shopper_refund_credit`) exists since 0016: no kind check change.
 *
 * 0012 wrote the address rule as an unnamed table check, which Postgres (and PGlite) name `refunds_check`.
 */
const up = sql`
ALTER TABLE refunds
  ADD COLUMN shopper_account_id text REFERENCES shopper_accounts(id),
  ADD COLUMN credited_at timestamptz;
ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check CHECK (status IN ('awaiting_address', 'ready', 'sent', 'credited'));
ALTER TABLE refunds DROP CONSTRAINT refunds_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_address_check CHECK ((address IS NULL) = (status IN ('awaiting_address', 'credited')));
ALTER TABLE refunds ADD CONSTRAINT refunds_credited_check
  CHECK ((status = 'credited') = (shopper_account_id IS NOT NULL) AND (status = 'credited') = (credited_at IS NOT NULL));
CREATE INDEX refunds_shopper_account_idx ON refunds (shopper_account_id) WHERE shopper_account_id IS NOT NULL;
`;

const down = sql`
DROP INDEX refunds_shopper_account_idx;
ALTER TABLE refunds DROP CONSTRAINT refunds_credited_check;
ALTER TABLE refunds DROP CONSTRAINT refunds_address_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_check CHECK ((status = 'awaiting_address') = (address IS NULL));
ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check CHECK (status IN ('awaiting_address', 'ready', 'sent'));
ALTER TABLE refunds DROP COLUMN credited_at, DROP COLUMN shopper_account_id;
`;

export const refundCredit: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
