import { z } from 'zod';
import { errorResponses, idParam, jsonContent, OPERATOR_SECURITY, type OpenApiFragment, queryParameters } from '../openapi/openapi-fragment';
import {
  createShopperAccountSchema,
  createTopUpSchema,
  payCheckoutSchema,
  listShopperAccountsQuerySchema,
  setCreditLevelSchema,
  setShopperAccountStatusSchema,
  shopperStatementSchema,
} from './shopper-account-schemas';

const amount = z.string().describe('Decimal string in the account currency');

const shopperAccountSchema = z.object({
  id: z.string(),
  label: z.string(),
  currency: z.string(),
  status: z.enum(['active', 'frozen', 'closed']),
  balance: amount.describe('Signed: negative while the overdraft is in use'),
  creditLevel: amount.describe('The overdraft allowed'),
  spendable: amount.describe('Balance plus the allowed overdraft (0 unless active)'),
  overdraft: amount.describe('The overdraft in use'),
  topUpStoreId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const historyPageSchema = z.object({
  data: z.array(
    z.object({
      postingId: z.string(),
      reason: z.enum(['over_payment', 'top_up', 'refund', 'checkout_spend', 'spend_returned']),
      amount: amount.describe('Signed from the shopper side: positive credits the balance'),
      balanceAfter: amount.describe('The balance right after this movement'),
      overdraftRepaid: amount.describe('The part of a credit that paid back the overdraft first ("0" for spends)'),
      checkoutId: z.string().nullable(),
      occurredAt: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

const accountId = idParam('id', 'acct');

/** The shopper accounts' share of `/openapi.json`. */
export const shopperAccountsOpenApi: OpenApiFragment = {
  components: {
    CreateShopperAccountRequest: createShopperAccountSchema,
    SetCreditLevelRequest: setCreditLevelSchema,
    SetShopperAccountStatusRequest: setShopperAccountStatusSchema,
    ShopperStatementRequest: shopperStatementSchema,
    CreateTopUpRequest: createTopUpSchema,
    PayWithBalanceRequest: payCheckoutSchema,
    BalancePayment: z.object({ paid: amount.describe('What the balance paid (the rest stays due in crypto)'), checkout: z.looseObject({}).describe('The checkout after it (see Checkout)') }),
    ShopperAccount: shopperAccountSchema,
    CreatedShopperAccount: shopperAccountSchema.extend({ accessCode: z.string().describe('Shown once: give it to the shopper') }),
    ShopperAccountList: z.object({ data: z.array(shopperAccountSchema), nextCursor: z.string().nullable() }),
    ShopperBalanceHistory: historyPageSchema,
    ShopperStatement: shopperAccountSchema.extend({ history: historyPageSchema }),
  },
  paths: {
    '/v1/shopper-accounts': {
      post: {
        summary: 'Create a shopper account (operator); the access code is returned once',
        security: OPERATOR_SECURITY,
        requestBody: { required: true, content: jsonContent('CreateShopperAccountRequest') },
        responses: { '201': { description: 'Created', content: jsonContent('CreatedShopperAccount') }, ...errorResponses('400', '401', '403', '404', '413', '429') },
      },
      get: {
        summary: 'List shopper accounts, newest first (operator)',
        security: OPERATOR_SECURITY,
        parameters: queryParameters(listShopperAccountsQuerySchema),
        responses: { '200': { description: 'A page', content: jsonContent('ShopperAccountList') }, ...errorResponses('400', '401', '403', '429') },
      },
    },
    '/v1/shopper-accounts/{id}': {
      get: {
        summary: 'A shopper account with its balance (operator)',
        security: OPERATOR_SECURITY,
        parameters: [accountId],
        responses: { '200': { description: 'The account', content: jsonContent('ShopperAccount') }, ...errorResponses('400', '401', '403', '404', '429') },
      },
    },
    '/v1/shopper-accounts/{id}/history': {
      get: {
        summary: "The balance's movements, newest first (operator)",
        security: OPERATOR_SECURITY,
        parameters: [accountId, ...queryParameters(listShopperAccountsQuerySchema)],
        responses: { '200': { description: 'A page', content: jsonContent('ShopperBalanceHistory') }, ...errorResponses('400', '401', '403', '404', '429') },
      },
    },
    '/v1/shopper-accounts/{id}/credit-level': {
      patch: {
        summary: 'Set the credit level, the overdraft allowed (operator); announces shopper.credit_level_changed',
        security: OPERATOR_SECURITY,
        parameters: [accountId],
        requestBody: { required: true, content: jsonContent('SetCreditLevelRequest') },
        responses: { '200': { description: 'The account', content: jsonContent('ShopperAccount') }, ...errorResponses('400', '401', '403', '404', '413', '429') },
      },
    },
    '/v1/shopper-accounts/{id}/status': {
      patch: {
        summary: 'Freeze, reactivate or close an account (operator); closing needs a zero balance',
        security: OPERATOR_SECURITY,
        parameters: [accountId],
        requestBody: { required: true, content: jsonContent('SetShopperAccountStatusRequest') },
        responses: { '200': { description: 'The account', content: jsonContent('ShopperAccount') }, ...errorResponses('400', '401', '403', '404', '413', '422', '429') },
      },
    },
    '/v1/shopper-accounts/{id}/statement': {
      post: {
        summary: "The shopper's balance and history (public, with the access code; rate limited per IP)",
        security: [],
        parameters: [accountId],
        requestBody: { required: true, content: jsonContent('ShopperStatementRequest') },
        responses: { '200': { description: 'The statement', content: jsonContent('ShopperStatement') }, ...errorResponses('400', '401', '413', '429') },
      },
    },
    '/v1/shopper-accounts/{id}/payments': {
      post: {
        summary: 'Pay a checkout from the balance (public, with the access code): balance plus credit level, up to what is still due; the rest stays due in crypto',
        security: [],
        parameters: [accountId],
        requestBody: { required: true, content: jsonContent('PayWithBalanceRequest') },
        responses: { '200': { description: 'The amount paid and the checkout', content: jsonContent('BalancePayment') }, ...errorResponses('400', '401', '404', '413', '422', '429') },
      },
    },
    '/v1/shopper-accounts/{id}/top-ups': {
      post: {
        summary: "Top up the balance with crypto (public, with the access code): a checkout at the account's top-up store; settled, its value is credited (overdraft repaid first)",
        security: [],
        parameters: [accountId],
        requestBody: { required: true, content: jsonContent('CreateTopUpRequest') },
        responses: {
          '201': { description: 'The top-up checkout', content: jsonContent('Checkout') },
          '503': { description: 'No fresh exchange rate (rates_unavailable)', content: jsonContent('Error') },
          ...errorResponses('400', '401', '404', '413', '422', '429'),
        },
      },
    },
  },
};
