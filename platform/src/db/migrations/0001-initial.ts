import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The first schema: stores and their credentials, checkouts with their payments and quotes, idempotency
 * keys, the transactional outbox, the double-entry ledger, payouts, webhooks and chain cursors.
 *
 * Units: columns ending in `_base` are crypto amounts in the asset's smallest unit (sats, litoshi, wei,
 * USDC micro-units) as NUMERIC(78,0) so a uint256 fits; columns ending in `_minor` are fiat amounts in
 * ISO 4217 minor units as BIGINT; rates are unconstrained NUMERIC. `ledger_entries.amount` is signed and
 * counted in the smallest unit of its own `currency` column (base units for assets, minor units for fiat).
 */
const up = sql`
CREATE TABLE stores (
  id              text PRIMARY KEY CHECK (id LIKE 'st\\_%'),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status          text NOT NULL DEFAULT 'pending_verification'
                  CHECK (status IN ('pending_verification', 'active', 'suspended')),
  payout_currency text NOT NULL CHECK (payout_currency ~ '^[A-Z]{3}$'),
  payout_account  jsonb NOT NULL,
  wallets         jsonb NOT NULL DEFAULT '{}'::jsonb,
  policy          jsonb NOT NULL DEFAULT '{}'::jsonb,
  fee_bps         integer NOT NULL DEFAULT 0 CHECK (fee_bps BETWEEN 0 AND 10000),
  fee_fixed_minor bigint NOT NULL DEFAULT 0 CHECK (fee_fixed_minor >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per (store, asset): the next unused derivation index, allocated by UPDATE ... RETURNING.
CREATE TABLE store_wallet_indexes (
  store_id   text NOT NULL REFERENCES stores(id),
  asset      text NOT NULL,
  next_index bigint NOT NULL DEFAULT 0 CHECK (next_index >= 0),
  PRIMARY KEY (store_id, asset)
);

CREATE TABLE api_keys (
  id           text PRIMARY KEY CHECK (id LIKE 'key\\_%'),
  store_id     text NOT NULL REFERENCES stores(id),
  key_hash     text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  last4        text NOT NULL,
  scopes       text[] NOT NULL
               CHECK (scopes <@ ARRAY['checkouts:read', 'checkouts:write', 'payouts:read', 'webhooks:write', 'pos']::text[]),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_store_idx ON api_keys (store_id);

CREATE TABLE operator_tokens (
  id           text PRIMARY KEY,
  token_hash   text NOT NULL UNIQUE,
  label        text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

CREATE TABLE quotes (
  id              text PRIMARY KEY CHECK (id LIKE 'qt\\_%'),
  store_id        text REFERENCES stores(id),
  base_asset      text NOT NULL,
  quote_currency  text NOT NULL,
  rate            numeric NOT NULL CHECK (rate > 0),
  spread_bps      integer NOT NULL CHECK (spread_bps >= 0),
  sources         jsonb NOT NULL,
  amount_due_base numeric(78,0) NOT NULL CHECK (amount_due_base > 0),
  price_minor     bigint NOT NULL CHECK (price_minor > 0),
  created_at      timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  CHECK (expires_at > created_at)
);

CREATE TABLE checkouts (
  id               text PRIMARY KEY CHECK (id LIKE 'co\\_%'),
  store_id         text NOT NULL REFERENCES stores(id),
  order_id         text NOT NULL,
  price_minor      bigint NOT NULL CHECK (price_minor > 0),
  currency         text NOT NULL,
  assets_offered   text[] NOT NULL DEFAULT '{}',
  asset            text,
  address          text,
  derivation_index bigint CHECK (derivation_index >= 0),
  amount_due_base  numeric(78,0) CHECK (amount_due_base > 0),
  quote_id         text REFERENCES quotes(id),
  rate             numeric CHECK (rate > 0),
  quote_expires_at timestamptz,
  status           text NOT NULL DEFAULT 'new'
                   CHECK (status IN ('new', 'processing', 'settled', 'expired', 'invalid', 'cancelled')),
  exception        text NOT NULL DEFAULT 'none'
                   CHECK (exception IN ('none', 'paid_partial', 'paid_over', 'paid_late')),
  invalid_reason   text CHECK (invalid_reason IN ('double_spend', 'payment_orphaned', 'not_confirmed_in_time')),
  amount_paid_base numeric(78,0) NOT NULL DEFAULT 0 CHECK (amount_paid_base >= 0),
  counted_payment_ids  text[] NOT NULL DEFAULT '{}',
  reversed_payment_ids text[] NOT NULL DEFAULT '{}',
  escrow           boolean NOT NULL DEFAULT false,
  metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,
  items            jsonb NOT NULL DEFAULT '[]'::jsonb,
  version          integer NOT NULL DEFAULT 0 CHECK (version >= 0),
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  monitoring_until timestamptz NOT NULL,
  settled_at       timestamptz,
  cancelled_at     timestamptz,
  -- Payment instructions are all present or all absent.
  CHECK ((asset IS NULL) = (address IS NULL) AND (asset IS NULL) = (amount_due_base IS NULL)),
  CHECK ((status = 'invalid') = (invalid_reason IS NOT NULL)),
  UNIQUE (asset, address)
);
CREATE INDEX checkouts_store_idx ON checkouts (store_id, id DESC);
CREATE INDEX checkouts_store_status_idx ON checkouts (store_id, status, id DESC);
CREATE INDEX checkouts_open_expiry_idx ON checkouts (expires_at) WHERE status IN ('new', 'processing');

CREATE TABLE payments (
  id            text PRIMARY KEY CHECK (id LIKE 'pay\\_%'),
  checkout_id   text NOT NULL REFERENCES checkouts(id),
  chain         text NOT NULL,
  asset         text NOT NULL,
  txid          text NOT NULL,
  output_index  integer NOT NULL CHECK (output_index >= 0),
  amount_base   numeric(78,0) NOT NULL CHECK (amount_base > 0),
  confirmations integer NOT NULL DEFAULT 0 CHECK (confirmations >= 0),
  block_hash    text,
  block_height  bigint,
  rbf_signalled boolean NOT NULL DEFAULT false,
  state         text NOT NULL CHECK (state IN ('pending', 'confirmed', 'orphaned', 'replaced')),
  first_seen_at timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  UNIQUE (chain, txid, output_index)
);
CREATE INDEX payments_checkout_idx ON payments (checkout_id);

CREATE TABLE idempotency_keys (
  scope           text NOT NULL,
  key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash    text NOT NULL,
  response_status integer CHECK (response_status BETWEEN 100 AND 599),
  response_body   jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  PRIMARY KEY (scope, key),
  CHECK ((response_status IS NULL) = (completed_at IS NULL))
);

CREATE TABLE outbox (
  id             bigserial PRIMARY KEY,
  -- The event's deduplication key: the same domain transition always yields the same event_id.
  event_id       text NOT NULL UNIQUE,
  event_type     text NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id   text NOT NULL,
  payload        jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  published_at   timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE ledger_postings (
  id          text PRIMARY KEY CHECK (id LIKE 'lp\\_%'),
  kind        text NOT NULL CHECK (kind IN ('settlement', 'escrow_release', 'payout_scheduled', 'payout_paid',
                                          'payout_failed', 'payment_reversal')),
  -- The business fact the posting records (e.g. settlement:co_…), stored once: a retried job cannot
  -- book the same fact twice.
  dedupe_key  text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 200),
  occurred_at timestamptz NOT NULL,
  store_id    text,
  checkout_id text,
  payment_id  text,
  payout_id   text,
  memo        text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_postings_checkout_idx ON ledger_postings (checkout_id) WHERE checkout_id IS NOT NULL;

CREATE TABLE ledger_entries (
  id         bigserial PRIMARY KEY,
  posting_id text NOT NULL REFERENCES ledger_postings(id),
  account    text NOT NULL,
  currency   text NOT NULL,
  amount     numeric(78,0) NOT NULL CHECK (amount <> 0)
);
CREATE INDEX ledger_entries_posting_idx ON ledger_entries (posting_id);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account, currency);

-- A posting must have at least two entries and sum to zero in every currency. Checked at commit
-- (deferred constraint triggers) so a posting and its entries can be inserted in any order within one
-- transaction, and no transaction can commit an unbalanced posting, however its SQL was written.
CREATE FUNCTION ledger_assert_balanced(p_posting_id text) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  entry_count integer;
  unbalanced  text;
BEGIN
  SELECT count(*) INTO entry_count FROM ledger_entries WHERE posting_id = p_posting_id;
  IF entry_count < 2 THEN
    RAISE EXCEPTION 'ledger posting % has % entries, needs at least 2', p_posting_id, entry_count
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT currency INTO unbalanced FROM ledger_entries WHERE posting_id = p_posting_id
    GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
  IF unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'ledger posting % does not balance in %', p_posting_id, unbalanced
      USING ERRCODE = 'check_violation';
  END IF;
END
$fn$;

CREATE FUNCTION ledger_postings_balanced() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM ledger_assert_balanced(NEW.id);
  RETURN NULL;
END
$fn$;

CREATE FUNCTION ledger_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM ledger_assert_balanced(NEW.posting_id);
  RETURN NULL;
END
$fn$;

CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_postings_balanced();
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entries_balanced();

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$fn$;

CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE TABLE payouts (
  id           text PRIMARY KEY CHECK (id LIKE 'po\\_%'),
  store_id     text NOT NULL REFERENCES stores(id),
  -- One payout per checkout: the database's guard against paying an order twice.
  checkout_id  text NOT NULL UNIQUE REFERENCES checkouts(id),
  amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
  fee_minor    bigint NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status       text NOT NULL CHECK (status IN ('reserved', 'scheduled', 'sent', 'paid', 'failed', 'returned')),
  provider     text,
  batch_id     text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payouts_store_created_idx ON payouts (store_id, created_at DESC, id DESC);
CREATE INDEX payouts_status_idx ON payouts (status) WHERE status IN ('reserved', 'scheduled', 'sent');

CREATE TABLE webhook_endpoints (
  id          text PRIMARY KEY CHECK (id LIKE 'wh\\_%'),
  store_id    text NOT NULL REFERENCES stores(id),
  url         text NOT NULL,
  secret      text NOT NULL,
  event_types text[] NOT NULL DEFAULT '{}',
  status      text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_store_idx ON webhook_endpoints (store_id);

CREATE TABLE webhook_deliveries (
  id              text PRIMARY KEY CHECK (id LIKE 'whd\\_%'),
  endpoint_id     text NOT NULL REFERENCES webhook_endpoints(id),
  event_id        text NOT NULL,
  event_type      text NOT NULL,
  attempt         integer NOT NULL CHECK (attempt >= 1),
  status          text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  http_status     integer,
  latency_ms      integer CHECK (latency_ms >= 0),
  response_body   text CHECK (length(response_body) <= 2048),
  error           text,
  next_attempt_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (endpoint_id, event_id, attempt)
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC);

CREATE TABLE chain_cursors (
  chain      text PRIMARY KEY,
  height     bigint NOT NULL CHECK (height >= 0),
  block_hash text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE chain_recent_blocks (
  chain       text NOT NULL,
  height      bigint NOT NULL CHECK (height >= 0),
  hash        text NOT NULL,
  parent_hash text NOT NULL,
  PRIMARY KEY (chain, height)
);
`;

const down = sql`
DROP TABLE chain_recent_blocks, chain_cursors, webhook_deliveries, webhook_endpoints, payouts,
  ledger_entries, ledger_postings, outbox, idempotency_keys, payments, checkouts, quotes,
  operator_tokens, api_keys, store_wallet_indexes, stores;
DROP FUNCTION ledger_refuse_change(), ledger_entries_balanced(), ledger_postings_balanced(),
  ledger_assert_balanced(text);
`;

export const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
  },
};
