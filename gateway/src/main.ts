import { once } from 'node:events';
import type { Server } from 'node:http';
import { httpServerComponent, type ServiceRuntime } from '@coinstile/platform';
import type { Router } from 'express';
import { createGatewayApp } from './app';
import { ensureOperatorToken, type OperatorTokenBootstrap } from './auth/operator-token';

export interface RunningGateway {
  readonly server: Server;
  /** The local address it listens on, e.g. `http://127.0.0.1:8080`. */
  readonly listenUrl: string;
  readonly operatorToken: OperatorTokenBootstrap;
}

export interface StartGatewayOptions {
  /** Routers of the other services running in this process. */
  readonly routers?: readonly Router[];
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
  const app = createGatewayApp(runtime, { ...(opts.routers ? { routers: opts.routers } : {}) });
  const server = app.listen(opts.port ?? runtime.config.port);
  await once(server, 'listening');
  runtime.lifecycle.register(httpServerComponent(server));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : runtime.config.port;
  return { server, listenUrl: `http://127.0.0.1:${port}`, operatorToken };
}
