export { createWebhooksRouter, type StoreScopeGuard, type WebhooksRouterDeps } from './webhooks-router';
export { startWebhookDelivery, type RunningWebhookDelivery, type StartWebhookDeliveryOptions } from './start-webhook-delivery';
export { WebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher';
export { WebhookStore, webhookBody, type ClaimedDelivery } from './webhook-store';
export { DEFAULT_DELIVERY_POLICY, retryDelayMs, type DeliveryPolicy } from './delivery-policy';
export { sendWebhook, WebhookConnectionPool, RESPONSE_BODY_LIMIT, type WebhookAttemptResult, type WebhookRequest } from './webhook-sender';
export {
  checkWebhookSignature,
  signWebhookPayload,
  verifyWebhookSignature,
  SIGNATURE_HEADER,
  type SignatureCheck,
  type VerifyWebhookSignatureOptions,
} from './webhook-signature';
export {
  ForbiddenWebhookTargetError,
  isForbiddenAddress,
  parseWebhookUrl,
  resolveAllowedAddresses,
  systemResolver,
  type HostResolver,
  type SsrfPolicy,
} from './ssrf-guard';
export type { WebhookAttemptView, WebhookDeliveryView, WebhookEndpointView } from './webhook-views';
