import { errorResponses, idParam, jsonContent, OPERATOR_SECURITY, type OpenApiFragment, queryParameters, STORE_KEY_SECURITY } from '../openapi/openapi-fragment';
import {
  cancelOrderSchema,
  createCarrierSchema,
  listDisputesQuerySchema,
  listHoldsQuerySchema,
  listRefundsQuerySchema,
  listShipmentsQuerySchema,
  markRefundSentSchema,
  registerShipmentSchema,
  resolveDisputeSchema,
  shipmentEventSchema,
} from './escrow-schemas';

const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 255 } };
const ok = (description: string) => ({ '200': { description } });

/** Escrow until acceptance, carriers and shipments, disputes and refunds (docs/escrow.md). */
export const ESCROW_OPENAPI: OpenApiFragment = {
  components: {
    CreateCarrierRequest: createCarrierSchema,
    RegisterShipmentRequest: registerShipmentSchema,
    ShipmentEventRequest: shipmentEventSchema,
    CancelOrderRequest: cancelOrderSchema,
    ResolveDisputeRequest: resolveDisputeSchema,
    MarkRefundSentRequest: markRefundSentSchema,
  },
  paths: {
    '/v1/carriers': {
      post: {
        summary: 'Register a carrier (operator)',
        security: OPERATOR_SECURITY,
        requestBody: { required: true, content: jsonContent('CreateCarrierRequest') },
        responses: { '201': { description: 'The carrier' }, ...errorResponses('400', '401', '403', '409', '413', '429') },
      },
      get: { summary: 'The registered carriers (any credential: stores pick their shipments\' carrier here)', security: [...OPERATOR_SECURITY, ...STORE_KEY_SECURITY], responses: { ...ok('Carriers'), ...errorResponses('401', '429') } },
    },
    '/v1/carriers/{id}/api-keys': {
      post: {
        summary: 'A carrier API key with the shipments scope (operator); the key is shown once',
        security: OPERATOR_SECURITY,
        parameters: [idParam('id', 'car')],
        responses: { '201': { description: 'The key' }, ...errorResponses('400', '401', '403', '404', '429') },
      },
    },
    '/v1/carriers/{id}/api-keys/{keyId}': {
      delete: {
        summary: 'Revoke a carrier API key (operator)',
        security: OPERATOR_SECURITY,
        parameters: [idParam('id', 'car'), idParam('keyId', 'key')],
        responses: { ...ok('The revoked key'), ...errorResponses('400', '401', '403', '404', '429') },
      },
    },
    '/v1/escrow-holds': {
      get: {
        summary: 'Escrow holds, newest first (operator)',
        security: OPERATOR_SECURITY,
        parameters: queryParameters(listHoldsQuerySchema),
        responses: { ...ok('Holds'), ...errorResponses('400', '401', '403', '429') },
      },
    },
    '/v1/disputes': {
      get: {
        summary: 'Disputes, newest first (operator)',
        security: OPERATOR_SECURITY,
        parameters: queryParameters(listDisputesQuerySchema),
        responses: { ...ok('Disputes'), ...errorResponses('400', '401', '403', '429') },
      },
    },
    '/v1/disputes/{id}/resolve': {
      post: {
        summary: 'Resolve a dispute: release to the store, refund in full, or refund part (operator)',
        security: OPERATOR_SECURITY,
        parameters: [idParam('id', 'dsp'), idempotencyKey],
        requestBody: { required: true, content: jsonContent('ResolveDisputeRequest') },
        responses: { ...ok('The resolved dispute'), ...errorResponses('400', '401', '403', '404', '409', '413', '422', '429') },
      },
    },
    '/v1/refunds': {
      get: {
        summary: 'Refunds owed to shoppers, newest first (operator)',
        security: OPERATOR_SECURITY,
        parameters: queryParameters(listRefundsQuerySchema),
        responses: { ...ok('Refunds'), ...errorResponses('400', '401', '403', '429') },
      },
    },
    '/v1/refunds/{id}/mark-sent': {
      post: {
        summary: "Record that the refund was sent from the mall's wallet, with its txid (operator)",
        security: OPERATOR_SECURITY,
        parameters: [idParam('id', 'rf'), idempotencyKey],
        requestBody: { required: true, content: jsonContent('MarkRefundSentRequest') },
        responses: { ...ok('The refund'), ...errorResponses('400', '401', '403', '404', '409', '413', '429') },
      },
    },
    '/v1/checkouts/{id}/shipments': {
      post: {
        summary: 'Register the shipment of a released order (store key, checkouts:write)',
        security: STORE_KEY_SECURITY,
        parameters: [idParam('id', 'co'), idempotencyKey],
        requestBody: { required: true, content: jsonContent('RegisterShipmentRequest') },
        responses: { '201': { description: 'The shipment' }, ...errorResponses('400', '401', '403', '404', '409', '413', '422', '429') },
      },
    },
    '/v1/checkouts/{id}/escrow': {
      get: {
        summary: "The order's escrow hold, with the shopper's signed acceptUrl (store key, checkouts:read)",
        security: STORE_KEY_SECURITY,
        parameters: [idParam('id', 'co')],
        responses: { ...ok('The hold'), ...errorResponses('400', '401', '403', '404', '422', '429') },
      },
    },
    '/v1/checkouts/{id}/cancel-order': {
      post: {
        summary: 'Cancel an escrowed order before acceptance: the shopper is refunded in full (store key, checkouts:write)',
        security: STORE_KEY_SECURITY,
        parameters: [idParam('id', 'co'), idempotencyKey],
        requestBody: { required: true, content: jsonContent('CancelOrderRequest') },
        responses: { ...ok('The cancelled hold'), ...errorResponses('400', '401', '403', '404', '409', '413', '422', '429') },
      },
    },
    '/v1/shipments': {
      get: {
        summary: "The store's shipments, newest first (store key, checkouts:read)",
        security: STORE_KEY_SECURITY,
        parameters: queryParameters(listShipmentsQuerySchema),
        responses: { ...ok('Shipments'), ...errorResponses('400', '401', '403', '429') },
      },
    },
    '/v1/shipments/{id}/events': {
      post: {
        summary: "A carrier reports on its shipment: in_transit or delivered (carrier key, shipments scope)",
        security: STORE_KEY_SECURITY,
        parameters: [idParam('id', 'shp'), idempotencyKey],
        requestBody: { required: true, content: jsonContent('ShipmentEventRequest') },
        responses: { '201': { description: 'The shipment' }, ...errorResponses('400', '401', '403', '404', '409', '413', '422', '429') },
      },
    },
  },
};
