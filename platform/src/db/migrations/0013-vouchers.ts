import { sql, type Kysely, type Migration } from 'kysely';
import { rebuildLedgerKindCheck } from './ledger-kind-check';

/**
 * Prepaid vouchers and checkout tenders (issue #8).
 *
 * - `voucher_batches`: what the operator issued (count, face value, currency, expiry). The batch's PINs
 *   exist in clear only in the create response and, until first download or `pins_download_expires_at`,
 *   as a CSV encrypted (AES-256-GCM) under a one-time download token the database never sees.
 * - `vouchers`: one row per card. The PIN is kept as a salted scrypt hash (`pin_hash`) plus its last four
 *   digits; `lookup_tag`, HMAC-SHA256 of the PIN under an installation secret, finds the row through a
 *   unique index without trying every hash, and the scrypt hash is verified after. `balance_minor` is
 *   what is still spendable (held tenders already taken out of it).
 * - `voucher_pos_activations`: one row per store and POS transaction id, so a replayed activation finds
 *   the first one instead of activating twice.
 * - `checkout_tenders`: amounts of checkouts paid by a voucher or a shopper balance (`account_id`; its
 *   foreign key comes with the shopper accounts' migration), `held` → `captured` | `released`.
 * - `checkouts.amount_due_base` may be 0: tenders covering the whole price leave nothing due in crypto.
 * - `ledger_postings.kind` gains `voucher_activation` and `voucher_breakage`; the check is rebuilt from the kinds it allows at
 *   this point, so kinds other migrations added stay allowed.
 */
const up = sql`
CREATE TABLE voucher_batches (
  id                       text PRIMARY KEY CHECK (id LIKE 'vb\\_%'),
  label                    text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
  currency                 text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  face_value_minor         bigint NOT NULL CHECK (face_value_minor > 0),
  voucher_count            integer NOT NULL CHECK (voucher_count BETWEEN 1 AND 10000),
  expires_at               timestamptz NOT NULL,
  created_at               timestamptz NOT NULL,
  pins_csv_ciphertext      text,
  pins_download_expires_at timestamptz,
  voided_at                timestamptz
);

CREATE TABLE vouchers (
  id                    text PRIMARY KEY CHECK (id LIKE 'vch\\_%'),
  batch_id              text NOT NULL REFERENCES voucher_batches(id),
  serial                integer NOT NULL CHECK (serial >= 1),
  lookup_tag            text NOT NULL UNIQUE CHECK (lookup_tag ~ '^[0-9a-f]{64}$'),
  pin_hash              text NOT NULL,
  pin_last4             text NOT NULL CHECK (pin_last4 ~ '^[0-9]{4}$'),
  status                text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'activated', 'redeemed', 'expired', 'voided')),
  currency              text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  face_value_minor      bigint NOT NULL CHECK (face_value_minor > 0),
  balance_minor         bigint NOT NULL DEFAULT 0 CHECK (balance_minor >= 0 AND balance_minor <= face_value_minor),
  expires_at            timestamptz NOT NULL,
  activated_by_store_id text REFERENCES stores(id),
  pos_transaction_id    text,
  activated_at          timestamptz,
  updated_at            timestamptz NOT NULL,
  UNIQUE (batch_id, serial)
);

CREATE TABLE voucher_pos_activations (
  store_id           text NOT NULL REFERENCES stores(id),
  pos_transaction_id text NOT NULL CHECK (length(pos_transaction_id) BETWEEN 1 AND 100),
  voucher_id         text NOT NULL REFERENCES vouchers(id),
  activated_at       timestamptz NOT NULL,
  PRIMARY KEY (store_id, pos_transaction_id)
);
CREATE INDEX voucher_pos_activations_voucher_idx ON voucher_pos_activations (voucher_id);

CREATE TABLE checkout_tenders (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  checkout_id  text NOT NULL REFERENCES checkouts(id),
  kind         text NOT NULL CHECK (kind IN ('voucher', 'balance')),
  voucher_id   text REFERENCES vouchers(id),
  account_id   text,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status       text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'captured', 'released')),
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  CHECK ((kind = 'voucher') = (voucher_id IS NOT NULL) AND (kind = 'balance') = (account_id IS NOT NULL))
);
CREATE INDEX checkout_tenders_checkout_idx ON checkout_tenders (checkout_id, id);
CREATE INDEX checkout_tenders_held_idx ON checkout_tenders (checkout_id) WHERE status = 'held';
CREATE INDEX checkout_tenders_voucher_idx ON checkout_tenders (voucher_id) WHERE voucher_id IS NOT NULL;

-- A checkout the tenders cover entirely settles with nothing due in its chosen asset.
ALTER TABLE checkouts DROP CONSTRAINT checkouts_amount_due_base_check;
ALTER TABLE checkouts ADD CONSTRAINT checkouts_amount_due_base_check CHECK (amount_due_base >= 0);
`;

const down = sql`
DROP TABLE checkout_tenders, voucher_pos_activations, vouchers, voucher_batches;
ALTER TABLE checkouts DROP CONSTRAINT checkouts_amount_due_base_check;
ALTER TABLE checkouts ADD CONSTRAINT checkouts_amount_due_base_check CHECK (amount_due_base > 0);
`;

export const vouchers: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
    await rebuildLedgerKindCheck(['voucher_activation', 'voucher_breakage'], []).execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
    await rebuildLedgerKindCheck([], ['voucher_activation', 'voucher_breakage']).execute(db);
  },
};
