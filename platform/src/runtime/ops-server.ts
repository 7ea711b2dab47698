import { once } from 'node:events';
import type { Server } from 'node:http';
import express from 'express';
import { jsonNotFoundHandler } from '../http/error-handler';
import { listenExpress } from '../http/express-server';
import { healthRouter, type ReadinessCheck } from '../http/health-router';
import { httpServerComponent } from '../lifecycle/components';
import type { ServiceRuntime } from './service-runtime';

export interface OpsServerOptions {
  /** Default `PORT`; 0 picks a free port. */
  readonly port?: number;
  /** Readiness checks of the service itself (e.g. a chain follower's lag), beside the runtime's. */
  readonly checks?: readonly ReadinessCheck[];
}

/**
 * The HTTP port of a service that serves no API (verifier, fx, payouts run alone): `/healthz`, `/readyz`
 * and `/metrics`, so orchestrators and Prometheus treat every Coinstile process alike.
 */
export async function startOpsServer(runtime: ServiceRuntime, opts: OpsServerOptions = {}): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter({ checks: [...runtime.readinessChecks, ...(opts.checks ?? [])], lifecycle: runtime.lifecycle, registry: runtime.metrics.registry }));
  app.use(jsonNotFoundHandler());
  const server = listenExpress(app, opts.port ?? runtime.config.port);
  await once(server, 'listening');
  runtime.lifecycle.register(httpServerComponent(server, 'ops-http'));
  return server;
}
