import { errorResponses, idParam, type OpenApiFragment, queryParameters, STORE_KEY_SECURITY } from '../openapi/openapi-fragment';
import { listPayoutsQuerySchema } from './payouts-router';

export const PAYOUTS_OPENAPI: OpenApiFragment = {
  paths: {
    '/v1/payouts': {
      get: {
        summary: "The store's payouts, newest first (scope payouts:read): net amount, fee, status and its times",
        security: STORE_KEY_SECURITY,
        parameters: queryParameters(listPayoutsQuerySchema),
        responses: { '200': { description: 'A page: data and nextCursor' }, ...errorResponses('400', '401', '403', '429') },
      },
    },
    '/v1/payouts/{id}': {
      get: {
        summary: 'A payout of the store (scope payouts:read)',
        security: STORE_KEY_SECURITY,
        parameters: [idParam('id', 'po')],
        responses: { '200': { description: 'The payout' }, ...errorResponses('400', '401', '403', '404', '429') },
      },
    },
  },
};
