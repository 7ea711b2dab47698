import { parseId, RateLimitedError } from '@coinstile/core';
import { createFxRouter } from '@coinstile/fx-oracle';
import { type Config, healthRouter, jsonErrorHandler, jsonNotFoundHandler, requestIdMiddleware, type ServiceRuntime } from '@coinstile/platform';
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Router } from 'express';
import { authenticate } from './auth/authenticate';
import { principalOf, principalOfRequest, requireOperator } from './auth/principal';
import type { CheckoutService } from './checkouts/checkout-service';
import { qrRouter } from './checkouts/qr-router';
import type { GatewayServices } from './gateway-services';
import type { StoreService } from './stores/store-service';
import type { VoucherService } from './vouchers/voucher-service';
import { checkoutsRouter, storesRouter } from './http/routes';
import { securityHeaders } from './http/security-headers';
import { docsRouter } from './openapi/docs-router';

/** The parts of the runtime the HTTP face uses, and the application services it serves. */
export type GatewayDeps = Pick<ServiceRuntime, 'config' | 'logger' | 'metrics' | 'lifecycle' | 'readinessChecks'> & {
  readonly services: GatewayServices;
};

/** What the hosted checkout page (`gateway/src/pages`) gets to build its router from. */
export interface HostedPageDeps {
  readonly checkouts: CheckoutService;
  /** Stores with their short-lived cache (a `HostedStoreDirectory`). */
  readonly stores: StoreService;
  readonly config: Config;
  /** Per-IP request budget; public routes put it first. */
  readonly ipLimit: RequestHandler;
  /** Voucher PINs applied from the page (absent: the page offers no voucher form). */
  readonly vouchers?: VoucherService;
}

/** Builds the hosted checkout page's router (`/pay/{id}` and its assets, SSE, asset choice, requote). */
export type HostedPageRouterFactory = (deps: HostedPageDeps) => Router;

/** Builds a router of authenticated API routes (e.g. webhooks); handlers read the caller with `principalOf(res)`. */
export type ApiRouterFactory = (services: GatewayServices) => Router;

export interface GatewayAppOptions {
  /** Routers of other services mounted at the root, before authentication, when they run in this process. */
  readonly routers?: readonly Router[];
  /** More `/v1` routes, mounted after authentication and rate limiting (the caller is in `res.locals`). */
  readonly apiRouters?: readonly ApiRouterFactory[];
  /** The hosted checkout page, mounted before the authenticated API (it is public). */
  readonly hostedPages?: HostedPageRouterFactory;
}

/** A request body larger than this is refused with 413 before it is parsed. */
export const REQUEST_BODY_LIMIT = '100kb';

/**
 * The gateway's HTTP application: security headers, request ids, metrics, health (`/healthz`, `/readyz`,
 * `/metrics`), `/openapi.json` and `/docs`, the public hosted page and QR codes (rate limited per IP), then
 * the authenticated API (`/v1`: stores, API keys, checkouts, rates and quotes; rate limited per key), and
 * JSON errors in the API's shape for everything that goes wrong.
 */
export function createGatewayApp(deps: GatewayDeps, opts: GatewayAppOptions = {}): Express {
  const { services } = deps;
  const app = express();
  app.disable('x-powered-by');
  // API responses are not cached by validators; hashing every body for an ETag is wasted work.
  app.set('etag', false);
  app.set('trust proxy', 'loopback');
  app.use(securityHeaders());
  app.use(requestIdMiddleware());
  app.use(deps.metrics.httpMetricsMiddleware);
  app.use(healthRouter({ checks: deps.readinessChecks, lifecycle: deps.lifecycle, registry: deps.metrics.registry }));

  const ipLimit: RequestHandler = async (req, _res, next) => {
    await services.limiter.consume('ip', req.ip ?? 'unknown');
    next();
  };
  app.use(['/openapi.json', '/docs'], ipLimit);
  app.use(docsRouter(deps.config.publicUrl));
  app.use(express.json({ limit: REQUEST_BODY_LIMIT, strict: true }));
  app.use(qrRouter(services.checkouts, ipLimit));
  if (opts.hostedPages) app.use(opts.hostedPages({ checkouts: services.checkouts, stores: services.stores, config: deps.config, ipLimit, vouchers: services.vouchers }));
  for (const router of opts.routers ?? []) app.use(router);

  app.use('/v1', authenticate({ apiKeys: services.apiKeys, operator: services.operatorAuth, limiter: services.limiter, carrierKeys: services.escrow.carrierKeys }));
  app.use(storesRouter(services.stores, services.apiKeys));
  app.use(checkoutsRouter(services.checkouts));
  for (const factory of opts.apiRouters ?? []) app.use(factory(services));
  // The FX router looks quotes up by the raw id: a malformed one is refused here, as every other id is.
  app.get('/v1/quotes/:id', (req, _res, next) => {
    parseId('qt', req.params['id']);
    next();
  });
  app.use(
    createFxRouter({
      rates: services.fx.rates,
      quotes: services.fx.quotes,
      auth: (_req, res, next) => {
        principalOf(res);
        next();
      },
      operatorAuth: (_req, res, next) => {
        requireOperator(res);
        next();
      },
      canReadQuote: (req, quote) => {
        const principal = principalOfRequest(req);
        return principal?.kind === 'operator' || (principal?.kind === 'store' && principal.storeId === quote.storeId);
      },
    }),
  );
  app.get('/', (_req, res) => {
    res
      .type('text/plain')
      .send(`Coinstile is running.\nAPI: ${deps.config.publicUrl}/v1\nDocs: ${deps.config.publicUrl}/docs\nHealth: ${deps.config.publicUrl}/readyz\n`);
  });
  app.use(jsonNotFoundHandler());
  app.use(retryAfterHeader);
  app.use(jsonErrorHandler(deps.logger));
  return app;
}

/** 429s tell the client when to come back. */
const retryAfterHeader: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  if (err instanceof RateLimitedError && !res.headersSent) res.setHeader('Retry-After', String(err.retryAfterSeconds));
  next(err);
};
