export {
  type ApiRouterFactory,
  createGatewayApp,
  type GatewayAppOptions,
  type GatewayDeps,
  type HostedPageDeps,
  type HostedPageRouterFactory,
  REQUEST_BODY_LIMIT,
} from './app';
export { startGateway, type RunningGateway, type StartGatewayOptions } from './main';
export { createGatewayServices, type GatewayServices, type GatewayServicesOptions } from './gateway-services';
export { ensureOperatorToken, hashOperatorToken, type OperatorTokenBootstrap } from './auth/operator-token';
export { ApiKeyService, hashApiKey, type ApiKeyView } from './auth/api-keys';
export { type Principal, principalOf, principalOfRequest, requireOperator, requireStoreScope } from './auth/principal';
export { CheckoutService, IdempotencyKeyInUseError, QuoteNotRenewableError, type CreateCheckoutResult } from './checkouts/checkout-service';
export { checkoutView, paymentUri, type CheckoutView, type PaymentView, type PaymentUriConfig } from './checkouts/checkout-view';
export { StoreService, AssetNotConfiguredError, StoreTransitionError, WalletInUseError } from './stores/store-service';
export { type Store, type StoreStatus, type GatewayStorePolicy, type StoredPolicyJson, policyFromJson, policyToJson } from './stores/store';
export { RateLimiter, DEFAULT_RATE_LIMITS, type RateLimits, type RateLimitBucket } from './rate-limit/rate-limiter';
export { openApiDocument } from './openapi/openapi-document';
export { API_KEY_SCOPES, type ApiKeyScope } from './http/schemas';
export { type FxComponents } from './fx/fx-components';
export { startWebhookDelivery, createWebhooksRouter, verifyWebhookSignature, signWebhookPayload, SIGNATURE_HEADER } from './webhooks';
export { createReceiptsRouter, createReceiptsApiRouter } from './receipts';
export { portalFor, StoreUserService, type PortalForGatewayOptions, type PortalShipments } from './portal';
export * from './shopper-accounts';
export * from './escrow';
export * from './vouchers';
export * from './payouts';
