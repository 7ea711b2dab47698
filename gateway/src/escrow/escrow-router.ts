import { parseAmount, parseId, ValidationError } from '@coinstile/core';
import { IdempotencyRepository, type Database } from '@coinstile/platform';
import { type Request, type Response, Router } from 'express';
import { principalOf, requireCarrierScope, requireOperator, requireStoreScope } from '../auth/principal';
import { IdempotencyKeyInUseError, requestHash } from '../checkouts/checkout-service';
import { idempotencyKeyOf } from '../http/routes';
import { validate } from '../http/validate';
import type { GatewayEscrow } from './gateway-escrow';
import {
  cancelOrderSchema,
  createCarrierSchema,
  limitOf,
  listDisputesQuerySchema,
  listHoldsQuerySchema,
  listRefundsQuerySchema,
  listShipmentsQuerySchema,
  markRefundSentSchema,
  registerShipmentSchema,
  resolveDisputeSchema,
  shipmentEventSchema,
} from './escrow-schemas';
import { carrierView, disputeView, escrowHoldView, refundView, shipmentView } from './escrow-views';

export interface EscrowRouterDeps {
  readonly escrow: GatewayEscrow;
  readonly db: Database;
}

/**
 * Runs a POST under its `Idempotency-Key` (when given), as `POST /v1/checkouts` does: the same key and
 * body replay the first answer, another body is a 409, a request still running is a 409 to retry. A
 * request that failed is forgotten, so a retry runs again (every escrow action refuses a repeat itself).
 */
async function idempotent(
  idempotency: IdempotencyRepository,
  req: Request,
  res: Response,
  scope: string,
  run: () => Promise<{ status: number; body: unknown }>,
): Promise<void> {
  const key = idempotencyKeyOf(req);
  if (key === undefined) {
    const result = await run();
    res.status(result.status).json(result.body);
    return;
  }
  const begun = await idempotency.begin(scope, key, requestHash({ path: req.path, body: req.body as unknown }));
  switch (begun.kind) {
    case 'replay':
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(begun.responseStatus).json(begun.responseBody);
      return;
    case 'in_progress':
      throw new IdempotencyKeyInUseError(key);
    case 'started':
      break;
  }
  let result: { status: number; body: unknown };
  try {
    result = await run();
  } catch (err) {
    await idempotency.abandon(scope, key);
    throw err;
  }
  await idempotency.complete(scope, key, result.status, result.body);
  res.status(result.status).json(result.body);
}

/**
 * The escrow API (mounted after `/v1` authentication):
 * - operator: carriers and their keys (any caller lists the registry), escrow holds, disputes (resolve), refunds (mark sent);
 * - store keys: register a shipment (`checkouts:write`), read an order's escrow (`checkouts:read`), cancel
 *   an escrowed order before acceptance (`checkouts:write`), list its shipments;
 * - carrier keys (`shipments`): report `in_transit` / `delivered` on their shipments.
 * Each handler checks the caller before it parses anything else, so a wrong caller always gets 401/403.
 */
