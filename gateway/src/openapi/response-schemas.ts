import { z } from 'zod';
import { checkoutStatusSchema, cryptoAssetSchema, speedPolicySchema } from '../http/schemas';

/**
 * Response shapes, for the OpenAPI document only (responses are built by the views, which these describe;
 * the tests check real responses against the documented required fields).
 */
const decimal = z.string().describe('Decimal string in the major unit');
const timestamp = z.string().describe('ISO 8601 instant');

export const errorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const paymentSchema = z.object({
  id: z.string(),
  txid: z.string(),
  outputIndex: z.int(),
  asset: cryptoAssetSchema,
  amount: decimal,
  confirmations: z.int(),
  state: z.enum(['pending', 'confirmed', 'orphaned', 'replaced']),
  firstSeenAt: timestamp,
});

export const checkoutSchema = z.object({
  id: z.string().describe('co_…'),
  object: z.literal('checkout'),
  storeId: z.string(),
  orderId: z.string(),
  status: checkoutStatusSchema,
  exception: z.enum(['none', 'paid_partial', 'paid_over', 'paid_late']),
  amount: decimal,
  currency: z.string(),
  assets: z.array(cryptoAssetSchema),
  escrow: z.boolean(),
  metadata: z.record(z.string(), z.unknown()),
  items: z.array(z.unknown()),
  hostedUrl: z.string(),
  createdAt: timestamp,
  expiresAt: timestamp,
  monitoringUntil: timestamp,
  settledAt: timestamp.nullable(),
  cancelledAt: timestamp.nullable(),
  amountPaid: decimal.nullable(),
  payment: z
    .object({
      asset: cryptoAssetSchema,
      address: z.string(),
      amountDue: decimal.describe('Rounded up to the base unit'),
      rate: z.string().describe('Fiat per one unit of the asset'),
      quoteId: z.string(),
      quoteExpiresAt: timestamp,
      uri: z.string().describe('BIP21 or EIP-681 payment URI'),
      qr: z.string().describe('URL of an SVG QR code of uri'),
    })
    .nullable(),
  payments: z.array(paymentSchema),
  tenders: z
    .array(
      z.object({
        kind: z.enum(['voucher', 'balance']),
        sourceId: z.string().describe('vch_… or acct_…'),
        amount: decimal,
        currency: z.string(),
        status: z.enum(['held', 'captured', 'released']),
      }),
    )
    .describe('Vouchers and shopper balance applied to the price'),
  amountTendered: decimal.describe('What the held and captured tenders pay, in currency'),
  amountRemaining: decimal.describe('The fiat left to pay in crypto (payment.amountDue is quoted for it)'),
});

export const checkoutListSchema = z.object({ data: z.array(checkoutSchema), nextCursor: z.string().nullable() });

export const storeSchema = z.object({
  id: z.string().describe('st_…'),
  object: z.literal('store'),
  name: z.string(),
  status: z.enum(['pending_verification', 'active', 'suspended']),
  payoutCurrency: z.string(),
  payoutAccount: z.record(z.string(), z.unknown()),
  wallets: z.record(
    z.string(),
    z.object({ kind: z.enum(['p2wpkh', 'evm']), chain: z.string(), network: z.string().optional(), extendedPublicKey: z.string(), descriptor: z.string().optional() }),
  ),
  policy: z.object({
    speedPolicy: speedPolicySchema,
    perAssetSpeedPolicy: z.record(z.string(), speedPolicySchema),
    amountThresholds: z.array(z.object({ currency: z.string(), above: decimal, speedPolicy: speedPolicySchema })),
    paymentTolerancePct: z.string(),
    expiryMinutes: z.int(),
    monitoringMinutes: z.int(),
    spreadBps: z.int(),
  }),
  payoutTerms: z.object({
    feePercent: z.string().describe("The mall's fee, percent of each order"),
    feeFixed: decimal.describe("The mall's fixed fee per order, payout currency"),
    schedule: z.union([
      z.object({ kind: z.literal('instant') }),
      z.object({ kind: z.literal('daily'), time: z.string(), timeZone: z.string() }),
      z.object({ kind: z.literal('threshold'), minimum: decimal }),
    ]),
  }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const storeListSchema = z.object({ data: z.array(storeSchema), nextCursor: z.string().nullable() });

export const apiKeySchema = z.object({
  id: z.string().describe('key_…'),
  storeId: z.string(),
  prefix: z.string(),
  last4: z.string(),
  scopes: z.array(z.string()),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
});

export const createdApiKeySchema = apiKeySchema.extend({ key: z.string().describe('Shown once; stored hashed') });
export const apiKeyListSchema = z.object({ data: z.array(apiKeySchema), nextCursor: z.null() });
