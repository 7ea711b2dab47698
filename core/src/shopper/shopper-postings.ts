import type { StoreId } from '../ids/id';
import { fxConversion, mallCryptoHoldings, storeEscrow, storePayable } from '../ledger/accounts';
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

export interface RefundToBalanceInput extends ShopperFiatMovement {
  readonly storeId: StoreId;
  /** Where the store's share sits: `escrow` while the payout is reserved, `payable` after release. */
  readonly from: 'payable' | 'escrow';
}

/**
 * A refund paid into the shopper's balance instead of back on-chain: the store is owed that much less
 * (its payable, or its escrow while held) and the shopper's balance is credited.
 */
export function refundToBalancePosting(input: RefundToBalanceInput): Posting {
  positive(input.amountMinor, 'Refund credit');
  const storeAccount = input.from === 'escrow' ? storeEscrow(input.storeId) : storePayable(input.storeId);
  return buildPosting(
    'shopper_refund_credit',
    [
      { account: storeAccount, currency: input.currency, amount: input.amountMinor },
      { account: shopperBalance(input.accountId), currency: input.currency, amount: -input.amountMinor },
    ],
    input.meta,
  );
}
