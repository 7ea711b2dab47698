import { sql, type Kysely, type Migration } from 'kysely';
import { rebuildLedgerKindCheck } from './ledger-kind-check';

/**
 * Escrow until acceptance (issue #7, seed 004), carriers and shipments (seed 002), disputes and refunds.
 *
 * - `carriers`: the registry of delivery companies (code, name); `carrier_api_keys` their keys (SHA-256,
 *   display prefix and last 4, scopes ⊆ {shipments}), a principal of their own.
 * - `escrow_holds`: one per escrowed checkout (and its `reserved` payout): status, inspection
 *   destination, deadlines, and the money that left escrow (`released_minor` to the store,
 *   `refund_from_escrow_minor` and `refund_fee_minor` to the shopper), never more than `held_minor`.
 * - `shipments` (one per order) and `shipment_events` (the carrier's reports, kept as sent).
 * - `disputes`: one per hold, opened by the shopper, resolved by the operator.
 * - `refunds`: what the shopper is owed (fiat, minor units), the address the shopper submits through the
 *   signed link, the crypto amount at the rate of the sale or the current one, and the txid once the
 *   operator sent it.
 * - `payouts.status` gains `refunded` (the held payout of a fully refunded order); `ledger_postings.kind`
 *   gains `refund_owed` and `refund_sent` (the check is rebuilt from the kinds it allows at this point).
 */
