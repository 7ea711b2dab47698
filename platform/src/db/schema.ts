import type { PostingKind } from '@coinstile/core';
import type { ColumnType, Generated } from 'kysely';

/**
 * Row types of every table, as the drivers return them. NUMERIC and INT8 come back as decimal strings
 * (both engines are configured that way, see `database.ts`); repositories convert them to `bigint`.
 * Writes accept decimal strings for those columns: repositories pass `bigint.toString()` so neither
 * driver ever has to serialize a bigint.
 */

/** A NUMERIC or INT8 column: read as a decimal string, written as one. */
export type DecimalColumn = string;
/** A timestamptz column: read as Date, written as Date. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamptz column with a database default. */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A column with a database default: optional on insert. */
export type Defaulted<T> = ColumnType<T, T | undefined, T>;
/** A jsonb column: written as JSON text (kysely passes parameters through as they are), read parsed. */
export type Json<T> = ColumnType<T, string, string>;
export type GeneratedJson<T> = ColumnType<T, string | undefined, string>;

export type StoreStatusValue = 'pending_verification' | 'active' | 'suspended';
export type CheckoutStatusValue = 'new' | 'processing' | 'settled' | 'expired' | 'invalid' | 'cancelled';
export type CheckoutExceptionValue = 'none' | 'paid_partial' | 'paid_over' | 'paid_late';
export type PaymentStateValue = 'pending' | 'confirmed' | 'orphaned' | 'replaced';
export type InvalidReasonValue = 'double_spend' | 'payment_orphaned' | 'not_confirmed_in_time';
export type PayoutStatusValue = 'reserved' | 'scheduled' | 'sent' | 'paid' | 'failed' | 'returned' | 'refunded';
export type WebhookEndpointStatusValue = 'enabled' | 'disabled';
export type WebhookDeliveryStatusValue = 'pending' | 'succeeded' | 'failed';

