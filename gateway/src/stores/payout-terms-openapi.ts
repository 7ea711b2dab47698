import { errorResponses, idParam, jsonContent, OPERATOR_SECURITY, type OpenApiFragment } from '../openapi/openapi-fragment';
import { payoutTermsInputSchema } from './payout-terms';

export const PAYOUT_TERMS_OPENAPI: OpenApiFragment = {
  components: { PayoutTermsInput: payoutTermsInputSchema },
  paths: {
    '/v1/stores/{id}/payout-terms': {
      patch: {
        summary: "Set a store's payout terms: the mall's fee (percent + fixed, deducted from each payout) and the payout schedule; given fields replace the current ones",
        security: OPERATOR_SECURITY,
        parameters: [idParam('id', 'st')],
        requestBody: { required: true, content: jsonContent('PayoutTermsInput') },
        responses: { '200': { description: 'The store', content: jsonContent('Store') }, ...errorResponses('400', '401', '403', '404', '429') },
      },
    },
  },
};
