import type { Migration } from 'kysely';
import { initial } from './0001-initial';
import { verifier } from './0003-verifier';
import { pipeline } from './0004-pipeline';
import { payoutBatches } from './0006-payout-batches';
import { instanceSecrets } from './0010-instance-secrets';
import { receipts } from './0011-receipts';
import { escrow } from './0012-escrow';
import { vouchers } from './0013-vouchers';
import { storeUsers } from './0014-store-users';
import { shopperAccounts } from './0016-shopper-accounts';
import { ledgerBalancePerStatement } from './0018-ledger-balance-per-statement';
import { refundCredit } from './0019-refund-credit';
import { payoutClaimByItem } from './0020-payout-claim-by-item';
import { outboxNotify } from './0021-outbox-notify';
import { payoutsReservedIndex } from './0022-payouts-reserved-index';
import { outboxFanOutOrder } from './0023-outbox-fan-out-order';

/**
 * Every migration, keyed by name; names sort in the order they apply. A new migration is a new file
 * `NNNN-name.ts` beside this one plus one line here; applied migrations are never edited.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0003-verifier': verifier,
  '0004-pipeline': pipeline,
  '0006-payout-batches': payoutBatches,
  '0010-instance-secrets': instanceSecrets,
  '0011-receipts': receipts,
  '0012-escrow': escrow,
  '0013-vouchers': vouchers,
  '0014-store-users': storeUsers,
  '0016-shopper-accounts': shopperAccounts,
  '0018-ledger-balance-per-statement': ledgerBalancePerStatement,
  '0019-refund-credit': refundCredit,
  '0020-payout-claim-by-item': payoutClaimByItem,
  '0021-outbox-notify': outboxNotify,
  '0022-payouts-reserved-index': payoutsReservedIndex,
  '0023-outbox-fan-out-order': outboxFanOutOrder,
};
