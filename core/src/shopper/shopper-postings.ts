import { assertNever } from '../errors/assert-never';
import type { StoreId } from '../ids/id';
import { fxConversion, mallCryptoHoldings, shopperRefundsPayable, storeEscrow, storePayable } from '../ledger/accounts';
import { buildPosting, InvalidPostingError, type Posting, type PostingMeta } from '../ledger/posting';
import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';
import type { ShopperAccountId } from './shopper-account';
import { shopperBalance, shopperSpendsPending } from './shopper-ledger-accounts';

export interface ShopperFiatMovement {
  readonly meta: PostingMeta;
  readonly accountId: ShopperAccountId;
  readonly currency: FiatCurrency;
  readonly amountMinor: bigint;
}

function positive(amountMinor: bigint, what: string): void {
  if (amountMinor <= 0n) throw new InvalidPostingError('bad_amount', `${what} must be positive: ${amountMinor}`);
}

/**
 * A checkout linked to a shopper account was over-paid: the surplus (its fiat value at the checkout's
 * rate, rounded down) leaves the mall's FX position, where the settlement posting left it, and is
 * credited to the shopper's balance.
 */
export function overpaymentCreditPosting(m: ShopperFiatMovement): Posting {
  positive(m.amountMinor, 'Over-payment credit');
  return buildPosting(
    'shopper_overpayment_credit',
    [
      { account: fxConversion(), currency: m.currency, amount: m.amountMinor },
      { account: shopperBalance(m.accountId), currency: m.currency, amount: -m.amountMinor },
    ],
    m.meta,
  );
}

export interface TopUpPostingInput {
  readonly meta: PostingMeta;
  readonly accountId: ShopperAccountId;
  readonly asset: CryptoAsset;
  /** Everything received for the top-up checkout, in base units. */
  readonly amountReceivedBase: bigint;
  readonly currency: FiatCurrency;
  /** The fiat credited: the received crypto's value at the checkout's rate, rounded down. */
  readonly creditedMinor: bigint;
}

/**
 * A top-up checkout settled: the crypto enters the mall's holdings through the FX conversion account
 * (as a sale's does), and its fiat value is credited to the shopper's balance. No store is owed anything.
 * An overdraft is repaid first simply because the balance account is one signed account.
 */
export function topUpPosting(input: TopUpPostingInput): Posting {
  if (input.amountReceivedBase <= 0n) throw new InvalidPostingError('bad_amount', 'Top-up received amount must be positive');
  positive(input.creditedMinor, 'Top-up credit');
  return buildPosting(
    'shopper_top_up',
    [
      { account: mallCryptoHoldings(input.asset), currency: input.asset, amount: input.amountReceivedBase },
      { account: fxConversion(), currency: input.asset, amount: -input.amountReceivedBase },
      { account: fxConversion(), currency: input.currency, amount: input.creditedMinor },
      { account: shopperBalance(input.accountId), currency: input.currency, amount: -input.creditedMinor },
    ],
    input.meta,
  );
}

/**
 * Balance applied to a checkout as a `balance` tender: held out of the balance (it may go into the
 * overdraft) into the pending spends. When the checkout settles, the tendered settlement posting
 * (`tenderedSettlementPosting`) takes it from there to the store's payable.
 */
export function balanceHoldPosting(m: ShopperFiatMovement): Posting {
  positive(m.amountMinor, 'Balance hold');
  return buildPosting(
    'shopper_balance_hold',
    [
      { account: shopperBalance(m.accountId), currency: m.currency, amount: m.amountMinor },
      { account: shopperSpendsPending(), currency: m.currency, amount: -m.amountMinor },
    ],
    m.meta,
  );
}

/** The checkout the balance was applied to expired or was cancelled: the hold goes back to the balance. */
export function balanceHoldReleasePosting(m: ShopperFiatMovement): Posting {
  positive(m.amountMinor, 'Balance hold release');
  return buildPosting(
    'shopper_balance_hold_release',
    [
      { account: shopperSpendsPending(), currency: m.currency, amount: m.amountMinor },
      { account: shopperBalance(m.accountId), currency: m.currency, amount: -m.amountMinor },
    ],
    m.meta,
  );
}

/**
 * Where a refund credited to a shopper's balance comes from:
 * - `payable`: the store's payable (a refund decided after the store's share was released to it);
 * - `escrow`: the store's escrow (while the payout is still held);
 * - `refunds_payable`: the mall's debt to the shopper that an escrow refund already booked (`refund_owed`:
 *   escrow and fee → `mall:refunds_payable`); crediting the balance settles that debt instead of sending
 *   crypto, so the store is not charged twice.
 */
export type RefundCreditSource = 'payable' | 'escrow' | 'refunds_payable';

export const REFUND_CREDIT_SOURCES: readonly RefundCreditSource[] = ['payable', 'escrow', 'refunds_payable'];

export interface RefundToBalanceInput extends ShopperFiatMovement {
  /** The refunding store (for `payable` and `escrow`, the account charged). */
  readonly storeId: StoreId;
  readonly from: RefundCreditSource;
}

function refundSourceAccount(from: RefundCreditSource, storeId: StoreId): string {
  switch (from) {
    case 'payable':
      return storePayable(storeId);
    case 'escrow':
      return storeEscrow(storeId);
    case 'refunds_payable':
      return shopperRefundsPayable();
  }
  return assertNever(from, 'refund credit source');
}

/**
 * A refund paid into the shopper's balance instead of back on-chain: the source (`from`) is debited by the
 * amount and the shopper's balance is credited, in one currency.
 */
export function refundToBalancePosting(input: RefundToBalanceInput): Posting {
  positive(input.amountMinor, 'Refund credit');
  return buildPosting(
    'shopper_refund_credit',
    [
      { account: refundSourceAccount(input.from, input.storeId), currency: input.currency, amount: input.amountMinor },
      { account: shopperBalance(input.accountId), currency: input.currency, amount: -input.amountMinor },
    ],
    input.meta,
  );
}
