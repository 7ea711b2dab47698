import type { CheckoutId, CryptoAsset, FiatCurrency, PayoutId, StoreId, TenderKind } from '@coinstile/core';

/** A transaction output that paid a released order. */
export interface ReleasedPayment {
  readonly txid: string;
  readonly outputIndex: number;
  readonly amountBase: bigint;
  readonly confirmations: number;
}

/** `order.released`: the store may ship. Sent to the store as a webhook. */
export interface OrderReleasedEvent {
  readonly type: 'order.released';
  readonly storeId: StoreId;
  readonly checkoutId: CheckoutId;
  readonly orderId: string;
  readonly items: unknown;
  readonly metadata: unknown;
  /** The fiat amount locked at quote time (the checkout price), minor units of `currency`. */
  readonly priceMinor: bigint;
  readonly currency: FiatCurrency;
  /** Null when tenders (vouchers, shopper balance) paid the whole price. */
  readonly asset: CryptoAsset | null;
  /** The locked rate (fiat major units per crypto major unit), a decimal string. */
  readonly rate: string | null;
  readonly amountDueBase: bigint | null;
  /** What the counted payments add up to, base units of `asset`. */
  readonly amountReceivedBase: bigint;
  readonly txids: readonly string[];
  readonly payments: readonly ReleasedPayment[];
  readonly feeMinor: bigint;
  /** What the store is paid: price less the mall's fee. */
  readonly netMinor: bigint;
  readonly escrow: boolean;
  readonly releasedAt: Date;
  /** The signed receipt (compact JWS), verifiable offline against `/.well-known/jwks.json`; null when receipts are off. */
  readonly receipt: string | null;
  /** The parts of the price paid by vouchers or a shopper balance (captured with this release). */
  readonly tenders: readonly { readonly kind: TenderKind; readonly sourceId: string; readonly amountMinor: bigint }[];
}

/** `payout.scheduled` (or `payout.reserved` under escrow). */
export interface PayoutEvent {
  readonly type: 'payout.scheduled' | 'payout.reserved';
  readonly payoutId: PayoutId;
  readonly storeId: StoreId;
  readonly checkoutId: CheckoutId;
  readonly orderId: string;
  readonly amountMinor: bigint;
  readonly feeMinor: bigint;
  readonly currency: FiatCurrency;
  readonly status: 'scheduled' | 'reserved';
  /** When the payout may go to the payout provider; null under escrow or while below the store's threshold. */
  readonly dueAt: Date | null;
  readonly scheduledAt: Date;
}

export const orderReleasedEventId = (checkoutId: CheckoutId): string => `${checkoutId}:order.released`;
export const payoutEventId = (checkoutId: CheckoutId, type: PayoutEvent['type']): string => `${checkoutId}:${type}`;
