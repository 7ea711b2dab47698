import { DISPUTE_RESOLUTIONS, ESCROW_STATUSES, INSPECTION_DESTINATIONS } from '@coinstile/core';
import { z } from 'zod';
import { text } from '../http/schemas';

/** Request shapes of the escrow routes (they validate requests and generate `/openapi.json`). */

const limit = z.string().regex(/^[0-9]{1,3}$/).optional().describe('1 to 100, default 50');

export const createCarrierSchema = z.strictObject({
  code: z.string().regex(/^[a-z0-9][a-z0-9_-]{1,31}$/).describe('Short unique code, e.g. "yamato"'),
  name: text(200, 1),
});

export const registerShipmentSchema = z.strictObject({
  carrierId: z.string().max(40).describe('car_…'),
  trackingNumber: z.string().regex(/^[A-Za-z0-9-]{4,64}$/),
  inspection: z
    .enum(INSPECTION_DESTINATIONS as unknown as ['shopper', 'gift_recipient', 'carrier'])
    .optional()
    .describe("Overrides the store's inspection destination for this order (a gift, or the carrier inspecting); only before shipping"),
});

export const shipmentEventSchema = z.strictObject({ status: z.enum(['in_transit', 'delivered']) });

export const cancelOrderSchema = z.strictObject({ reason: text(500, 1).describe('Why the store cancels (sent to the shopper with the refund link)') });

export const resolveDisputeSchema = z.strictObject({
  resolution: z.enum(DISPUTE_RESOLUTIONS as unknown as ['release', 'refund_full', 'refund_partial']),
  refundAmount: z.string().max(40).optional().describe('refund_partial only: the refund in the hold currency, a decimal string, less than the held amount'),
  note: text(2000).optional(),
});

export const markRefundSentSchema = z.strictObject({ txid: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/).describe('The transaction that sent the refund') });

export const listHoldsQuerySchema = z.strictObject({
  status: z.enum(ESCROW_STATUSES as unknown as ['reserved', 'shipped', 'delivered', 'accepted', 'disputed', 'resolved', 'cancelled']).optional(),
  storeId: z.string().max(40).optional(),
  limit,
});

export const listDisputesQuerySchema = z.strictObject({ status: z.enum(['open', 'resolved']).optional(), limit });

export const listRefundsQuerySchema = z.strictObject({ status: z.enum(['awaiting_address', 'ready', 'sent', 'credited']).optional(), limit });

export const listShipmentsQuerySchema = z.strictObject({ limit });

export function limitOf(text: string | undefined): number {
  return text === undefined ? 50 : Math.min(Math.max(Number(text), 1), 100);
}
