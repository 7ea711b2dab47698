import { assertNever } from '../errors/assert-never';
import type { CheckoutId, LedgerPostingId, StoreId } from '../ids/id';
import type { FiatCurrency } from '../money/fiat-currency';
import type { OutboxMessage } from '../ports/outbox-writer';
import type { ShopperAccountId } from './shopper-account';

/** Why a shopper's balance moved. */
export type ShopperBalanceReason = 'over_payment' | 'top_up' | 'refund' | 'checkout_spend' | 'spend_returned';

/** `shopper.balance_credited` / `shopper.balance_debited`: one per ledger posting that moved the balance. */
export interface ShopperBalanceEvent {
  readonly type: 'shopper.balance_credited' | 'shopper.balance_debited';
  readonly accountId: ShopperAccountId;
  readonly reason: ShopperBalanceReason;
  readonly amountMinor: bigint;
  readonly currency: FiatCurrency;
  readonly checkoutId: CheckoutId | null;
  /**
   * The store whose checkout moved the balance (the sale, the top-up's receiving store, the refunding
   * store): its webhooks receive the event. Null when no store is involved.
   */
  readonly storeId: StoreId | null;
  readonly postingId: LedgerPostingId;
  readonly occurredAt: Date;
}

/** `shopper.credit_level_changed`: the operator set a new allowed overdraft. */
export interface ShopperCreditLevelChangedEvent {
  readonly type: 'shopper.credit_level_changed';
  readonly accountId: ShopperAccountId;
  readonly currency: FiatCurrency;
  readonly previousCreditLevelMinor: bigint;
  readonly creditLevelMinor: bigint;
  readonly occurredAt: Date;
}

/** True for the reasons that raise the balance. */
export function isCreditReason(reason: ShopperBalanceReason): boolean {
  switch (reason) {
    case 'over_payment':
    case 'top_up':
    case 'refund':
    case 'spend_returned':
      return true;
    case 'checkout_spend':
      return false;
  }
  return assertNever(reason, 'shopper balance reason');
}

/**
 * The outbox message announcing a balance movement. Its event id is the posting's dedupe key, so the
 * event exists exactly when the posting does (a retry books and announces nothing twice).
 */
export function shopperBalanceMessage(input: Omit<ShopperBalanceEvent, 'type'> & { readonly dedupeKey: string }): OutboxMessage {
  const { dedupeKey, ...rest } = input;
  const event: ShopperBalanceEvent = { type: isCreditReason(input.reason) ? 'shopper.balance_credited' : 'shopper.balance_debited', ...rest };
  return { eventId: `${event.type}:${dedupeKey}`, eventType: event.type, aggregateType: 'shopper_account', aggregateId: input.accountId, payload: event };
}
