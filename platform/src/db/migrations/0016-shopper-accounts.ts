import { sql, type Kysely, type Migration } from 'kysely';
import { rebuildLedgerKindCheck } from './ledger-kind-check';

/**
 * Shopper accounts (issue #8): a fiat balance fed by over-payments, refunds and top-ups paid in crypto,
 * spendable at checkout down to −credit level. The balance itself is derived from the ledger (account
 * `shopper:{id}:balance`); these tables hold what the ledger cannot.
 *
 * - `shopper_accounts`: the account, its currency, the operator's credit level (the allowed overdraft),
 *   its status, and the SHA-256 of its access code (100 random bits, shown once). `top_up_store_id` is the
 *   mall's store whose wallets receive the account's top-ups. Spends lock the row (SELECT … FOR UPDATE)
 *   while they read the balance, so concurrent spends serialise per account.
 * - `checkouts.shopper_account_id`: a checkout linked to an account (over-payments are credited to it);
 *   `checkouts.purpose`: `sale`, or `top_up` (settled → balance credited, nothing released to a store).
 * - `shopper_top_ups`: one row per credited top-up checkout (its primary key makes the credit happen once).
 * - `ledger_postings.kind` gains the shopper kinds. The check is rebuilt from the kinds it allows at
 *   this point, so kinds other migrations added before this one stay allowed.
 */
const SHOPPER_POSTING_KINDS = [
  'shopper_overpayment_credit',
  'shopper_top_up',
  'shopper_balance_hold',
  'shopper_balance_hold_release',
  'shopper_refund_credit',
];

const up = sql`
CREATE TABLE shopper_accounts (
  id                 text PRIMARY KEY CHECK (id LIKE 'acct\\_%'),
  label              text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
  currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  credit_level_minor bigint NOT NULL DEFAULT 0 CHECK (credit_level_minor >= 0),
  status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
  access_code_hash   text NOT NULL UNIQUE CHECK (access_code_hash ~ '^[0-9a-f]{64}$'),
  top_up_store_id    text REFERENCES stores(id),
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL
);

ALTER TABLE checkouts
  ADD COLUMN shopper_account_id text REFERENCES shopper_accounts(id),
  ADD COLUMN purpose text NOT NULL DEFAULT 'sale' CHECK (purpose IN ('sale', 'top_up')),
  ADD CONSTRAINT checkouts_top_up_has_account CHECK (purpose <> 'top_up' OR shopper_account_id IS NOT NULL);
CREATE INDEX checkouts_shopper_account_idx ON checkouts (shopper_account_id, id DESC) WHERE shopper_account_id IS NOT NULL;

CREATE TABLE shopper_top_ups (
  checkout_id          text PRIMARY KEY REFERENCES checkouts(id),
  account_id           text NOT NULL REFERENCES shopper_accounts(id),
  asset                text NOT NULL,
  amount_received_base numeric(78,0) NOT NULL CHECK (amount_received_base > 0),
  credited_minor       bigint NOT NULL CHECK (credited_minor > 0),
  currency             text NOT NULL,
  credited_at          timestamptz NOT NULL
);
CREATE INDEX shopper_top_ups_account_idx ON shopper_top_ups (account_id, credited_at);
`;

const down = sql`
DROP TABLE shopper_top_ups;
ALTER TABLE checkouts DROP CONSTRAINT checkouts_top_up_has_account, DROP COLUMN purpose, DROP COLUMN shopper_account_id;
DROP TABLE shopper_accounts;
`;

export const shopperAccounts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
    await rebuildLedgerKindCheck(SHOPPER_POSTING_KINDS, []).execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
    await rebuildLedgerKindCheck([], SHOPPER_POSTING_KINDS).execute(db);
  },
};
