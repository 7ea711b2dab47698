import type { ServiceRuntime } from '@coinstile/platform';
import type { Router } from 'express';
import type { GatewayServices } from '../gateway-services';
import { refundChecksFor, shopperEscrowPagesRouter } from './shopper-escrow-pages';

export { createEscrowRouter, type EscrowRouterDeps } from './escrow-router';
export { ESCROW_OPENAPI } from './escrow-openapi';
export { CarrierKeyService, CARRIER_KEY_PREFIX, CARRIER_SCOPES, type CarrierScope, type CarrierKeyIdentity, type CarrierKeyView } from './carrier-keys';
export { gatewayEscrow, type GatewayEscrow } from './gateway-escrow';
export { refundChecksFor, shopperEscrowPagesRouter, SHOPPER_PAGE_CSP, type ShopperEscrowPagesDeps } from './shopper-escrow-pages';

/** The shopper's escrow and refund pages as the gateway mounts them (public, rate limited per IP). */
export function escrowPagesFor(runtime: ServiceRuntime, services: GatewayServices): Router {
  return shopperEscrowPagesRouter({
    escrow: services.escrow,
    refundChecks: refundChecksFor(runtime.config, services.fx.rates),
    publicUrl: runtime.config.publicUrl,
    ipLimit: (req, _res, next) => void services.limiter.consume('ip', req.ip ?? 'unknown').then(() => next(), next),
    logger: runtime.logger,
  });
}
