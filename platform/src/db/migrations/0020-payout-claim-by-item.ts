import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Payout batches claim by item (issue #6, the bank-file benchmark): the batcher claims a payout by
 * inserting its `payout_batch_items` row alone (`UNIQUE (payout_id, attempt)` keeps an attempt in one
 * batch) and writes the `payouts` row once, when the batch sends it, instead of twice.
 *
 * - `payouts_batch_idx` goes: no query looks payouts up by `batch_id` any more (a batch's payouts are
 *   found through its items); each send wrote an entry in it.
 * - `payout_batch_items` keeps free space in each page (fillfactor 35: the answer row is larger than the claimed one), so recording the provider's
 *   answer (`outcome`, `provider_reference`, neither indexed) is a heap-only update that writes no
 *   index entry. Rows written before this migration keep their pages until rewritten.
 */
const up = sql`
DROP INDEX payouts_batch_idx;
ALTER TABLE payout_batch_items SET (fillfactor = 35);
`;

const down = sql`
ALTER TABLE payout_batch_items RESET (fillfactor);
CREATE INDEX payouts_batch_idx ON payouts (batch_id) WHERE batch_id IS NOT NULL;
`;

export const payoutClaimByItem: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