const up = sql`
CREATE TABLE carriers (
  id         text PRIMARY KEY CHECK (id LIKE 'car\\_%'),
  code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{1,31}$'),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL
);

CREATE TABLE carrier_api_keys (
  id           text PRIMARY KEY CHECK (id LIKE 'key\\_%'),
  carrier_id   text NOT NULL REFERENCES carriers(id),
  key_hash     text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  last4        text NOT NULL,
  scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['shipments']::text[] AND cardinality(scopes) >= 1),
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX carrier_api_keys_carrier_idx ON carrier_api_keys (carrier_id);

CREATE TABLE escrow_holds (
  id                       text PRIMARY KEY CHECK (id LIKE 'esc\\_%'),
  checkout_id              text NOT NULL UNIQUE REFERENCES checkouts(id),
  payout_id                text NOT NULL UNIQUE REFERENCES payouts(id),
  store_id                 text NOT NULL REFERENCES stores(id),
  currency                 text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  price_minor              bigint NOT NULL CHECK (price_minor > 0),
  fee_minor                bigint NOT NULL CHECK (fee_minor >= 0 AND fee_minor < price_minor),
  held_minor               bigint NOT NULL CHECK (held_minor = price_minor - fee_minor),
  inspection               text NOT NULL CHECK (inspection IN ('shopper', 'gift_recipient', 'carrier')),
  auto_accept_days         integer NOT NULL CHECK (auto_accept_days BETWEEN 1 AND 90),
  status                   text NOT NULL CHECK (status IN ('reserved', 'shipped', 'delivered', 'accepted', 'disputed', 'resolved', 'cancelled')),
  shipped_at               timestamptz,
  delivered_at             timestamptz,
  acceptance_deadline      timestamptz,
  accepted_at              timestamptz,
  accepted_by              text CHECK (accepted_by IN ('shopper', 'gift_recipient', 'carrier', 'deadline')),
  disputed_at              timestamptz,
  resolution               text CHECK (resolution IN ('release', 'refund_full', 'refund_partial')),
  resolved_at              timestamptz,
  cancelled_at             timestamptz,
  released_minor           bigint NOT NULL DEFAULT 0 CHECK (released_minor >= 0),
  refund_from_escrow_minor bigint NOT NULL DEFAULT 0 CHECK (refund_from_escrow_minor >= 0),
  refund_fee_minor         bigint NOT NULL DEFAULT 0 CHECK (refund_fee_minor >= 0 AND refund_fee_minor <= fee_minor),
  version                  integer NOT NULL DEFAULT 0 CHECK (version >= 0),
  created_at               timestamptz NOT NULL,
  updated_at               timestamptz NOT NULL,
  -- Money leaves escrow once, all of it, when the hold becomes final.
  CHECK (released_minor + refund_from_escrow_minor = CASE WHEN status IN ('accepted', 'resolved', 'cancelled') THEN held_minor ELSE 0 END)
);
CREATE INDEX escrow_holds_deadline_idx ON escrow_holds (acceptance_deadline) WHERE status = 'delivered';
CREATE INDEX escrow_holds_open_idx ON escrow_holds (store_id, status) WHERE status IN ('reserved', 'shipped', 'delivered', 'disputed');

CREATE TABLE shipments (
  id              text PRIMARY KEY CHECK (id LIKE 'shp\\_%'),
  checkout_id     text NOT NULL UNIQUE REFERENCES checkouts(id),
  escrow_hold_id  text REFERENCES escrow_holds(id),
  store_id        text NOT NULL REFERENCES stores(id),
  carrier_id      text NOT NULL REFERENCES carriers(id),
  tracking_number text NOT NULL CHECK (tracking_number ~ '^[A-Za-z0-9-]{4,64}$'),
  status          text NOT NULL CHECK (status IN ('registered', 'in_transit', 'delivered')),
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  UNIQUE (carrier_id, tracking_number)
);

CREATE TABLE shipment_events (
  id          bigserial PRIMARY KEY,
  shipment_id text NOT NULL REFERENCES shipments(id),
  status      text NOT NULL CHECK (status IN ('in_transit', 'delivered')),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX shipment_events_shipment_idx ON shipment_events (shipment_id, id);

CREATE TABLE disputes (
  id             text PRIMARY KEY CHECK (id LIKE 'dsp\\_%'),
  escrow_hold_id text NOT NULL UNIQUE REFERENCES escrow_holds(id),
  checkout_id    text NOT NULL UNIQUE REFERENCES checkouts(id),
  store_id       text NOT NULL REFERENCES stores(id),
  reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  status         text NOT NULL CHECK (status IN ('open', 'resolved')),
  resolution     text CHECK (resolution IN ('release', 'refund_full', 'refund_partial')),
  refund_minor   bigint CHECK (refund_minor >= 0),
  operator_note  text CHECK (length(operator_note) <= 2000),
  opened_at      timestamptz NOT NULL,
  resolved_at    timestamptz,
  CHECK ((status = 'resolved') = (resolution IS NOT NULL))
);
CREATE INDEX disputes_open_idx ON disputes (opened_at) WHERE status = 'open';

CREATE TABLE refunds (
  id                   text PRIMARY KEY CHECK (id LIKE 'rf\\_%'),
  escrow_hold_id       text NOT NULL UNIQUE REFERENCES escrow_holds(id),
  checkout_id          text NOT NULL UNIQUE REFERENCES checkouts(id),
  store_id             text NOT NULL REFERENCES stores(id),
  reason               text NOT NULL CHECK (reason IN ('dispute_refund_full', 'dispute_refund_partial', 'cancelled_by_store')),
  currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  refund_minor         bigint NOT NULL CHECK (refund_minor > 0),
  asset                text NOT NULL,
  rate_policy          text NOT NULL CHECK (rate_policy IN ('sale', 'current')),
  status               text NOT NULL CHECK (status IN ('awaiting_address', 'ready', 'sent')),
  address              text,
  rate                 numeric CHECK (rate > 0),
  amount_base          numeric(78,0) CHECK (amount_base > 0),
  txid                 text,
  created_at           timestamptz NOT NULL,
  address_submitted_at timestamptz,
  sent_at              timestamptz,
  updated_at           timestamptz NOT NULL,
  CHECK ((status = 'awaiting_address') = (address IS NULL)),
  CHECK ((status = 'sent') = (txid IS NOT NULL))
);
CREATE INDEX refunds_status_idx ON refunds (status, created_at);

ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check
  CHECK (status IN ('reserved', 'scheduled', 'sent', 'paid', 'failed', 'returned', 'refunded'));
`;

const down = sql`
DROP TABLE refunds, disputes, shipment_events, shipments, escrow_holds, carrier_api_keys, carriers;
ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check
  CHECK (status IN ('reserved', 'scheduled', 'sent', 'paid', 'failed', 'returned'));
`;

const POSTING_KINDS = ['refund_owed', 'refund_sent'];

export const escrow: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await up.execute(db);
    await rebuildLedgerKindCheck(POSTING_KINDS, []).execute(db);
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await down.execute(db);
    await rebuildLedgerKindCheck([], POSTING_KINDS).execute(db);
  },
};
