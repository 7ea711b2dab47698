export { DEFAULT_PIN_HASH_COST, type PinHashCost, PinHasher } from './pin-hasher';
export { type CreatedVoucherBatch, PinsNotAvailableError, PosTransactionReusedError, VoucherNotFoundError, VoucherService, type VoucherServiceOptions } from './voucher-service';
export { createVoucherBalanceRouter, createVouchersApiRouter } from './vouchers-router';
export { VOUCHERS_OPENAPI } from './vouchers-openapi';
export type { VoucherBatchView, VoucherView } from './voucher-views';
