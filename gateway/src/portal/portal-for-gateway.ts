import { closeableComponent, type ServiceRuntime } from '@coinstile/platform';
import { Router } from 'express';
import type { ApiRouterFactory } from '../app';
import type { GatewayServices } from '../gateway-services';
import { CheckoutUpdateHub } from '../pages/checkout-update-hub';
import { FailureLockout } from '../rate-limit/failure-lockout';
import { systemResolver } from '../webhooks/ssrf-guard';
import { createPortalRouter, type PortalDeps } from './portal-router';
import type { PortalShipments } from './portal-shipments';
import { createStoreUsersApiRouter } from './store-users-api';
import { StoreUserService, type StoreUserServiceOptions } from './store-users';

export interface PortalForGatewayOptions extends Partial<Pick<PortalDeps, 'streamTiming' | 'inboxResyncMs' | 'onWebhookQueued'>> {
  /** Default `/store`. */
  readonly basePath?: string;
  /** Shipping and cancelling from the inbox; default the gateway's escrow service (`services.escrow.service`). */
  readonly shipments?: PortalShipments;
  /** Failed sign-ins allowed per account in `lockoutWindowMs` (default 5) and per client IP (default 20). */
  readonly maxFailuresPerAccount?: number;
  readonly maxFailuresPerIp?: number;
  /** Default 15 minutes. */
  readonly lockoutWindowMs?: number;
  /** Tests lower the scrypt cost; production keeps the default. */
  readonly scryptCost?: StoreUserServiceOptions['scryptCost'];
  /** How often watched checkouts' versions are polled (updates Redis lost); default 2 s. */
  readonly pollIntervalMs?: number;
}

export interface PortalForGateway {
  /** Mounted at the root (it serves `basePath`): pass it in `startGateway`'s `routers`. */
  readonly router: Router;
  /** `/v1/stores/{id}/users`: pass it in `startGateway`'s `apiRouters`. */
  readonly apiRouter: ApiRouterFactory;
  readonly users: StoreUserService;
}

/**
 * The store portal wired to a running gateway: its users in Postgres, failed sign-ins counted in Redis,
 * a checkout update hub on its own subscriber connection, the gateway's stores, API keys and escrow
 * (shipments, cancellation). The
 * lifecycle ends its live streams and closes the hub on shutdown.
 */
export function portalFor(runtime: ServiceRuntime, services: GatewayServices, opts: PortalForGatewayOptions = {}): PortalForGateway {
  const basePath = opts.basePath ?? '/store';
  const users = new StoreUserService({ db: runtime.db, clock: runtime.clock, random: runtime.random, ...(opts.scryptCost ? { scryptCost: opts.scryptCost } : {}) });
  const hub = new CheckoutUpdateHub({
    subscriber: runtime.redisConnection('worker', 'store-portal-updates'),
    db: runtime.db,
    logger: runtime.logger.child({ component: 'store-portal' }),
    pollIntervalMs: opts.pollIntervalMs ?? 2_000,
  });
  const lockoutRedis = runtime.redisConnection('producer', 'store-portal-lockout');
  const windowMs = opts.lockoutWindowMs ?? 15 * 60_000;
  const logger = runtime.logger.child({ component: 'store-portal' });
  const portal = createPortalRouter({
    db: runtime.db,
    clock: runtime.clock,
    random: runtime.random,
    logger,
    publicUrl: runtime.config.publicUrl,
    users,
    stores: services.stores,
    apiKeys: services.apiKeys,
    hub,
    lockout: {
      account: new FailureLockout(lockoutRedis, { maxFailures: opts.maxFailuresPerAccount ?? 5, windowMs, prefix: 'coinstile:portal:lockout:', logger }),
      ip: new FailureLockout(lockoutRedis, { maxFailures: opts.maxFailuresPerIp ?? 20, windowMs, prefix: 'coinstile:portal:lockout:', logger }),
    },
    ssrf: { allowPrivate: runtime.config.webhookAllowPrivate, resolver: systemResolver },
    basePath,
    shipments: opts.shipments ?? services.escrow.service,
    ...(opts.streamTiming ? { streamTiming: opts.streamTiming } : {}),
    ...(opts.inboxResyncMs === undefined ? {} : { inboxResyncMs: opts.inboxResyncMs }),
    ...(opts.onWebhookQueued ? { onWebhookQueued: opts.onWebhookQueued } : {}),
  });
  runtime.lifecycle.register(
    closeableComponent('store-portal', async () => {
      portal.close();
      await hub.close();
    }),
  );
  return {
    router: Router().use(basePath, portal.router),
    apiRouter: () => createStoreUsersApiRouter({ users, stores: services.stores, publicUrl: runtime.config.publicUrl, basePath }),
    users,
  };
}
