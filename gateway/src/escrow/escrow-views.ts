import { formatAmount, type CryptoAsset, type FiatCurrency } from '@coinstile/core';
import type { Carrier, Dispute, EscrowHoldView, Refund, Shipment } from '@coinstile/merchant-payouts';

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;
const fiat = (minor: bigint, currency: FiatCurrency): string => formatAmount(minor, currency);

/** A hold as the API returns it: amounts as decimal strings of the hold's currency. */
export function escrowHoldView(h: EscrowHoldView): Record<string, unknown> {
  return {
    id: h.id,
    checkoutId: h.checkoutId,
    storeId: h.storeId,
    orderId: h.orderId,
    payoutId: h.payoutId,
    status: h.status,
    inspection: h.inspection,
    autoAcceptDays: h.autoAcceptDays,
    currency: h.currency,
    price: fiat(h.priceMinor, h.currency),
    fee: fiat(h.feeMinor, h.currency),
    heldAmount: fiat(h.heldMinor, h.currency),
    releasedAmount: fiat(h.releasedMinor, h.currency),
    refundAmount: fiat(h.refundFromEscrowMinor + h.refundFeeMinor, h.currency),
    shippedAt: iso(h.shippedAt),
    deliveredAt: iso(h.deliveredAt),
    acceptanceDeadline: iso(h.acceptanceDeadline),
    acceptedAt: iso(h.acceptedAt),
    acceptedBy: h.acceptedBy,
    disputedAt: iso(h.disputedAt),
    resolution: h.resolution,
    resolvedAt: iso(h.resolvedAt),
    cancelledAt: iso(h.cancelledAt),
    createdAt: h.createdAt.toISOString(),
  };
}

export function carrierView(c: Carrier): Record<string, unknown> {
  return { id: c.id, code: c.code, name: c.name, createdAt: c.createdAt.toISOString() };
}

export function shipmentView(s: Shipment): Record<string, unknown> {
  return {
    id: s.id,
    checkoutId: s.checkoutId,
    storeId: s.storeId,
    carrierId: s.carrierId,
    carrierCode: s.carrierCode,
    trackingNumber: s.trackingNumber,
    status: s.status,
    escrowHoldId: s.escrowHoldId,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function disputeView(d: Dispute): Record<string, unknown> {
  return {
    id: d.id,
    escrowHoldId: d.holdId,
    checkoutId: d.checkoutId,
    storeId: d.storeId,
    reason: d.reason,
    status: d.status,
    resolution: d.resolution,
    currency: d.currency,
    heldAmount: fiat(d.heldMinor, d.currency),
    refundAmount: d.refundMinor === null ? null : fiat(d.refundMinor, d.currency),
    operatorNote: d.operatorNote,
    acceptanceDeadline: iso(d.acceptanceDeadline),
    openedAt: d.openedAt.toISOString(),
    resolvedAt: iso(d.resolvedAt),
  };
}

export function refundView(r: Refund): Record<string, unknown> {
  return {
    id: r.id,
    escrowHoldId: r.holdId,
    checkoutId: r.checkoutId,
    storeId: r.storeId,
    reason: r.reason,
    status: r.status,
    currency: r.currency,
    amount: fiat(r.refundMinor, r.currency),
    asset: r.asset,
    ratePolicy: r.ratePolicy,
    address: r.address,
    rate: r.rate,
    cryptoAmount: r.amountBase === null ? null : formatAmount(r.amountBase, r.asset as CryptoAsset),
    txid: r.txid,
    shopperAccountId: r.shopperAccountId,
    createdAt: r.createdAt.toISOString(),
    sentAt: iso(r.sentAt),
    creditedAt: iso(r.creditedAt),
  };
}
