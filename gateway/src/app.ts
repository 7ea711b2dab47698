import { healthRouter, jsonErrorHandler, jsonNotFoundHandler, requestIdMiddleware, type ServiceRuntime } from '@coinstile/platform';
import express, { type Express, type Router } from 'express';

/** The parts of the runtime the HTTP face uses; tests mount the app on a runtime of their own. */
export type GatewayDeps = Pick<ServiceRuntime, 'config' | 'logger' | 'metrics' | 'lifecycle' | 'readinessChecks'>;

export interface GatewayAppOptions {
  /** Routers of other services mounted at the root when they run in this process (e.g. the FX routes). */
  readonly routers?: readonly Router[];
}

/** A request body larger than this is refused with 413 before it is parsed. */
export const REQUEST_BODY_LIMIT = '100kb';

/**
 * The gateway's HTTP application: request ids, metrics, health (`/healthz`, `/readyz`, `/metrics`), the
 * mounted service routers, and JSON errors in the API's shape for everything that goes wrong.
 */
export function createGatewayApp(deps: GatewayDeps, opts: GatewayAppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestIdMiddleware());
  app.use(deps.metrics.httpMetricsMiddleware);
  app.use(healthRouter({ checks: deps.readinessChecks, lifecycle: deps.lifecycle, registry: deps.metrics.registry }));
  app.use(express.json({ limit: REQUEST_BODY_LIMIT, strict: true }));
  for (const router of opts.routers ?? []) app.use(router);
  app.get('/', (_req, res) => {
    res.type('text/plain').send(`Coinstile is running.\nAPI: ${deps.config.publicUrl}/v1\nHealth: ${deps.config.publicUrl}/readyz\n`);
  });
  app.use(jsonNotFoundHandler());
  app.use(jsonErrorHandler(deps.logger));
  return app;
}
