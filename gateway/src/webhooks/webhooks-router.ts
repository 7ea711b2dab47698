import { ValidationError, type Clock, type RandomSource, type StoreId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { parseWebhookUrl, resolveAllowedAddresses, systemResolver, type SsrfPolicy } from './ssrf-guard';
import { WebhookStore } from './webhook-store';

/**
 * The calling store for a request that needs `scope`, or a thrown 401/403 (a typed `DomainError`). The
 * gateway's `requireStoreScope(res, scope)` from `auth/principal.ts` fits as it is.
 */
export type StoreScopeGuard = (res: Response, scope: 'webhooks:write') => { readonly storeId: StoreId };

export interface WebhooksRouterDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Authenticates the request (sets the principal the guard reads); runs before every route here. */
  readonly authenticate: RequestHandler;
  readonly requireStoreScope: StoreScopeGuard;
  /** `WEBHOOK_ALLOW_PRIVATE`; default false. */
  readonly allowPrivateTargets?: boolean;
  /** Host resolution for the SSRF check; default the system resolver. */
  readonly resolver?: SsrfPolicy['resolver'];
  /** Called after a redelivery is queued, so an in-process dispatcher sends it at once. */
  readonly onRedeliver?: () => void;
}

const EVENT_TYPE = z.string().regex(/^[a-z_]+\.[a-z_]+$/).max(64);

/** `POST /v1/webhooks` body; also published in `/openapi.json`. */
export const createWebhookSchema = z.strictObject({
  url: z.string().min(1).max(2048),
  eventTypes: z.array(EVENT_TYPE).max(50).optional(),
  description: z.string().max(500).optional(),
});

/** `GET /v1/webhooks/{id}/deliveries` query; also published in `/openapi.json`. */
export const listWebhookDeliveriesQuerySchema = z.strictObject({
  status: z.enum(['pending', 'succeeded', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(200).optional(),
});

function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError('The request is invalid', {
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return result.data;
}

function param(req: Request, name: string): string {
  const value = req.params[name];
  return typeof value === 'string' ? value : '';
}

/**
 * `/v1/webhooks`: a store's endpoints (create → `{ id, secret, … }` shown once, list, get, delete,
 * re-enable) and their deliveries (list, get with every attempt, redeliver). Every route needs a store
 * API key with `webhooks:write`. Endpoint URLs are checked against the SSRF policy when created (and
 * again on every attempt by the dispatcher).
 */
export function createWebhooksRouter(deps: WebhooksRouterDeps): Router {
  const store = new WebhookStore(deps.db, deps.clock, deps.random);
  const ssrf: SsrfPolicy = { allowPrivate: deps.allowPrivateTargets ?? false, resolver: deps.resolver ?? systemResolver };
  const router = Router();
  const storeOf = (res: Response): StoreId => deps.requireStoreScope(res, 'webhooks:write').storeId;

  router.use('/v1/webhooks', deps.authenticate);

  router.post('/v1/webhooks', async (req, res) => {
    const storeId = storeOf(res);
    const input = parse(createWebhookSchema, req.body);
    const url = parseWebhookUrl(input.url);
    await resolveAllowedAddresses(url.hostname, ssrf);
    const { view, secret } = await store.createEndpoint(storeId, {
      url: url.toString(),
      eventTypes: input.eventTypes ?? [],
      description: input.description ?? '',
    });
    res.status(201).json({ ...view, secret });
  });

  router.get('/v1/webhooks', async (_req, res) => {
    res.json({ data: await store.listEndpoints(storeOf(res)), nextCursor: null });
  });

  router.get('/v1/webhooks/:id', async (req, res) => {
    res.json(await store.getEndpoint(storeOf(res), param(req, 'id')));
  });

  router.delete('/v1/webhooks/:id', async (req, res) => {
    await store.deleteEndpoint(storeOf(res), param(req, 'id'));
    res.status(204).end();
  });

  router.post('/v1/webhooks/:id/enable', async (req, res) => {
    const view = await store.enableEndpoint(storeOf(res), param(req, 'id'));
    deps.onRedeliver?.();
    res.json(view);
  });

  router.get('/v1/webhooks/:id/deliveries', async (req, res) => {
    const query = parse(listWebhookDeliveriesQuerySchema, req.query);
    res.json(await store.listDeliveries(storeOf(res), param(req, 'id'), query));
  });

  router.get('/v1/webhooks/:id/deliveries/:deliveryId', async (req, res) => {
    res.json(await store.getDelivery(storeOf(res), param(req, 'id'), param(req, 'deliveryId')));
  });

  router.post('/v1/webhooks/:id/deliveries/:deliveryId/redeliver', async (req, res) => {
    const view = await store.redeliver(storeOf(res), param(req, 'id'), param(req, 'deliveryId'));
    deps.onRedeliver?.();
    res.status(202).json(view);
  });

  return router;
}