export function createEscrowRouter(deps: EscrowRouterDeps): Router {
  const router = Router();
  const escrow = deps.escrow.service;
  const idempotency = new IdempotencyRepository(deps.db);

  router.post('/v1/carriers', async (req, res) => {
    requireOperator(res);
    const body = validate(createCarrierSchema, req.body, 'body');
    res.status(201).json(carrierView(await escrow.createCarrier(body)));
  });

  // The registry is public to every caller: stores pick the carrier of their shipments from it.
  router.get('/v1/carriers', async (_req, res) => {
    principalOf(res);
    res.json({ data: (await escrow.listCarriers()).map(carrierView), nextCursor: null });
  });

  router.post('/v1/carriers/:id/api-keys', async (req, res) => {
    requireOperator(res);
    const { key, view } = await deps.escrow.carrierKeys.create(String(req.params['id']));
    // The only response that ever contains the key.
    res.status(201).json({ ...view, key });
  });

  router.delete('/v1/carriers/:id/api-keys/:keyId', async (req, res) => {
    requireOperator(res);
    res.json(await deps.escrow.carrierKeys.revoke(String(req.params['id']), String(req.params['keyId'])));
  });

  router.get('/v1/escrow-holds', async (req, res) => {
    requireOperator(res);
    const query = validate(listHoldsQuerySchema, req.query, 'query');
    const holds = await escrow.listHolds({
      ...(query.status !== undefined ? { statuses: [query.status] } : {}),
      ...(query.storeId !== undefined ? { storeId: parseId('st', query.storeId) } : {}),
      limit: limitOf(query.limit),
    });
    res.json({ data: holds.map(escrowHoldView), nextCursor: null });
  });

  router.get('/v1/disputes', async (req, res) => {
    requireOperator(res);
    const query = validate(listDisputesQuerySchema, req.query, 'query');
    const disputes = await escrow.listDisputes({ ...(query.status !== undefined ? { status: query.status } : {}), limit: limitOf(query.limit) });
    res.json({ data: disputes.map(disputeView), nextCursor: null });
  });

  router.post('/v1/disputes/:id/resolve', async (req, res) => {
    requireOperator(res);
    const disputeId = parseId('dsp', req.params['id']);
    const body = validate(resolveDisputeSchema, req.body, 'body');
    await idempotent(idempotency, req, res, `operator:POST /v1/disputes/${disputeId}/resolve`, async () => {
      const note = body.note !== undefined ? { note: body.note } : {};
      switch (body.resolution) {
        case 'release':
        case 'refund_full':
          if (body.refundAmount !== undefined) throw new ValidationError('refundAmount is for refund_partial only', { field: 'refundAmount' });
          return { status: 200, body: disputeView(await escrow.resolveDispute({ disputeId, resolution: body.resolution, ...note })) };
        case 'refund_partial': {
          if (body.refundAmount === undefined) throw new ValidationError('refund_partial needs refundAmount', { field: 'refundAmount' });
          const dispute = await escrow.getDispute(disputeId);
          const refundMinor = parseAmount(body.refundAmount, dispute.currency);
          return { status: 200, body: disputeView(await escrow.resolveDispute({ disputeId, resolution: 'refund_partial', refundMinor, ...note })) };
        }
      }
    });
  });

  router.get('/v1/refunds', async (req, res) => {
    requireOperator(res);
    const query = validate(listRefundsQuerySchema, req.query, 'query');
    const refunds = await escrow.listRefunds({ ...(query.status !== undefined ? { status: query.status } : {}), limit: limitOf(query.limit) });
    res.json({ data: refunds.map(refundView), nextCursor: null });
  });

  router.post('/v1/refunds/:id/mark-sent', async (req, res) => {
    requireOperator(res);
    const refundId = parseId('rf', req.params['id']);
    const body = validate(markRefundSentSchema, req.body, 'body');
    await idempotent(idempotency, req, res, `operator:POST /v1/refunds/${refundId}/mark-sent`, async () => ({
      status: 200,
      body: refundView(await escrow.markRefundSent({ refundId, txid: body.txid })),
    }));
  });

  router.post('/v1/checkouts/:id/shipments', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'checkouts:write');
    // Another store's order is not found, whatever the body says.
    const checkoutId = await escrow.assertCheckoutOfStore(storeId, String(req.params['id']));
    const body = validate(registerShipmentSchema, req.body, 'body');
    await idempotent(idempotency, req, res, `${storeId}:POST /v1/checkouts/${checkoutId}/shipments`, async () => ({
      status: 201,
      body: shipmentView(
        await escrow.registerShipment({
          storeId,
          checkoutId,
          carrierId: body.carrierId,
          trackingNumber: body.trackingNumber,
          ...(body.inspection !== undefined ? { inspection: body.inspection } : {}),
        }),
      ),
    }));
  });

  router.get('/v1/checkouts/:id/escrow', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'checkouts:read');
    const checkoutId = parseId('co', req.params['id']);
    const hold = await escrow.holdOfCheckout(checkoutId, storeId);
    // The shopper's page again, for a store that missed `escrow.held` (a fresh token each time; all stay valid).
    res.json({ ...escrowHoldView(hold), acceptUrl: deps.escrow.links.acceptUrl(hold.id) });
  });

  router.post('/v1/checkouts/:id/cancel-order', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'checkouts:write');
    const checkoutId = await escrow.assertCheckoutOfStore(storeId, String(req.params['id']));
    const body = validate(cancelOrderSchema, req.body, 'body');
    await idempotent(idempotency, req, res, `${storeId}:POST /v1/checkouts/${checkoutId}/cancel-order`, async () => ({
      status: 200,
      body: escrowHoldView(await escrow.cancelBeforeAcceptance({ storeId, checkoutId, reason: body.reason })),
    }));
  });

  router.get('/v1/shipments', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'checkouts:read');
    const query = validate(listShipmentsQuerySchema, req.query, 'query');
    res.json({ data: (await escrow.listShipments({ storeId, limit: limitOf(query.limit) })).map(shipmentView), nextCursor: null });
  });

  router.post('/v1/shipments/:id/events', async (req, res) => {
    const { carrierId } = requireCarrierScope(res, 'shipments');
    const shipmentId = parseId('shp', req.params['id']);
    const body = validate(shipmentEventSchema, req.body, 'body');
    await idempotent(idempotency, req, res, `${carrierId}:POST /v1/shipments/${shipmentId}/events`, async () => ({
      status: 201,
      body: shipmentView(await escrow.recordCarrierEvent({ carrierId, shipmentId, status: body.status })),
    }));
  });

  return router;
}
