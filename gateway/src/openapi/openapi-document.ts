import { z } from 'zod';
import {
  chooseAssetSchema,
  cryptoAssetSchema,
  payoutAccountSchema,
  createApiKeySchema,
  createCheckoutSchema,
  createStoreSchema,
  listCheckoutsQuerySchema,
  listStoresQuerySchema,
  storePolicyInputSchema,
} from '../http/schemas';
import {
  apiKeyListSchema,
  checkoutListSchema,
  checkoutSchema,
  createdApiKeySchema,
  errorResponseSchema,
  storeListSchema,
  storeSchema,
} from './response-schemas';
import { createWebhookSchema, listWebhookDeliveriesQuerySchema } from '../webhooks/webhooks-router';
import { FEATURE_FRAGMENTS } from './openapi-features';
import { errorResponses, idParam, jsonContent, type OpenApiFragment, queryParameters } from './openapi-fragment';

const COMPONENTS = {
  CryptoAsset: cryptoAssetSchema,
  PayoutAccountInput: payoutAccountSchema,
  CreateStoreRequest: createStoreSchema,
  StorePolicyInput: storePolicyInputSchema,
  CreateApiKeyRequest: createApiKeySchema,
  CreateCheckoutRequest: createCheckoutSchema,
  ChooseAssetRequest: chooseAssetSchema,
  Error: errorResponseSchema,
  Checkout: checkoutSchema,
  CheckoutList: checkoutListSchema,
  Store: storeSchema,
  StoreList: storeListSchema,
  ApiKey: createdApiKeySchema,
  ApiKeyList: apiKeyListSchema,
  CreateWebhookRequest: createWebhookSchema,
} as const satisfies Record<string, z.ZodType>;

const json = (name: keyof typeof COMPONENTS & string) => jsonContent(name);
const errors = errorResponses;

