import type { StoreId } from '../ids/id';
import { fxConversion, fxSpreadRevenue, mallCryptoHoldings, mallFeeRevenue, storeEscrow, storePayable } from '../ledger/accounts';
import { buildPosting, InvalidPostingError, type LedgerEntry, type Posting, type PostingMeta } from '../ledger/posting';
import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';
import { assertNever } from '../errors/assert-never';
import { shopperSpendsPending } from '../shopper/shopper-ledger-accounts';
import type { TenderKind } from './tender';

/** What the mall owes the holders of activated vouchers (a liability: carries a negative balance). */
export const voucherLiability = (): string => 'mall:vouchers:outstanding';
/** Balances of vouchers that expired or were voided unspent: no longer owed to anyone. */
export const voucherBreakageRevenue = (): string => 'mall:revenue:voucher_breakage';
/** The cash a store's POS collected for vouchers it activated, owed to the mall (an asset of the mall). */
export const storeVoucherCashDue = (storeId: StoreId): string => `store:${storeId}:voucher_cash_due`;

/**
 * The account a tender's money comes out of when its checkout settles: vouchers' pooled liability; for a
 * shopper balance, the pending spends its hold already moved the amount into.
 */
export function tenderFundingAccount(kind: TenderKind): string {
  switch (kind) {
    case 'voucher':
      return voucherLiability();
    case 'balance':
      return shopperSpendsPending();
  }
  return assertNever(kind, 'tender kind');
}

/**
 * A POS activated a voucher: the store collected `faceValueMinor` in cash and owes it to the mall; the mall
 * now owes the voucher's holder the same amount.
 */
export function voucherActivationPosting(input: { meta: PostingMeta; storeId: StoreId; currency: FiatCurrency; faceValueMinor: bigint }): Posting {
  if (input.faceValueMinor <= 0n) throw new InvalidPostingError('bad_amount', 'A voucher face value is positive');
  return buildPosting(
    'voucher_activation',
    [
      { account: storeVoucherCashDue(input.storeId), currency: input.currency, amount: input.faceValueMinor },
      { account: voucherLiability(), currency: input.currency, amount: -input.faceValueMinor },
    ],
    input.meta,
  );
}

/**
 * A voucher expired or was voided with `amountMinor` unspent (or a held tender came back to such a voucher):
 * the mall no longer owes it to the holder; it is breakage revenue.
 */
export function voucherBreakagePosting(input: { meta: PostingMeta; currency: FiatCurrency; amountMinor: bigint }): Posting {
  if (input.amountMinor <= 0n) throw new InvalidPostingError('bad_amount', 'Voucher breakage is positive');
  return buildPosting(
    'voucher_breakage',
    [
      { account: voucherLiability(), currency: input.currency, amount: input.amountMinor },
      { account: voucherBreakageRevenue(), currency: input.currency, amount: -input.amountMinor },
    ],
    input.meta,
  );
}

export interface TenderedSettlementInput {
  readonly meta: PostingMeta;
  readonly storeId: StoreId;
  /** The asset the rest was paid in; null when tenders covered the whole price. */
  readonly asset: CryptoAsset | null;
  /** Everything received in `asset` (over-payment included); 0 when `asset` is null. */
  readonly amountReceivedBase: bigint;
  readonly currency: FiatCurrency;
  readonly priceMinor: bigint;
  /** The mall's fee, taken from the price. 0 ≤ fee < price. */
  readonly feeMinor: bigint;
  /** The quote's spread on the crypto part, fiat minor units (0 when none or no crypto). */
  readonly spreadMinor: bigint;
  readonly escrow: boolean;
  /** The captured tenders, each paying part of the price. */
  readonly tenders: readonly { readonly kind: TenderKind; readonly sourceId: string; readonly amountMinor: bigint }[];
}

/**
 * A settled checkout paid partly (or wholly) by tenders. As `settlementPosting` for the crypto part (its
 * fiat value, the price less the tenders plus the spread, goes through the FX conversion account); each
 * tender's amount comes out of its funding account (voucher liability, shopper balance); the store is owed
 * the whole price less the mall's fee, payable or escrowed. Balanced per currency.
 */
export function tenderedSettlementPosting(input: TenderedSettlementInput): Posting {
  const { currency, priceMinor, feeMinor, spreadMinor } = input;
  const tenderedMinor = input.tenders.reduce((sum, t) => sum + t.amountMinor, 0n);
  const cryptoPartMinor = priceMinor - tenderedMinor;
  const paidInCrypto = input.asset !== null && input.amountReceivedBase > 0n;
  if (
    priceMinor <= 0n ||
    feeMinor < 0n ||
    feeMinor >= priceMinor ||
    spreadMinor < 0n ||
    input.tenders.some((t) => t.amountMinor <= 0n) ||
    cryptoPartMinor < 0n ||
    (cryptoPartMinor > 0n) !== paidInCrypto ||
    (!paidInCrypto && spreadMinor > 0n)
  ) {
    throw new InvalidPostingError('bad_amount', 'Tendered settlement amounts out of range (tenders ≤ price, crypto received exactly when some price is left)');
  }
  const entries: LedgerEntry[] = [];
  if (paidInCrypto && input.asset !== null) {
    entries.push(
      { account: mallCryptoHoldings(input.asset), currency: input.asset, amount: input.amountReceivedBase },
      { account: fxConversion(), currency: input.asset, amount: -input.amountReceivedBase },
      { account: fxConversion(), currency, amount: cryptoPartMinor + spreadMinor },
    );
  }
  for (const t of input.tenders) entries.push({ account: tenderFundingAccount(t.kind), currency, amount: t.amountMinor });
  entries.push({ account: input.escrow ? storeEscrow(input.storeId) : storePayable(input.storeId), currency, amount: -(priceMinor - feeMinor) });
  if (feeMinor > 0n) entries.push({ account: mallFeeRevenue(), currency, amount: -feeMinor });
  if (spreadMinor > 0n) entries.push({ account: fxSpreadRevenue(), currency, amount: -spreadMinor });
  return buildPosting('settlement', entries, input.meta);
}
