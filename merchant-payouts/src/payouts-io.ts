/**
 * Payout batching, payout providers and reconciliation (the package index re-exports this file).
 */
export { movePayouts, payoutStatusEventId, type MovedPayout, type PayoutEventType, type PayoutMove, type PayoutMoveRequest, type PayoutStatusEvent } from './batching/payout-transitions';
export { PayoutBatcher, type BatchSubmitOutcome, type PayoutBatcherOptions, type PayoutRoute, type RoutablePayout } from './batching/payout-batcher';
export { PayoutOperator, PayoutStateConflictError, type PayoutOperatorDeps } from './batching/payout-operator';
export { startPayoutBatching, type RunningPayoutBatching, type StartPayoutBatchingOptions } from './batching/payout-batching-service';
export { batchKysely, type PayoutBatchDB, type PayoutBatchStatus, type PayoutBatchItemOutcome } from './batching/payout-batch-schema';
export { BankFilePayoutProvider, BANK_FILE_PROVIDER, bankFileName, type BankFileProviderOptions } from './providers/bank-file-provider';
export { HttpPayoutProvider, type HttpPayoutProviderOptions } from './providers/http-payout-provider';
export { ManualPayoutProvider, MANUAL_PROVIDER } from './providers/manual-payout-provider';
export { PayoutProviderUnavailableError, BankFileConflictError } from './providers/provider-errors';
export { buildPain001, checkTransfer, PAIN001_NAMESPACE, Pain001RefusedError, type DebtorAccount, type Pain001Input, type Pain001Transfer, type Pain001RefusalReason } from './providers/pain001-document';
export { readPain001, Pain001FormatError, type Pain001File, type Pain001FileTransfer } from './providers/pain001-reader';
export { toSepaText, idToSepa, idFromSepa } from './providers/sepa-text';
export { reconcilePayouts, type CurrencyReconciliation, type Discrepancy, type DiscrepancyKind, type ReconcileOptions, type ReconciliationReport } from './reconciliation/payout-reconciliation';
export { exportPayoutsCsv, csvCell, toCsv, type PayoutsCsvFilter } from './reconciliation/payouts-csv';
export { payoutSetupFromEnv, routeByCurrency, PayoutConfigError, type PayoutSetup } from './providers/payout-provider-config';
