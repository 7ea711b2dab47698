import { type CryptoAsset, fiatStillDueMinor, formatAmount, tenderedMinor } from '@coinstile/core';
import type { CheckoutRecord, JsonValue, PaymentsTable, TenderRecord } from '@coinstile/platform';
import { bip21Uri, eip681Uri } from '@coinstile/wallet-verifier';
import type { Selectable } from 'kysely';

/** What payment URIs need from the configuration. */
export interface PaymentUriConfig {
  readonly publicUrl: string;
  /** `ETH_CHAIN_ID` (1 when unset). */
  readonly ethChainId: number;
  /** `USDC_CONTRACT`; USDC wallets are refused without it. */
  readonly usdcContract: string | undefined;
}

export interface PaymentView {
  readonly id: string;
  readonly txid: string;
  readonly outputIndex: number;
  readonly asset: string;
  readonly amount: string;
  readonly confirmations: number;
  readonly state: string;
  readonly firstSeenAt: string;
}

export interface CheckoutPaymentInstructionsView {
  readonly asset: CryptoAsset;
  readonly address: string;
  readonly amountDue: string;
  readonly rate: string;
  readonly quoteId: string;
  readonly quoteExpiresAt: string;
  /** BIP21 (`bitcoin:`/`litecoin:`) or EIP-681 (`ethereum:`) URI. */
  readonly uri: string;
  /** URL of the QR code of `uri` (SVG). */
  readonly qr: string;
}

/** Part of the price paid by a voucher or a shopper balance. */
export interface TenderView {
  readonly kind: string;
  /** The voucher (`vch_…`) or shopper account (`acct_…`) it came from. */
  readonly sourceId: string;
  readonly amount: string;
  readonly currency: string;
  /** `held` until the checkout settles (`captured`), or given back (`released`). */
  readonly status: string;
}

export function tenderView(tender: TenderRecord): TenderView {
  return { kind: tender.kind, sourceId: tender.sourceId, amount: formatAmount(tender.amountMinor, tender.currency), currency: tender.currency, status: tender.status };
}

/** A checkout as the API returns it. Amounts are decimal strings in major units. */
export interface CheckoutView {
  readonly id: string;
  readonly object: 'checkout';
  readonly storeId: string;
  readonly orderId: string;
  readonly status: string;
  readonly exception: string;
  readonly amount: string;
  readonly currency: string;
  readonly assets: readonly string[];
  readonly escrow: boolean;
  readonly metadata: { readonly [key: string]: JsonValue };
  readonly items: readonly JsonValue[];
  readonly hostedUrl: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly monitoringUntil: string;
  readonly settledAt: string | null;
  readonly cancelledAt: string | null;
  /** Sum of the counted payments, in `payment.asset`; null while no asset is chosen. */
  readonly amountPaid: string | null;
  readonly payment: CheckoutPaymentInstructionsView | null;
  readonly payments: readonly PaymentView[];
  /** Vouchers and shopper balance applied to the price. */
  readonly tenders: readonly TenderView[];
  /** What the held and captured tenders pay, in `currency`. */
  readonly amountTendered: string;
  /** The fiat left to pay in crypto (`payment.amountDue` is quoted for it), in `currency`. */
  readonly amountRemaining: string;
}

export function paymentUri(asset: CryptoAsset, address: string, amountBase: bigint, config: PaymentUriConfig): string {
  switch (asset) {
    case 'BTC':
    case 'LTC':
      return bip21Uri({ asset, address, amountBase });
    case 'ETH':
      return eip681Uri({ asset, address, amountBase, chainId: config.ethChainId });
    case 'USDC':
      return eip681Uri({
        asset,
        address,
        amountBase,
        chainId: config.ethChainId,
        ...(config.usdcContract !== undefined ? { tokenContract: config.usdcContract } : {}),
      });
  }
}

export function qrUrl(checkoutId: string, config: PaymentUriConfig): string {
  return `${config.publicUrl}/v1/checkouts/${checkoutId}/qr.svg`;
}

export function paymentView(row: Selectable<PaymentsTable>): PaymentView {
  return {
    id: row.id,
    txid: row.txid,
    outputIndex: row.output_index,
    asset: row.asset,
    amount: formatAmount(BigInt(row.amount_base), row.asset as CryptoAsset),
    confirmations: row.confirmations,
    state: row.state,
    firstSeenAt: row.first_seen_at.toISOString(),
  };
}

export function checkoutView(checkout: CheckoutRecord, payments: readonly PaymentView[], config: PaymentUriConfig, tenders: readonly TenderRecord[] = []): CheckoutView {
  const { asset, address, amountDueBase, quoteId, rate, quoteExpiresAt } = checkout;
  const payment =
    // Nothing is due in crypto once tenders cover the price: no instructions to show.
    asset !== null && address !== null && amountDueBase !== null && amountDueBase > 0n && quoteId !== null && rate !== null && quoteExpiresAt !== null
      ? {
          asset,
          address,
          amountDue: formatAmount(amountDueBase, asset),
          rate,
          quoteId,
          quoteExpiresAt: quoteExpiresAt.toISOString(),
          uri: paymentUri(asset, address, amountDueBase, config),
          qr: qrUrl(checkout.id, config),
        }
      : null;
  return {
    id: checkout.id,
    object: 'checkout',
    storeId: checkout.storeId,
    orderId: checkout.orderId,
    status: checkout.status,
    exception: checkout.exception,
    amount: formatAmount(checkout.priceMinor, checkout.currency),
    currency: checkout.currency,
    assets: checkout.assetsOffered,
    escrow: checkout.escrow,
    metadata: checkout.metadata,
    items: checkout.items,
    hostedUrl: `${config.publicUrl}/pay/${checkout.id}`,
    createdAt: checkout.createdAt.toISOString(),
    expiresAt: checkout.expiresAt.toISOString(),
    monitoringUntil: checkout.monitoringUntil.toISOString(),
    settledAt: checkout.settledAt?.toISOString() ?? null,
    cancelledAt: checkout.cancelledAt?.toISOString() ?? null,
    amountPaid: asset === null ? null : formatAmount(checkout.amountPaidBase, asset),
    payment,
    payments,
    tenders: tenders.map(tenderView),
    amountTendered: formatAmount(tenderedMinor(tenders), checkout.currency),
    amountRemaining: formatAmount(fiatStillDueMinor(checkout.priceMinor, tenders), checkout.currency),
  };
}
