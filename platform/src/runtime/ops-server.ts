import { once } from 'node:events';
import type { Server } from 'node:http';
import express from 'express';
import { jsonNotFoundHandler } from '../http/error-handler';
import { healthRouter } from '../http/health-router';
import { httpServerComponent } from '../lifecycle/components';
import type { ServiceRuntime } from './service-runtime';

/**
 * The HTTP port of a service that serves no API (verifier, fx, payouts run alone): `/healthz`, `/readyz`
 * and `/metrics`, so orchestrators and Prometheus treat every Coinstile process alike.
 */
export async function startOpsServer(runtime: ServiceRuntime, port = runtime.config.port): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter({ checks: runtime.readinessChecks, lifecycle: runtime.lifecycle, registry: runtime.metrics.registry }));
  app.use(jsonNotFoundHandler());
  const server = app.listen(port);
  await once(server, 'listening');
  runtime.lifecycle.register(httpServerComponent(server, 'ops-http'));
  return server;
}