export interface StoresTable {
  id: string;
  name: string;
  status: Defaulted<StoreStatusValue>;
  payout_currency: string;
  payout_account: Json<unknown>;
  wallets: GeneratedJson<unknown>;
  policy: GeneratedJson<unknown>;
  fee_bps: Generated<number>;
  fee_fixed_minor: Defaulted<DecimalColumn>;
  /** When payouts fall due (`{"kind":"instant"}` …), read by the settlement pipeline. */
  payout_schedule: GeneratedJson<unknown>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface StoreWalletIndexesTable {
  store_id: string;
  asset: string;
  next_index: Defaulted<DecimalColumn>;
}

export interface ApiKeysTable {
  id: string;
  store_id: string;
  key_hash: string;
  prefix: string;
  last4: string;
  scopes: string[];
  created_at: GeneratedTimestamp;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface OperatorTokensTable {
  id: string;
  token_hash: string;
  label: Generated<string>;
  created_at: GeneratedTimestamp;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface QuotesTable {
  id: string;
  store_id: string | null;
  base_asset: string;
  quote_currency: string;
  rate: DecimalColumn;
  spread_bps: number;
  sources: Json<unknown>;
  amount_due_base: DecimalColumn;
  price_minor: DecimalColumn;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface CheckoutsTable {
  id: string;
  store_id: string;
  order_id: string;
  price_minor: DecimalColumn;
  currency: string;
  assets_offered: Defaulted<string[]>;
  asset: string | null;
  address: string | null;
  derivation_index: DecimalColumn | null;
  amount_due_base: DecimalColumn | null;
  quote_id: string | null;
  rate: DecimalColumn | null;
  quote_expires_at: Date | null;
  status: Defaulted<CheckoutStatusValue>;
  exception: Defaulted<CheckoutExceptionValue>;
  invalid_reason: InvalidReasonValue | null;
  amount_paid_base: Defaulted<DecimalColumn>;
  counted_payment_ids: Defaulted<string[]>;
  reversed_payment_ids: Defaulted<string[]>;
  escrow: Defaulted<boolean>;
  metadata: GeneratedJson<unknown>;
  items: GeneratedJson<unknown>;
  version: Defaulted<number>;
  created_at: Timestamp;
  expires_at: Timestamp;
  monitoring_until: Timestamp;
  settled_at: Date | null;
  cancelled_at: Date | null;
  shopper_account_id: Defaulted<string | null>;
  purpose: Defaulted<'sale' | 'top_up'>;
}

export interface PaymentsTable {
  id: string;
  checkout_id: string;
  chain: string;
  asset: string;
  txid: string;
  output_index: number;
  amount_base: DecimalColumn;
  confirmations: Defaulted<number>;
  block_hash: string | null;
  block_height: DecimalColumn | null;
  rbf_signalled: Defaulted<boolean>;
  state: PaymentStateValue;
  first_seen_at: Timestamp;
  updated_at: Timestamp;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: ColumnType<unknown, string | null, string | null>;
  created_at: GeneratedTimestamp;
  completed_at: Date | null;
}

export interface OutboxTable {
  id: ColumnType<DecimalColumn, never, never>;
  event_id: string;
  event_type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: Json<unknown>;
  created_at: GeneratedTimestamp;
  published_at: Date | null;
  /** Computed by Postgres: the payload's `checkoutId`, else `aggregate_type:aggregate_id`. */
  ordering_key: ColumnType<string, never, never>;
  /** When the webhook fan-out made this event's delivery rows (or found no endpoint for it). */
  fanned_out_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** The ledger's posting kinds are core's. */
export type PostingKindValue = PostingKind;

export interface LedgerPostingsTable {
  id: string;
  kind: PostingKindValue;
  dedupe_key: string;
  occurred_at: Timestamp;
  store_id: string | null;
  checkout_id: string | null;
  payment_id: string | null;
  payout_id: string | null;
  memo: string | null;
  created_at: GeneratedTimestamp;
}

export interface LedgerEntriesTable {
  id: ColumnType<DecimalColumn, never, never>;
  posting_id: string;
  account: string;
  currency: string;
  /** Signed, in the smallest unit of `currency` (crypto base units or fiat minor units). */
  amount: DecimalColumn;
}

export interface PayoutsTable {
  id: string;
  store_id: string;
  checkout_id: string;
  amount_minor: DecimalColumn;
  fee_minor: Defaulted<DecimalColumn>;
  currency: string;
  status: PayoutStatusValue;
  provider: string | null;
  batch_id: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface WebhookEndpointsTable {
  id: string;
  store_id: string;
  url: string;
  secret: string;
  event_types: Defaulted<string[]>;
  status: Defaulted<WebhookEndpointStatusValue>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status: WebhookDeliveryStatusValue;
  http_status: number | null;
  latency_ms: number | null;
  response_body: string | null;
  error: string | null;
  next_attempt_at: Date | null;
  created_at: GeneratedTimestamp;
}

export interface ChainCursorsTable {
  chain: string;
  height: DecimalColumn;
  block_hash: string;
  updated_at: GeneratedTimestamp;
}

export interface ChainRecentBlocksTable {
  chain: string;
  height: DecimalColumn;
  hash: string;
  parent_hash: string;
}

export type StoreUserRoleValue = 'owner' | 'staff';
export type StoreUserStatusValue = 'invited' | 'active' | 'disabled';

/** Migration 0014: the store portal's users (invited, then active with a password). */
export interface StoreUsersTable {
  id: string;
  store_id: string;
  email: string;
  role: StoreUserRoleValue;
  status: StoreUserStatusValue;
  password_hash: string | null;
  invitation_hash: string | null;
  invitation_expires_at: Date | null;
  invited_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_sign_in_at: Date | null;
}

/** Migration 0014: store portal sessions, keyed by the SHA-256 of the cookie's session id. */
export interface StoreUserSessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/** Migration 0012: carriers and their API keys (scope `shipments`). */
export interface CarriersTable {
  id: string;
  code: string;
  name: string;
  created_at: Timestamp;
}

export interface CarrierApiKeysTable {
  id: string;
  carrier_id: string;
  key_hash: string;
  prefix: string;
  last4: string;
  scopes: string[];
  created_at: Timestamp;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export type EscrowStatusValue = 'reserved' | 'shipped' | 'delivered' | 'accepted' | 'disputed' | 'resolved' | 'cancelled';

/** Migration 0012: one hold per escrowed checkout (see core's `EscrowHold`). */
export interface EscrowHoldsTable {
  id: string;
  checkout_id: string;
  payout_id: string;
  store_id: string;
  currency: string;
  price_minor: DecimalColumn;
  fee_minor: DecimalColumn;
  held_minor: DecimalColumn;
  inspection: 'shopper' | 'gift_recipient' | 'carrier';
  auto_accept_days: number;
  status: EscrowStatusValue;
  shipped_at: Date | null;
  delivered_at: Date | null;
  acceptance_deadline: Date | null;
  accepted_at: Date | null;
  accepted_by: 'shopper' | 'gift_recipient' | 'carrier' | 'deadline' | null;
  disputed_at: Date | null;
  resolution: 'release' | 'refund_full' | 'refund_partial' | null;
  resolved_at: Date | null;
  cancelled_at: Date | null;
  released_minor: Defaulted<DecimalColumn>;
  refund_from_escrow_minor: Defaulted<DecimalColumn>;
  refund_fee_minor: Defaulted<DecimalColumn>;
  version: Defaulted<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ShipmentsTable {
  id: string;
  checkout_id: string;
  escrow_hold_id: string | null;
  store_id: string;
  carrier_id: string;
  tracking_number: string;
  status: 'registered' | 'in_transit' | 'delivered';
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ShipmentEventsTable {
  id: ColumnType<DecimalColumn, never, never>;
  shipment_id: string;
  status: 'in_transit' | 'delivered';
  recorded_at: Timestamp;
}

export interface DisputesTable {
  id: string;
  escrow_hold_id: string;
  checkout_id: string;
  store_id: string;
  reason: string;
  status: 'open' | 'resolved';
  resolution: 'release' | 'refund_full' | 'refund_partial' | null;
  refund_minor: DecimalColumn | null;
  operator_note: string | null;
  opened_at: Timestamp;
  resolved_at: Date | null;
}

export interface RefundsTable {
  id: string;
  escrow_hold_id: string;
  checkout_id: string;
  store_id: string;
  reason: 'dispute_refund_full' | 'dispute_refund_partial' | 'cancelled_by_store';
  currency: string;
  refund_minor: DecimalColumn;
  asset: string;
  rate_policy: 'sale' | 'current';
  status: 'awaiting_address' | 'ready' | 'sent' | 'credited';
  address: string | null;
  rate: DecimalColumn | null;
  amount_base: DecimalColumn | null;
  txid: string | null;
  created_at: Timestamp;
  address_submitted_at: Date | null;
  sent_at: Date | null;
  updated_at: Timestamp;
  shopper_account_id: Defaulted<string | null>;
  credited_at: Defaulted<Date | null>;
}

/** Every table of the schema, for `Kysely<DB>`. */
export interface DB {
  stores: StoresTable;
  store_wallet_indexes: StoreWalletIndexesTable;
  api_keys: ApiKeysTable;
  operator_tokens: OperatorTokensTable;
  quotes: QuotesTable;
  checkouts: CheckoutsTable;
  payments: PaymentsTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
  ledger_postings: LedgerPostingsTable;
  ledger_entries: LedgerEntriesTable;
  payouts: PayoutsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  chain_cursors: ChainCursorsTable;
  chain_recent_blocks: ChainRecentBlocksTable;
  store_users: StoreUsersTable;
  store_user_sessions: StoreUserSessionsTable;
  shopper_accounts: ShopperAccountsTable;
  shopper_top_ups: ShopperTopUpsTable;
  voucher_batches: VoucherBatchesTable;
  vouchers: VouchersTable;
  voucher_pos_activations: VoucherPosActivationsTable;
  checkout_tenders: CheckoutTendersTable;
  carriers: CarriersTable;
  carrier_api_keys: CarrierApiKeysTable;
  escrow_holds: EscrowHoldsTable;
  shipments: ShipmentsTable;
  shipment_events: ShipmentEventsTable;
  disputes: DisputesTable;
  refunds: RefundsTable;
}

export interface ShopperAccountsTable {
  id: string;
  label: Defaulted<string>;
  currency: string;
  credit_level_minor: Defaulted<DecimalColumn>;
  status: Defaulted<'active' | 'frozen' | 'closed'>;
  access_code_hash: string;
  top_up_store_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ShopperTopUpsTable {
  checkout_id: string;
  account_id: string;
  asset: string;
  amount_received_base: DecimalColumn;
  credited_minor: DecimalColumn;
  currency: string;
  credited_at: Timestamp;
}

/** Migration 0013: voucher batches; the PIN CSV is kept only encrypted under a one-time download token. */
export interface VoucherBatchesTable {
  id: string;
  label: Defaulted<string>;
  currency: string;
  face_value_minor: DecimalColumn;
  voucher_count: number;
  expires_at: Timestamp;
  created_at: Timestamp;
  pins_csv_ciphertext: string | null;
  pins_download_expires_at: Date | null;
  voided_at: Date | null;
}

export type VoucherStatusValue = 'issued' | 'activated' | 'redeemed' | 'expired' | 'voided';

/** Migration 0013: one row per voucher; the PIN only as lookup tag (HMAC), scrypt hash and last four digits. */
export interface VouchersTable {
  id: string;
  batch_id: string;
  serial: number;
  lookup_tag: string;
  pin_hash: string;
  pin_last4: string;
  status: Defaulted<VoucherStatusValue>;
  currency: string;
  face_value_minor: DecimalColumn;
  balance_minor: Defaulted<DecimalColumn>;
  expires_at: Timestamp;
  activated_by_store_id: string | null;
  pos_transaction_id: string | null;
  activated_at: Date | null;
  updated_at: Timestamp;
}

/** Migration 0013: a POS activation, unique per store and POS transaction id. */
export interface VoucherPosActivationsTable {
  store_id: string;
  pos_transaction_id: string;
  voucher_id: string;
  activated_at: Timestamp;
}

export type TenderKindValue = 'voucher' | 'balance';
export type TenderStatusValue = 'held' | 'captured' | 'released';

/** Migration 0013: part of a checkout's price paid by a voucher or a shopper balance. */
export interface CheckoutTendersTable {
  id: Generated<string>;
  checkout_id: string;
  kind: TenderKindValue;
  voucher_id: string | null;
  account_id: string | null;
  amount_minor: DecimalColumn;
  currency: string;
  status: Defaulted<TenderStatusValue>;
  created_at: Timestamp;
  updated_at: Timestamp;
}
