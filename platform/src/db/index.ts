export {
  openDatabase,
  type Database,
  type DatabaseEngine,
  type DbLogger,
  type OpenDatabaseOptions,
} from './database';
export { PGliteError } from './pglite-worker';
export { migrateToLatest, appliedMigrations, MigrationFailedError } from './migrate';
export type * from './schema';
export { toJsonValue, jsonText, type JsonValue } from './json';
export { OutboxRepository, type OutboxEntry } from './outbox-repository';
export {
  CheckoutRepository,
  InvalidCursorError,
  checkoutEventMessage,
  checkoutFromRow,
  type CheckoutDetails,
  type CheckoutRecord,
  type CheckoutListQuery,
  type CheckoutPage,
} from './checkout-repository';
export { appendPostings, LedgerRepository, type AccountBalances } from './ledger-repository';
export { IdempotencyRepository, type IdempotencyBegin, type IdempotencyBeginOptions } from './idempotency-repository';
export { PaymentRepository, type PaymentRecord, type PaymentSighting } from './payment-repository';
export {
  captureTendersIn,
  CheckoutTenderRepository,
  tenderFromRow,
  voucherRedeemedMessage,
  type AppliedTender,
  type TenderRecord,
  type TenderSource,
} from './checkout-tender-repository';
export { bookVoucherBreakage, changeVoucher, expireDueVouchers, lockVoucher, voucherFromRow, voucherTenderSource } from './voucher-rows';
export {
  creditRefundToShopperBalance,
  lockShopperAccount,
  SHOPPER_ACCOUNT_COLUMNS,
  shopperAccountFromRow,
  shopperBalanceMinor,
  shopperBalanceTenderSource,
  type RefundToShopperBalanceInput,
  type ShopperAccountRecord,
} from './shopper-account-rows';
