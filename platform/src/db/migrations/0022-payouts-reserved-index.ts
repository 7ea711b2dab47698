import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `payouts_status_idx` (status, for reserved, scheduled and sent rows) gets an entry on every status
 * change, and only one query needs it: the escrow sweeper looking for `reserved` payouts without a hold.
 * Batching finds due payouts through `payouts_due_idx`, provider polls through `payouts_sent_idx`, and the
 * dashboard's counts by status include `failed`, which that index never covered. A partial index on the
 * reserved rows alone serves the sweeper, and sending a payout (scheduled → sent) writes one index entry
 * fewer (issue #6, the bank-file benchmark).
 */
const up = sql`
CREATE INDEX payouts_reserved_idx ON payouts (checkout_id) WHERE status = 'reserved';
DROP INDEX payouts_status_idx;
`;

const down = sql`
CREATE INDEX payouts_status_idx ON payouts (status) WHERE status IN ('reserved', 'scheduled', 'sent');
DROP INDEX payouts_reserved_idx;
`;

export const payoutsReservedIndex: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
