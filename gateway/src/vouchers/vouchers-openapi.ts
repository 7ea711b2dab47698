import { z } from 'zod';
import { errorResponses, idParam, jsonContent, OPERATOR_SECURITY, type OpenApiFragment, queryParameters, STORE_KEY_SECURITY } from '../openapi/openapi-fragment';
import { activateVoucherSchema, applyTenderSchema, createVoucherBatchSchema, listVoucherBatchesQuerySchema, voucherBalanceSchema } from './voucher-schemas';

const decimal = z.string().describe('Decimal string in the major unit');
const timestamp = z.string().describe('ISO 8601');
const voucherStatus = z.enum(['issued', 'activated', 'redeemed', 'expired', 'voided']);

const voucherBatchSchema = z.object({
  id: z.string().describe('vb_…'),
  object: z.literal('voucher_batch'),
  label: z.string(),
  count: z.int(),
  faceValue: decimal,
  currency: z.string(),
  expiresAt: timestamp,
  createdAt: timestamp,
  voidedAt: timestamp.nullable(),
  statusCounts: z.record(z.string(), z.int()).describe('Vouchers per status (expiry as of now)'),
  pinsDownloadable: z.boolean().describe('True while the one-time PIN CSV can still be downloaded'),
});

const createdVoucherBatchSchema = z.object({
  batch: voucherBatchSchema,
  pins: z.array(z.object({ serial: z.int(), voucherId: z.string(), pin: z.string() })).describe('Shown in this response only'),
  pinsCsv: z.string().describe('The same PINs as CSV, for printing'),
  pinsCsvUrl: z.string().describe('One-time download of the CSV (operator token), valid until pinsCsvExpiresAt'),
  pinsCsvExpiresAt: timestamp,
});

const voucherSchema = z.object({
  id: z.string().describe('vch_…'),
  object: z.literal('voucher'),
  pinLast4: z.string(),
  status: voucherStatus,
  faceValue: decimal,
  balance: decimal,
  currency: z.string(),
  expiresAt: timestamp,
  activatedAt: timestamp.nullable(),
});

const operator = OPERATOR_SECURITY;
const storeKey = STORE_KEY_SECURITY;

/** The vouchers feature's share of `/openapi.json`. */
export const VOUCHERS_OPENAPI: OpenApiFragment = {
  components: {
    CreateVoucherBatchRequest: createVoucherBatchSchema,
    VoucherBatch: voucherBatchSchema,
    VoucherBatchList: z.object({ data: z.array(voucherBatchSchema), nextCursor: z.string().nullable() }),
    CreatedVoucherBatch: createdVoucherBatchSchema,
    Voucher: voucherSchema,
    ActivateVoucherRequest: activateVoucherSchema,
    VoucherBalanceRequest: voucherBalanceSchema,
    ApplyTenderRequest: applyTenderSchema,
  },
  paths: {
    '/v1/voucher-batches': {
      post: {
        summary: 'Issue a batch of prepaid vouchers (operator); the PINs are in this response only',
        security: operator,
        requestBody: { required: true, content: jsonContent('CreateVoucherBatchRequest') },
        responses: { '201': { description: 'The batch and its PINs', content: jsonContent('CreatedVoucherBatch') }, ...errorResponses('400', '401', '403', '413', '429') },
      },
      get: {
        summary: 'List voucher batches, newest first (operator)',
        security: operator,
        parameters: queryParameters(listVoucherBatchesQuerySchema),
        responses: { '200': { description: 'A page', content: jsonContent('VoucherBatchList') }, ...errorResponses('400', '401', '403', '429') },
      },
    },
    '/v1/voucher-batches/{id}': {
      get: {
        summary: 'A voucher batch with its vouchers counted by status (operator)',
        security: operator,
        parameters: [idParam('id', 'vb')],
        responses: { '200': { description: 'The batch', content: jsonContent('VoucherBatch') }, ...errorResponses('400', '401', '403', '404', '429') },
      },
    },
    '/v1/voucher-batches/{id}/void': {
      post: {
        summary: 'Void every voucher of the batch (operator)',
        security: operator,
        parameters: [idParam('id', 'vb')],
        responses: { '200': { description: 'The batch', content: jsonContent('VoucherBatch') }, ...errorResponses('400', '401', '403', '404', '429') },
      },
    },
    '/v1/voucher-batches/{id}/pins.csv': {
      get: {
        summary: "The batch's PINs as CSV, once, with the create response's token (operator)",
        security: operator,
        parameters: [idParam('id', 'vb'), { name: 'token', in: 'query', required: true, schema: { type: 'string', maxLength: 100 } }],
        responses: {
          '200': { description: 'The CSV (erased after this download)', content: { 'text/csv': { schema: { type: 'string' } } } },
          ...errorResponses('400', '401', '403', '404', '422', '429'),
        },
      },
    },
    '/v1/vouchers/activate': {
      post: {
        summary: "Activate a voucher at a store's POS (scope pos); idempotent per posTransactionId",
        security: storeKey,
        requestBody: { required: true, content: jsonContent('ActivateVoucherRequest') },
        responses: {
          '201': { description: 'Activated', content: jsonContent('Voucher') },
          '200': { description: 'A replay of the same POS transaction (Idempotent-Replayed: true)', content: jsonContent('Voucher') },
          ...errorResponses('400', '401', '403', '404', '409', '413', '422', '429'),
        },
      },
    },
    '/v1/vouchers/balance': {
      post: {
        summary: 'Balance inquiry by PIN (public; wrong PINs are limited per client IP)',
        security: [],
        requestBody: { required: true, content: jsonContent('VoucherBalanceRequest') },
        responses: { '200': { description: 'The voucher', content: jsonContent('Voucher') }, ...errorResponses('400', '404', '413', '429') },
      },
    },
    '/v1/checkouts/{id}/tenders': {
      post: {
        summary: 'Apply a voucher PIN to a checkout (scope checkouts:write): it pays min(balance, still due), held until the checkout settles',
        security: storeKey,
        parameters: [idParam('id', 'co')],
        requestBody: { required: true, content: jsonContent('ApplyTenderRequest') },
        responses: {
          '201': { description: 'The checkout with its tenders and the crypto due for the rest', content: jsonContent('Checkout') },
          ...errorResponses('400', '401', '403', '404', '413', '422', '429'),
        },
      },
    },
  },
};
