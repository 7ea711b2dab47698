import { once } from 'node:events';
import type { Server } from 'node:http';
import { httpServerComponent, type ServiceRuntime } from '@coinstile/platform';
import type { Router } from 'express';
import { createGatewayApp, type HostedPageRouterFactory } from './app';
import { ensureOperatorToken, type OperatorTokenBootstrap } from './auth/operator-token';
import { createGatewayServices, type GatewayServices, type GatewayServicesOptions } from './gateway-services';

export interface RunningGateway {
  readonly server: Server;
  /** The local address it listens on, e.g. `http://127.0.0.1:8080`. */
  readonly listenUrl: string;
  readonly operatorToken: OperatorTokenBootstrap;
  readonly services: GatewayServices;
}

export interface StartGatewayOptions extends GatewayServicesOptions {
  /** Routers of the other services running in this process. */
  readonly routers?: readonly Router[];
  /** The hosted checkout page's router factory (`gateway/src/pages`). */
  readonly hostedPages?: HostedPageRouterFactory;
  /** Overrides `PORT` (0 picks a free port; tests use it). */
  readonly port?: number;
}

/** Composes the gateway on a runtime and starts listening; the lifecycle closes the server first on shutdown. */
export async function startGateway(runtime: ServiceRuntime, opts: StartGatewayOptions = {}): Promise<RunningGateway> {
  const operatorToken = await ensureOperatorToken(runtime.db, {
    configuredToken: runtime.config.operatorToken,
    clock: runtime.clock,
    random: runtime.random,
  });
  const services = await createGatewayServices(runtime, opts);
  const app = createGatewayApp(
    { ...runtime, services },
    { ...(opts.routers ? { routers: opts.routers } : {}), ...(opts.hostedPages ? { hostedPages: opts.hostedPages } : {}) },
  );
  const server = app.listen(opts.port ?? runtime.config.port);
  await once(server, 'listening');
  runtime.lifecycle.register(httpServerComponent(server));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : runtime.config.port;
  return { server, listenUrl: `http://127.0.0.1:${port}`, operatorToken, services };
}
