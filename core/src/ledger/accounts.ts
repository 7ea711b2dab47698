import type { StoreId } from '../ids/id';
import type { CryptoAsset } from '../money/crypto-asset';

/*
 * Chart of accounts. Names are `owner:…` segments; the currency is on each entry, not in the name
 * (except crypto holdings, named per asset so each wallet reconciles against its own account).
 * Sign convention: debit positive. Asset accounts (holdings, cash) carry positive balances;
 * liabilities and revenue (store payables, fee revenue) carry negative ones.
 */

/** What the mall owes the store, in the store's fiat, payable now. */
export const storePayable = (storeId: StoreId): string => `store:${storeId}:payable`;
/** What the mall owes the store but holds back until receipt is confirmed (escrow). */
export const storeEscrow = (storeId: StoreId): string => `store:${storeId}:escrow`;
/** Crypto the mall's wallets hold, per asset. */
export const mallCryptoHoldings = (asset: CryptoAsset): string => `mall:crypto_holdings:${asset}`;
/** The mall's fiat bank money (payouts are paid from it). */
export const mallFiatCash = (): string => 'mall:fiat_cash';
/**
 * The mall's open currency position: crypto taken in (credit, in the asset) against the fiat value
 * booked for it (debit, in fiat). Lets each currency balance on its own.
 */
export const fxConversion = (): string => 'mall:fx_conversion';
/** Payouts handed to the bank or payout provider and not yet confirmed paid. */
export const payoutsInTransit = (): string => 'mall:payouts_in_transit';
export const mallFeeRevenue = (): string => 'mall:revenue:fees';
/** The spread between the market rate and the rate quoted to the shopper, in fiat. */
export const fxSpreadRevenue = (): string => 'mall:revenue:fx_spread';
/** Crypto lost when a settled payment was reorged out or double-spent. */
export const paymentReversalLosses = (): string => 'mall:losses:payment_reversals';
/** Refunds the mall owes shoppers (escrow refunds), in the sale's fiat, until the crypto is sent. */
export const shopperRefundsPayable = (): string => 'mall:refunds_payable';
