import type { ServiceRuntime } from '@coinstile/platform';
import { Router } from 'express';
import type { GatewayServices } from '../gateway-services';
import { createDashboardRouter, type DashboardDeps, type DashboardPayoutActions } from './dashboard-router';

export interface DashboardForGatewayOptions extends Partial<Pick<DashboardDeps, 'queueNames' | 'sampleIntervalMs'>> {
  /** The payout operator (merchant-payouts' `PayoutOperator`) when payouts run in this process. */
  readonly payoutActions?: DashboardPayoutActions;
  /** Default `/dashboard`. */
  readonly basePath?: string;
}

/**
 * The dashboard wired to a running gateway's services (operator tokens, the per-IP budget for failed
 * sign-ins, FX source health), as a router to mount at the root: pass it in `startGateway`'s `routers`.
 */
export function dashboardFor(runtime: ServiceRuntime, services: GatewayServices, opts: DashboardForGatewayOptions = {}): Router {
  const basePath = opts.basePath ?? '/dashboard';
  const dashboard = createDashboardRouter({
    ...runtime,
    operatorAuth: services.operatorAuth,
    limiter: services.limiter,
    fxStatus: () => services.fx.rates.sourceStatuses(),
    basePath,
    ...(opts.payoutActions ? { payoutActions: opts.payoutActions } : {}),
    ...(opts.queueNames ? { queueNames: opts.queueNames } : {}),
    ...(opts.sampleIntervalMs === undefined ? {} : { sampleIntervalMs: opts.sampleIntervalMs }),
  });
  return Router().use(basePath, dashboard);
}
