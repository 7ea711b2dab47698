import { sql, type Kysely, type Migration } from 'kysely';

/**
 * What the wallet verifier needs beyond the initial schema:
 * - `checkouts.address_seq`: a monotonic number given by a trigger whenever a checkout gets (or changes)
 *   its payment address, indexed, so followers pick up new addresses by polling `address_seq > last`
 *   instead of rescanning every checkout;
 * - `chain_recent_blocks.processed_at`: when the follower connected the block, so an address that reached
 *   the watched set late can be matched again against the blocks processed since its checkout was created;
 * - `chain_transaction_inputs`: the outpoints each paying transaction spends, to tell a payment that left
 *   the chain and the mempool as `replaced` (its inputs were spent by another transaction) or `orphaned`;
 * - indexes for the follower's per-block work: live payments by chain and height, mempool payments.
 */
const up = sql`
CREATE SEQUENCE checkout_address_seq;
ALTER TABLE checkouts ADD COLUMN address_seq bigint;
UPDATE checkouts SET address_seq = nextval('checkout_address_seq') WHERE address IS NOT NULL;
CREATE INDEX checkouts_address_seq_idx ON checkouts (address_seq) WHERE address_seq IS NOT NULL;

CREATE FUNCTION checkouts_number_address() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.address IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.address IS DISTINCT FROM OLD.address) THEN
    NEW.address_seq := nextval('checkout_address_seq');
  END IF;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER checkouts_number_address BEFORE INSERT OR UPDATE OF address ON checkouts
  FOR EACH ROW EXECUTE FUNCTION checkouts_number_address();

ALTER TABLE chain_recent_blocks ADD COLUMN processed_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE chain_transaction_inputs (
  chain     text NOT NULL,
  txid      text NOT NULL,
  -- "<prev txid>:<vout>" for every input of the transaction.
  outpoints text[] NOT NULL,
  PRIMARY KEY (chain, txid)
);

CREATE INDEX payments_live_height_idx ON payments (chain, block_height) WHERE state IN ('pending', 'confirmed');
CREATE INDEX payments_unmined_idx ON payments (chain) WHERE block_hash IS NULL AND state = 'pending';
`;

const down = sql`
DROP INDEX payments_unmined_idx;
DROP INDEX payments_live_height_idx;
DROP TABLE chain_transaction_inputs;
ALTER TABLE chain_recent_blocks DROP COLUMN processed_at;
DROP TRIGGER checkouts_number_address ON checkouts;
DROP FUNCTION checkouts_number_address();
ALTER TABLE checkouts DROP COLUMN address_seq;
DROP SEQUENCE checkout_address_seq;
`;

export const verifier: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
