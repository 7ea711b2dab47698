import type { CheckoutId } from '../ids/id';
import type { Posting } from '../ledger/posting';
import type { OutboxMessage } from '../ports/outbox-writer';
import { checkCredit } from './credit-level';
import type { ShopperAccount } from './shopper-account';
import { shopperBalanceMessage } from './shopper-events';
import { type RefundToBalanceInput, refundToBalancePosting } from './shopper-postings';

export interface RefundToBalance {
  readonly posting: Posting;
  readonly message: OutboxMessage;
  readonly balanceAfterMinor: bigint;
}

/**
 * The port the escrow / refund flow calls to pay a refund into a shopper's balance instead of on-chain:
 * checks the account (credits allowed, same currency) against its current balance, and returns the
 * posting (store payable or escrow → shopper balance) and the `shopper.balance_credited` message, both to
 * be written in the caller's transaction while it holds the account's lock.
 */
export function creditRefundToBalance(
  account: ShopperAccount,
  balanceMinor: bigint,
  input: Omit<RefundToBalanceInput, 'accountId'> & { readonly checkoutId: CheckoutId | null },
): RefundToBalance {
  const balanceAfterMinor = checkCredit(account, balanceMinor, input.amountMinor, input.currency);
  const posting = refundToBalancePosting({ ...input, accountId: account.id });
  const message = shopperBalanceMessage({
    accountId: account.id,
    reason: 'refund',
    amountMinor: input.amountMinor,
    currency: input.currency,
    checkoutId: input.checkoutId,
    storeId: input.storeId,
    postingId: input.meta.postingId,
    occurredAt: input.meta.occurredAt,
    dedupeKey: input.meta.dedupeKey,
  });
  return { posting, message, balanceAfterMinor };
}
