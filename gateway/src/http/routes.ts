import { NotFoundError, parseId, ValidationError } from '@coinstile/core';
import { type Request, Router } from 'express';
import type { ApiKeyService } from '../auth/api-keys';
import { principalOf, requireOperator, requireStoreScope } from '../auth/principal';
import type { CheckoutService } from '../checkouts/checkout-service';
import type { StoreService } from '../stores/store-service';
import { storeView } from '../stores/store-view';
import {
  createApiKeySchema,
  createCheckoutSchema,
  createStoreSchema,
  listCheckoutsQuerySchema,
  listStoresQuerySchema,
  storePolicyInputSchema,
} from './schemas';
import { payoutTermsInputSchema } from '../stores/payout-terms';
import { validate } from './validate';

/** `Idempotency-Key`: printable ASCII, 1 to 255 characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1 to 255 printable ASCII characters', { header: 'Idempotency-Key' }, 'invalid_idempotency_key');
  }
  return key;
}

/** A list's `limit` query parameter: 1 to 100, default 20. */
export function pageLimit(text: string | undefined): number {
  if (text === undefined) return 20;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new ValidationError('limit must be an integer from 1 to 100', { field: 'limit' });
  return limit;
}

/** The operator's store management (and a store's read of itself). */
export function storesRouter(stores: StoreService, apiKeys: ApiKeyService): Router {
  const router = Router();

  router.post('/v1/stores', async (req, res) => {
    requireOperator(res);
    const body = validate(createStoreSchema, req.body, 'body');
    res.status(201).json(storeView(await stores.create(body)));
  });

  router.get('/v1/stores', async (req, res) => {
    requireOperator(res);
    const query = validate(listStoresQuerySchema, req.query, 'query');
    const page = await stores.list(pageLimit(query.limit), query.cursor);
    res.json({ data: page.data.map(storeView), nextCursor: page.nextCursor });
  });

  router.get('/v1/stores/:id', async (req, res) => {
    const principal = principalOf(res);
    const id = parseId('st', req.params['id']);
    // A store key reads its own store only; any other store does not exist for it.
    if (principal.kind === 'store' && principal.storeId !== id) throw new NotFoundError('store', id);
    res.json(storeView(await stores.get(id)));
  });

  router.patch('/v1/stores/:id/policy', async (req, res) => {
    requireOperator(res);
    const body = validate(storePolicyInputSchema, req.body, 'body');
    res.json(storeView(await stores.updatePolicy(String(req.params['id']), body)));
  });

  router.patch('/v1/stores/:id/payout-terms', async (req, res) => {
    requireOperator(res);
    const body = validate(payoutTermsInputSchema, req.body, 'body');
    res.json(storeView(await stores.updatePayoutTerms(String(req.params['id']), body)));
  });

  router.post('/v1/stores/:id/verify', async (req, res) => {
    requireOperator(res);
    res.json(storeView(await stores.verify(String(req.params['id']))));
  });

  router.post('/v1/stores/:id/suspend', async (req, res) => {
    requireOperator(res);
    res.json(storeView(await stores.suspend(String(req.params['id']))));
  });

  router.post('/v1/stores/:id/api-keys', async (req, res) => {
    requireOperator(res);
    const body = validate(createApiKeySchema, req.body, 'body');
    const store = await stores.get(String(req.params['id']));
    const { key, view } = await apiKeys.create(store.id, body.scopes);
    // The only response that ever contains the key.
    res.status(201).json({ ...view, key });
  });

  router.get('/v1/stores/:id/api-keys', async (req, res) => {
    requireOperator(res);
    const store = await stores.get(String(req.params['id']));
    res.json({ data: await apiKeys.list(store.id), nextCursor: null });
  });

  router.delete('/v1/stores/:id/api-keys/:keyId', async (req, res) => {
    requireOperator(res);
    const store = await stores.get(String(req.params['id']));
    res.json(await apiKeys.revoke(store.id, String(req.params['keyId'])));
  });

  return router;
}

/** A store's checkouts, through its API keys. */
export function checkoutsRouter(checkouts: CheckoutService): Router {
  const router = Router();

  router.post('/v1/checkouts', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'checkouts:write');
    const idempotencyKey = idempotencyKeyOf(req);
    const body = validate(createCheckoutSchema, req.body, 'body');
    const result = await checkouts.create(storeId, body, idempotencyKey);
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    // What res.json would send, without serializing the body a second time.
    if (result.bodyJson !== undefined) res.status(result.status).type('application/json').send(result.bodyJson);
    else res.status(result.status).json(result.body);
  });

  router.get('/v1/checkouts', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'checkouts:read');
    const query = validate(listCheckoutsQuerySchema, req.query, 'query');
    res.json(
      await checkouts.list(storeId, {
        limit: pageLimit(query.limit),
        ...(query.status !== undefined ? { status: query.status } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      }),
    );
  });

  router.get('/v1/checkouts/:id', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'checkouts:read');
    res.json(await checkouts.get(storeId, String(req.params['id'])));
  });

  router.post('/v1/checkouts/:id/cancel', async (req, res) => {
    const { storeId } = requireStoreScope(res, 'checkouts:write');
    res.json(await checkouts.cancel(storeId, String(req.params['id'])));
  });

  return router;
}
