import { Router } from 'express';
import { z } from 'zod';
import { requireStoreScope } from '../auth/principal';
import { pageLimit } from '../http/routes';
import { validate } from '../http/validate';
import type { PayoutReader } from './payout-reader';

export const PAYOUT_STATUSES = ['reserved', 'scheduled', 'sent', 'paid', 'failed', 'returned', 'refunded'] as const;

export const listPayoutsQuerySchema = z.strictObject({
  status: z.enum(PAYOUT_STATUSES).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.string().regex(/^[0-9]{1,3}$/).optional().describe('1 to 100, default 20'),
});

/** `GET /v1/payouts` and `GET /v1/payouts/{id}`: a store's own payouts (scope `payouts:read`). */
export function createPayoutsRouter(payouts: PayoutReader): Router {
  const router = Router();
  router.get('/v1/payouts', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'payouts:read');
    const query = validate(listPayoutsQuerySchema, req.query, 'query');
    res.json(
      await payouts.list(storeId, {
        limit: pageLimit(query.limit),
        ...(query.status !== undefined ? { status: query.status } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      }),
    );
  });
  router.get('/v1/payouts/:id', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'payouts:read');
    res.json(await payouts.get(storeId, String(req.params['id'])));
  });
  return router;
}
