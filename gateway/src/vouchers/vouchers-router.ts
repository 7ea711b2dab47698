import { ValidationError } from '@coinstile/core';
import { type Request, type RequestHandler, Router } from 'express';
import { requireOperator, requireStoreScope } from '../auth/principal';
import type { CheckoutService } from '../checkouts/checkout-service';
import { validate } from '../http/validate';
import type { VoucherService } from './voucher-service';
import { activateVoucherSchema, applyTenderSchema, createVoucherBatchSchema, listVoucherBatchesQuerySchema, pinsCsvQuerySchema, voucherBalanceSchema } from './voucher-schemas';

const clientIp = (req: Request): string => req.ip ?? 'unknown';

function pageLimit(text: string | undefined): number {
  if (text === undefined) return 20;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new ValidationError('limit must be an integer from 1 to 100', { field: 'limit' });
  return limit;
}

/**
 * Authenticated voucher routes (mount after `/v1` authentication):
 * - operator: `POST /v1/voucher-batches` (PINs in the response, once), `GET /v1/voucher-batches[/{id}]`,
 *   `POST /v1/voucher-batches/{id}/void`, `GET /v1/voucher-batches/{id}/pins.csv?token=` (once);
 * - POS (store key with `pos`): `POST /v1/vouchers/activate`;
 * - store (`checkouts:write`): `POST /v1/checkouts/{id}/tenders` applies a PIN to its checkout.
 */
export function createVouchersApiRouter(vouchers: VoucherService, checkouts: CheckoutService, publicUrl: string): Router {
  const router = Router();

  router.post('/v1/voucher-batches', async (req, res) => {
    requireOperator(res);
    const body = validate(createVoucherBatchSchema, req.body, 'body');
    res.status(201).setHeader('Cache-Control', 'no-store');
    res.json(await vouchers.createBatch(body, publicUrl));
  });

  router.get('/v1/voucher-batches', async (req, res) => {
    requireOperator(res);
    const query = validate(listVoucherBatchesQuerySchema, req.query, 'query');
    res.json(await vouchers.listBatches(pageLimit(query.limit), query.cursor));
  });

  router.get('/v1/voucher-batches/:id', async (req, res) => {
    requireOperator(res);
    res.json(await vouchers.getBatch(String(req.params['id'])));
  });

  router.post('/v1/voucher-batches/:id/void', async (req, res) => {
    requireOperator(res);
    res.json(await vouchers.voidBatch(String(req.params['id'])));
  });

  router.get('/v1/voucher-batches/:id/pins.csv', async (req, res) => {
    requireOperator(res);
    const query = validate(pinsCsvQuerySchema, req.query, 'query');
    const csv = await vouchers.downloadPinsCsv(String(req.params['id']), query.token);
    res
      .status(200)
      .setHeader('Cache-Control', 'no-store')
      .setHeader('Content-Disposition', `attachment; filename="${String(req.params['id'])}-pins.csv"`)
      .type('text/csv')
      .send(csv);
  });

  router.post('/v1/vouchers/activate', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'pos');
    const body = validate(activateVoucherSchema, req.body, 'body');
    const result = await vouchers.activate(storeId, body.pin, body.posTransactionId, clientIp(req));
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(result.replayed ? 200 : 201).json(result.voucher);
  });

  router.post('/v1/checkouts/:id/tenders', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'checkouts:write');
    const id = String(req.params['id']);
    // Another store's checkout is not found, whatever the body.
    await checkouts.get(storeId, id);
    const body = validate(applyTenderSchema, req.body, 'body');
    await vouchers.applyToCheckout(id, body.pin, clientIp(req), storeId);
    res.status(201).json(await checkouts.get(storeId, id));
  });

  return router;
}

/** Public: `POST /v1/vouchers/balance` {pin} → status and balance; mount before `/v1` authentication. */
export function createVoucherBalanceRouter(vouchers: VoucherService, ipLimit: RequestHandler): Router {
  const router = Router();
  router.post('/v1/vouchers/balance', ipLimit, async (req, res) => {
    const body = validate(voucherBalanceSchema, req.body, 'body');
    res.setHeader('Cache-Control', 'no-store');
    res.json(await vouchers.balance(body.pin, clientIp(req)));
  });
  return router;
}
