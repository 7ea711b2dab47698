import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { httpServerComponent, listenExpress, type ServiceRuntime } from '@coinstile/platform';
import type { Router } from 'express';
import { type ApiRouterFactory, createGatewayApp, type HostedPageRouterFactory } from './app';
import { ensureOperatorToken, type OperatorTokenBootstrap } from './auth/operator-token';
import { principalOf, requireStoreScope } from './auth/principal';
import { createReceiptSigner, storedReceipt } from '@coinstile/merchant-payouts';
import { dashboardFor, type DashboardForGatewayOptions } from './dashboard';
import { createReceiptsApiRouter, createReceiptsRouter } from './receipts';
import { hostedPagesFor } from './pages';
import { createPayoutsRouter, PayoutReader } from './payouts';
import { portalFor, type PortalForGatewayOptions } from './portal';
import { createWebhooksRouter } from './webhooks';
import { createEscrowRouter, escrowPagesFor } from './escrow';
import { createVoucherBalanceRouter, createVouchersApiRouter } from './vouchers';
import { startTenderReleaseSweeper } from './vouchers/tender-release-sweeper';
import { createShopperAccountsPublicRouter, createShopperAccountsRouter } from './shopper-accounts';
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
  /** More authenticated `/v1` routes (`/v1/webhooks` is always mounted). */
  readonly apiRouters?: readonly ApiRouterFactory[];
  /** The hosted checkout page's router factory; default `hostedPagesFor(runtime)` (`gateway/src/pages`). */
  readonly hostedPages?: HostedPageRouterFactory;
  /** The operator dashboard at `/dashboard` (e.g. `payoutActions` when payouts run in this process). */
  readonly dashboard?: DashboardForGatewayOptions;
  /** The store operator portal at `/store` (users, orders inbox, payouts, integration). */
  readonly portal?: PortalForGatewayOptions;
  /** Overrides `PORT` (0 picks a free port; tests use it). */
  readonly port?: number;
}

/**
 * Requests Node's HTTP parser refuses before express sees them (oversized headers, malformed request lines)
 * still get the API's JSON error shape instead of a bare status line.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (err as { code?: string }).code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'The request headers are too large']
      : [400, 'bad_request', 'The request could not be parsed'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** `/v1/webhooks` (store keys with `webhooks:write`), behind the gateway's authentication and rate limits. */
function webhooksApi(runtime: ServiceRuntime): ApiRouterFactory {
  return () =>
    createWebhooksRouter({
      db: runtime.db,
      clock: runtime.clock,
      random: runtime.random,
      // The gateway authenticated every /v1 request before this router; this only asserts it did.
      authenticate: (_req, res, next) => {
        principalOf(res);
        next();
      },
      requireStoreScope,
      allowPrivateTargets: runtime.config.webhookAllowPrivate,
    });
}

/** Composes the gateway on a runtime and starts listening; the lifecycle closes the server first on shutdown. */
export async function startGateway(runtime: ServiceRuntime, opts: StartGatewayOptions = {}): Promise<RunningGateway> {
  const operatorToken = await ensureOperatorToken(runtime.db, {
    configuredToken: runtime.config.operatorToken,
    clock: runtime.clock,
    random: runtime.random,
  });
  const services = await createGatewayServices(runtime, opts);
  // Receipts are signed where orders are released (the pipeline); every gateway publishes the keys that
  // verify them and serves each store its own receipts.
  const receipts = await createReceiptSigner({ db: runtime.db, issuer: runtime.config.publicUrl, clock: runtime.clock, random: runtime.random, logger: runtime.logger });
  const portal = portalFor(runtime, services, opts.portal ?? {});
  const app = createGatewayApp(
    { ...runtime, services },
    {
      routers: [
        dashboardFor(runtime, services, opts.dashboard ?? {}),
        createReceiptsRouter({ publishedKeys: () => receipts.keys.publishedKeys() }),
        portal.router,
        createShopperAccountsPublicRouter(services.shopperAccounts, services.limiter),
        createVoucherBalanceRouter(services.vouchers, (req, _res, next) => void services.limiter.consume('ip', req.ip ?? 'unknown').then(() => next(), next)),
        escrowPagesFor(runtime, services),
        ...(opts.routers ?? []),
      ],
      apiRouters: [webhooksApi(runtime), portal.apiRouter, () => createReceiptsApiRouter({ receiptOf: (id) => storedReceipt(runtime.db, id) }), (s) => createShopperAccountsRouter(s.shopperAccounts), (s) => createVouchersApiRouter(s.vouchers, s.checkouts, runtime.config.publicUrl), (s) => createEscrowRouter({ escrow: s.escrow, db: runtime.db }), () => createPayoutsRouter(new PayoutReader(runtime.db)), ...(opts.apiRouters ?? [])],
      hostedPages: opts.hostedPages ?? hostedPagesFor(runtime),
    },
  );
  runtime.lifecycle.register(startTenderReleaseSweeper({ tenders: services.checkouts.tenders, db: runtime.db, clock: runtime.clock, logger: runtime.logger }));
  const server = listenExpress(app, opts.port ?? runtime.config.port);
  server.on('clientError', answerClientError);
  await once(server, 'listening');
  runtime.lifecycle.register(httpServerComponent(server));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : runtime.config.port;
  return { server, listenUrl: `http://127.0.0.1:${port}`, operatorToken, services };
}
