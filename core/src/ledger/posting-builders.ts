import type { StoreId } from '../ids/id';
import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';
import {
  fxConversion,
  fxSpreadRevenue,
  mallCryptoHoldings,
  mallFeeRevenue,
  mallFiatCash,
  paymentReversalLosses,
  shopperRefundsPayable,
  payoutsInTransit,
  storeEscrow,
  storePayable,
} from './accounts';
import { buildPosting, InvalidPostingError, type LedgerEntry, type Posting, type PostingMeta } from './posting';

export interface SettlementPostingInput {
  readonly meta: PostingMeta;
  readonly storeId: StoreId;
  readonly asset: CryptoAsset;
  /** Everything received for the checkout (over-payment included), in base units. */
  readonly amountReceivedBase: bigint;
  readonly currency: FiatCurrency;
  /** The checkout price the store sold at, fiat minor units. */
  readonly priceMinor: bigint;
  /** The mall's fee, taken from the price. 0 ≤ fee < price. */
  readonly feeMinor: bigint;
  /** The quote's spread over the market rate, in fiat minor units (0 when none). */
  readonly spreadMinor: bigint;
  /** True when the store's share is held in escrow instead of being payable at once. */
  readonly escrow: boolean;
}

/**
 * A settled checkout: the crypto received enters the mall's holdings; its fiat value (price plus the
 * spread earned) goes through the FX conversion account, so the asset and the fiat each balance;
 * the store is owed the price less the mall's fee (payable, or escrowed), the fee and the spread are
 * revenue. Over-payments stay in the FX position until refunded or credited.
 */
export function settlementPosting(input: SettlementPostingInput): Posting {
  const { currency, priceMinor, feeMinor, spreadMinor } = input;
  if (input.amountReceivedBase <= 0n || priceMinor <= 0n || feeMinor < 0n || spreadMinor < 0n || feeMinor >= priceMinor) {
    throw new InvalidPostingError('bad_amount', 'Settlement amounts out of range (received > 0, 0 ≤ fee < price, spread ≥ 0)');
  }
  const entries: LedgerEntry[] = [
    { account: mallCryptoHoldings(input.asset), currency: input.asset, amount: input.amountReceivedBase },
    { account: fxConversion(), currency: input.asset, amount: -input.amountReceivedBase },
    { account: fxConversion(), currency, amount: priceMinor + spreadMinor },
    {
      account: input.escrow ? storeEscrow(input.storeId) : storePayable(input.storeId),
      currency,
      amount: -(priceMinor - feeMinor),
    },
  ];
  if (feeMinor > 0n) entries.push({ account: mallFeeRevenue(), currency, amount: -feeMinor });
  if (spreadMinor > 0n) entries.push({ account: fxSpreadRevenue(), currency, amount: -spreadMinor });
  return buildPosting('settlement', entries, input.meta);
}

export interface StoreFiatMovement {
  readonly meta: PostingMeta;
  readonly storeId: StoreId;
  readonly currency: FiatCurrency;
  readonly amountMinor: bigint;
}

function transfer(kind: Posting['kind'], from: string, to: string, movement: StoreFiatMovement): Posting {
  // Debit `to`, credit `from`: value moves from the credited account into the debited one.
  return buildPosting(
    kind,
    [
      { account: to, currency: movement.currency, amount: movement.amountMinor },
      { account: from, currency: movement.currency, amount: -movement.amountMinor },
    ],
    movement.meta,
  );
}

/** Escrow released (receipt confirmed or deadline passed): the held amount becomes payable. */
export function escrowReleasePosting(m: StoreFiatMovement): Posting {
  return transfer('escrow_release', storePayable(m.storeId), storeEscrow(m.storeId), m);
}

/** A payout is handed to the bank / provider: the store is no longer owed it, the payout is in transit. */
export function payoutScheduledPosting(m: StoreFiatMovement): Posting {
  return transfer('payout_scheduled', payoutsInTransit(), storePayable(m.storeId), m);
}

/** The bank / provider confirmed the payout: the money left the mall's cash. */
export function payoutPaidPosting(m: StoreFiatMovement): Posting {
  return transfer('payout_paid', mallFiatCash(), payoutsInTransit(), m);
}

/** The payout failed: the store is owed the amount again. */
export function payoutFailedPosting(m: StoreFiatMovement): Posting {
  return transfer('payout_failed', storePayable(m.storeId), payoutsInTransit(), m);
}

/** A settled payment was reorged out or double-spent: the crypto is gone, booked as a loss. */
export function paymentReversalPosting(input: { meta: PostingMeta; asset: CryptoAsset; amountBase: bigint }): Posting {
  return buildPosting(
    'payment_reversal',
    [
      { account: paymentReversalLosses(), currency: input.asset, amount: input.amountBase },
      { account: mallCryptoHoldings(input.asset), currency: input.asset, amount: -input.amountBase },
    ],
    input.meta,
  );
}

export interface RefundOwedInput {
  readonly meta: PostingMeta;
  readonly storeId: StoreId;
  readonly currency: FiatCurrency;
  /** Taken from the store's escrow (≥ 0). */
  readonly fromEscrowMinor: bigint;
  /** The mall's fee given back (≥ 0; full refunds only). */
  readonly fromFeeMinor: bigint;
}

/**
 * An escrowed order is refunded (dispute decided, or cancelled by the store): the refunded part of the
 * store's escrow, and the mall's fee when it is given back, become a debt to the shopper until the
 * crypto is sent.
 */
export function refundOwedPosting(input: RefundOwedInput): Posting {
  const { currency, fromEscrowMinor, fromFeeMinor } = input;
  if (fromEscrowMinor < 0n || fromFeeMinor < 0n || fromEscrowMinor + fromFeeMinor === 0n) {
    throw new InvalidPostingError('bad_amount', 'A refund takes a positive total from escrow and fee, neither negative');
  }
  const entries: LedgerEntry[] = [];
  if (fromEscrowMinor > 0n) entries.push({ account: storeEscrow(input.storeId), currency, amount: fromEscrowMinor });
  if (fromFeeMinor > 0n) entries.push({ account: mallFeeRevenue(), currency, amount: fromFeeMinor });
  entries.push({ account: shopperRefundsPayable(), currency, amount: -(fromEscrowMinor + fromFeeMinor) });
  return buildPosting('refund_owed', entries, input.meta);
}

export interface RefundSentInput {
  readonly meta: PostingMeta;
  readonly asset: CryptoAsset;
  /** The crypto sent back to the shopper, base units (> 0). */
  readonly amountBase: bigint;
  readonly currency: FiatCurrency;
  /** The refund's fiat value owed to the shopper, minor units (> 0). */
  readonly refundMinor: bigint;
}

/**
 * The refund's crypto left the mall's wallet: the debt to the shopper is settled in fiat, the crypto
 * leaves the holdings, and both legs go back through the FX conversion account (the reverse of a
 * settlement), so each currency balances on its own.
 */
export function refundSentPosting(input: RefundSentInput): Posting {
  if (input.amountBase <= 0n || input.refundMinor <= 0n) throw new InvalidPostingError('bad_amount', 'A sent refund moves a positive amount');
  return buildPosting(
    'refund_sent',
    [
      { account: shopperRefundsPayable(), currency: input.currency, amount: input.refundMinor },
      { account: fxConversion(), currency: input.currency, amount: -input.refundMinor },
      { account: fxConversion(), currency: input.asset, amount: input.amountBase },
      { account: mallCryptoHoldings(input.asset), currency: input.asset, amount: -input.amountBase },
    ],
    input.meta,
  );
}