/** The OpenAPI 3.1 document of the public API, request schemas generated from the zod schemas that validate requests. */
export function openApiDocument(publicUrl: string, fragments: readonly OpenApiFragment[] = FEATURE_FRAGMENTS): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  const components: Record<string, z.ZodType> = { ...COMPONENTS };
  for (const fragment of fragments) {
    for (const [id, schema] of Object.entries(fragment.components ?? {})) {
      if (components[id] !== undefined && components[id] !== schema) throw new Error(`OpenAPI component ${id} is defined twice`);
      components[id] = schema;
    }
  }
  for (const [id, schema] of Object.entries(components)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  for (const schema of Object.values(schemas)) {
    delete (schema as { $schema?: string }).$schema;
    delete (schema as { $id?: string }).$id;
  }
  const operator = [{ operatorToken: [] }];
  const storeKey = [{ apiKey: [] }];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Coinstile API',
      version: '1',
      description:
        'Crypto-to-fiat checkout gateway. Amounts are decimal strings; ids are prefixed; errors are {"error":{"code","message","details"}}.',
    },
    servers: [{ url: publicUrl }],
    components: {
      schemas,
      securitySchemes: {
        operatorToken: { type: 'http', scheme: 'bearer', description: 'The mall operator token' },
        apiKey: { type: 'http', scheme: 'bearer', description: 'A store API key (csk_…), scoped' },
      },
    },
    paths: withFragmentPaths(fragments, {
      '/v1/stores': {
        post: {
          summary: 'Onboard a store (pending_verification)',
          security: operator,
          requestBody: { required: true, content: json('CreateStoreRequest') },
          responses: { '201': { description: 'Created', content: json('Store') }, ...errors('400', '401', '403', '413', '422', '429') },
        },
        get: {
          summary: 'List stores',
          security: operator,
          parameters: queryParameters(listStoresQuerySchema),
          responses: { '200': { description: 'A page', content: json('StoreList') }, ...errors('400', '401', '403', '429') },
        },
      },
      '/v1/stores/{id}': {
        get: {
          summary: 'A store (the operator, or a key of that store)',
          security: [...operator, ...storeKey],
          parameters: [idParam('id', 'st')],
          responses: { '200': { description: 'The store', content: json('Store') }, ...errors('400', '401', '404', '429') },
        },
      },
      '/v1/stores/{id}/policy': {
        patch: {
          summary: "Update a store's policy (given fields replace the current ones)",
          security: operator,
          parameters: [idParam('id', 'st')],
          requestBody: { required: true, content: json('StorePolicyInput') },
          responses: { '200': { description: 'The store', content: json('Store') }, ...errors('400', '401', '403', '404', '429') },
        },
      },
      '/v1/stores/{id}/verify': {
        post: {
          summary: 'Verify a store: pending_verification (or suspended) → active',
          security: operator,
          parameters: [idParam('id', 'st')],
          responses: { '200': { description: 'The store', content: json('Store') }, ...errors('400', '401', '403', '404', '409', '429') },
        },
      },
      '/v1/stores/{id}/suspend': {
        post: {
          summary: 'Suspend a store: no new checkouts',
          security: operator,
          parameters: [idParam('id', 'st')],
          responses: { '200': { description: 'The store', content: json('Store') }, ...errors('400', '401', '403', '404', '409', '429') },
        },
      },
      '/v1/stores/{id}/api-keys': {
        post: {
          summary: 'Create an API key (the key is shown once)',
          security: operator,
          parameters: [idParam('id', 'st')],
          requestBody: { required: true, content: json('CreateApiKeyRequest') },
          responses: { '201': { description: 'The key', content: json('ApiKey') }, ...errors('400', '401', '403', '404', '429') },
        },
        get: {
          summary: "A store's API keys (prefix and last 4 only)",
          security: operator,
          parameters: [idParam('id', 'st')],
          responses: { '200': { description: 'Keys', content: json('ApiKeyList') }, ...errors('400', '401', '403', '404', '429') },
        },
      },
      '/v1/stores/{id}/api-keys/{keyId}': {
        delete: {
          summary: 'Revoke an API key',
          security: operator,
          parameters: [idParam('id', 'st'), idParam('keyId', 'key')],
          responses: { '200': { description: 'The revoked key' }, ...errors('400', '401', '403', '404', '429') },
        },
      },
      '/v1/checkouts': {
        post: {
          summary: 'Open a checkout (scope checkouts:write); honours Idempotency-Key',
          security: storeKey,
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } }],
          requestBody: { required: true, content: json('CreateCheckoutRequest') },
          responses: {
            '201': { description: 'Created (or replayed, with Idempotent-Replayed: true)', content: json('Checkout') },
            '503': { description: 'No fresh exchange rate (rates_unavailable)', content: json('Error') },
            ...errors('400', '401', '403', '409', '413', '422', '429'),
          },
        },
        get: {
          summary: "List the store's checkouts, newest first (scope checkouts:read)",
          security: storeKey,
          parameters: queryParameters(listCheckoutsQuerySchema),
          responses: { '200': { description: 'A page', content: json('CheckoutList') }, ...errors('400', '401', '403', '429') },
        },
      },
      '/v1/checkouts/{id}': {
        get: {
          summary: 'A checkout with the payments seen (scope checkouts:read)',
          security: storeKey,
          parameters: [idParam('id', 'co')],
          responses: { '200': { description: 'The checkout', content: json('Checkout') }, ...errors('400', '401', '403', '404', '429') },
        },
      },
      '/v1/checkouts/{id}/cancel': {
        post: {
          summary: 'Cancel a new, unpaid checkout (scope checkouts:write)',
          security: storeKey,
          parameters: [idParam('id', 'co')],
          responses: { '200': { description: 'The cancelled checkout', content: json('Checkout') }, ...errors('400', '401', '403', '404', '409', '422', '429') },
        },
      },
      '/v1/checkouts/{id}/qr.svg': {
        get: {
          summary: "QR code of the checkout's payment URI (public)",
          parameters: [idParam('id', 'co')],
          responses: { '200': { description: 'SVG', content: { 'image/svg+xml': {} } }, ...errors('400', '404', '429') },
        },
      },
      '/v1/checkouts/{id}/receipt': {
        get: {
          summary: "The checkout's signed receipt (compact JWS, verifiable offline against /.well-known/jwks.json); 404 until released",
          security: storeKey,
          parameters: [idParam('id', 'co')],
          responses: { '200': { description: 'The receipt: id, checkoutId, storeId, kid, jws, issuedAt' }, ...errors('400', '401', '403', '404', '429') },
        },
      },
      '/v1/webhooks': {
        post: {
          summary: 'Register a webhook endpoint (scope webhooks:write); the signing secret is shown once',
          security: storeKey,
          requestBody: { required: true, content: json('CreateWebhookRequest') },
          responses: { '201': { description: 'Created, with its secret' }, ...errors('400', '401', '403', '413', '429') },
        },
        get: {
          summary: "The store's webhook endpoints",
          security: storeKey,
          responses: { '200': { description: 'Endpoints' }, ...errors('401', '403', '429') },
        },
      },
      '/v1/webhooks/{id}': {
        get: {
          summary: 'A webhook endpoint',
          security: storeKey,
          parameters: [idParam('id', 'wh')],
          responses: { '200': { description: 'The endpoint' }, ...errors('400', '401', '403', '404', '429') },
        },
        delete: {
          summary: 'Delete a webhook endpoint (deliveries stop)',
          security: storeKey,
          parameters: [idParam('id', 'wh')],
          responses: { '200': { description: 'Deleted' }, ...errors('400', '401', '403', '404', '429') },
        },
      },
      '/v1/webhooks/{id}/enable': {
        post: {
          summary: 'Enable an endpoint disabled after persistent failure',
          security: storeKey,
          parameters: [idParam('id', 'wh')],
          responses: { '200': { description: 'Enabled' }, ...errors('400', '401', '403', '404', '429') },
        },
      },
      '/v1/webhooks/{id}/deliveries': {
        get: {
          summary: "An endpoint's deliveries, newest first",
          security: storeKey,
          parameters: [idParam('id', 'wh'), ...queryParameters(listWebhookDeliveriesQuerySchema)],
          responses: { '200': { description: 'A page of deliveries' }, ...errors('400', '401', '403', '404', '429') },
        },
      },
      '/v1/webhooks/{id}/deliveries/{deliveryId}': {
        get: {
          summary: 'A delivery with every attempt (status, latency, HTTP code, truncated body)',
          security: storeKey,
          parameters: [idParam('id', 'wh'), idParam('deliveryId', 'whd')],
          responses: { '200': { description: 'The delivery' }, ...errors('400', '401', '403', '404', '429') },
        },
      },
      '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': {
        post: {
          summary: 'Send a delivery again (same event id)',
          security: storeKey,
          parameters: [idParam('id', 'wh'), idParam('deliveryId', 'whd')],
          responses: { '202': { description: 'Queued' }, ...errors('400', '401', '403', '404', '409', '429') },
        },
      },
      '/v1/fx/sources': {
        get: {
          summary: "Each rate source's last values, their age and its circuit-breaker state (operator)",
          security: operator,
          responses: { '200': { description: 'Sources' }, ...errors('401', '403', '429') },
        },
      },
      '/v1/rates': {
        get: {
          summary: 'Current exchange rates (any credential)',
          security: [...operator, ...storeKey],
          parameters: [{ name: 'pairs', in: 'query', required: false, schema: { type: 'string', examples: ['BTC-USD,ETH-JPY'] } }],
          responses: { '200': { description: 'Rates' }, ...errors('400', '401', '429') },
        },
      },
      '/v1/quotes/{id}': {
        get: {
          summary: 'A locked quote (any credential; a store sees its own)',
          security: [...operator, ...storeKey],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'The quote' }, ...errors('401', '404', '429') },
        },
      },
    }),
  };
}

/** The core paths plus every fragment's; a path documented twice is a programming error. */
function withFragmentPaths(fragments: readonly OpenApiFragment[], core: Record<string, unknown>): Record<string, unknown> {
  const paths = { ...core };
  for (const fragment of fragments) {
    for (const [path, item] of Object.entries(fragment.paths)) {
      if (paths[path] !== undefined) throw new Error(`OpenAPI path ${path} is documented twice`);
      paths[path] = item;
    }
  }
  return paths;
}
