import { CRYPTO_ASSET_CODES, CHECKOUT_STATUSES, INSPECTION_DESTINATIONS, MAX_AUTO_ACCEPT_DAYS, MIN_AUTO_ACCEPT_DAYS, REFUND_DESTINATIONS, REFUND_RATE_POLICIES, SPEED_POLICIES } from '@coinstile/core';
import { FX_SOURCE_NAMES } from '@coinstile/platform';
import { z } from 'zod';
import { payoutTermsInputSchema } from '../stores/payout-terms';

/**
 * The request shapes of the public API. The same schemas validate requests and generate `/openapi.json`,
 * so they are plain (no transforms): domain rules that zod cannot state (amount spelling, IBAN checksum,
 * extended keys) run after them, in the services, and answer with their own typed 4xx.
 */

/** NUL and unpaired surrogates cannot be stored in PostgreSQL text or jsonb: refused as input. */
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function text(max: number, min = 0) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((value) => !UNSTORABLE_TEXT.test(value), { message: 'contains a NUL character or an unpaired surrogate' });
}

export const cryptoAssetSchema = z.enum(CRYPTO_ASSET_CODES as unknown as ['BTC', 'LTC', 'ETH', 'USDC']);
export const speedPolicySchema = z.enum(SPEED_POLICIES as unknown as ['high_speed', 'medium_speed', 'low_medium_speed', 'low_speed']);
export const checkoutStatusSchema = z.enum(
  CHECKOUT_STATUSES as unknown as ['new', 'processing', 'settled', 'expired', 'invalid', 'cancelled'],
);

/** Decimal string, as every amount on the wire. Its exact spelling is checked by core's `parseAmount`. */
const decimalString = z.string().max(80).describe('A decimal string in the major unit, e.g. "4980" JPY or "12.50" USD');
const currencyCode = z.string().max(8).describe('ISO 4217 code, upper case, e.g. "JPY"');

export const storePolicyInputSchema = z
  .strictObject({
    speedPolicy: speedPolicySchema,
    perAssetSpeedPolicy: z.partialRecord(cryptoAssetSchema, speedPolicySchema),
    amountThresholds: z
      .array(z.strictObject({ currency: currencyCode, above: decimalString, speedPolicy: speedPolicySchema }))
      .max(20),
    paymentTolerancePct: z.string().max(10).describe('Underpayment accepted as paid in full, percent, e.g. "0.5"'),
    expiryMinutes: z.int().min(1).max(525_600),
    monitoringMinutes: z.int().min(1).max(525_600),
    spreadBps: z.int().min(0).max(2_000).describe("The mall's FX spread over the market rate, basis points"),
    fxPreferredSources: z
      .array(z.enum(FX_SOURCE_NAMES))
      .min(1)
      .max(FX_SOURCE_NAMES.length)
      .describe("Rate sources this store's quotes are priced from (default: every configured source)"),
    fxFallbackSources: z
      .array(z.enum(FX_SOURCE_NAMES))
      .max(FX_SOURCE_NAMES.length)
      .describe('Sources added when the preferred ones alone give no fresh rate'),
    escrow: z
      .strictObject({
        byDefault: z.boolean().describe('Escrow checkouts that do not say `escrow`'),
        inspection: z.enum(INSPECTION_DESTINATIONS as unknown as ['shopper', 'gift_recipient', 'carrier']).describe('Who inspects the goods: whose confirmation (or the carrier\'s delivery report) accepts them'),
        autoAcceptDays: z.int().min(MIN_AUTO_ACCEPT_DAYS).max(MAX_AUTO_ACCEPT_DAYS).describe('Days after delivery until automatic acceptance; disputes are open until then'),
        refundRate: z.enum(REFUND_RATE_POLICIES as unknown as ['sale', 'current']).describe('Refunds are paid at the rate of the sale or the current rate'),
        refundTo: z.enum(REFUND_DESTINATIONS as unknown as ['shopper_balance', 'address']).describe('Refunds of checkouts linked to a shopper account go to its balance (shopper_balance), or always to an address the shopper gives'),
      })
      .partial()
      .describe('Escrow until acceptance (defaults: off, shopper, 14 days, sale rate, refunds to a linked shopper balance)'),
  })
  .partial()
  ;

const ibanAccountSchema = z.strictObject({
  kind: z.literal('iban').optional(),
  iban: text(64),
  bic: text(16).nullable().optional(),
  holderName: text(140),
});
const zenginAccountSchema = z.strictObject({
  kind: z.literal('jp_zengin'),
  bankCode: text(8),
  branchCode: text(8),
  accountType: text(16),
  accountNumber: text(16),
  holderNameKana: text(60),
});
export const payoutAccountSchema = z.union([ibanAccountSchema, zenginAccountSchema]);

const walletSchema = z.union([
  z.strictObject({ xpub: text(1000).describe('BTC/LTC: BIP84 account xpub/zpub/tpub/vpub; ETH/USDC: xpub of m/44\'/60\'/0\'/0') }),
  z.strictObject({ descriptor: text(1000).describe('wpkh([origin]xpub…/0/*) descriptor (BTC/LTC)') }),
]);

export const createStoreSchema = z
  .strictObject({
    name: text(200, 1),
    payoutCurrency: currencyCode,
    payoutAccount: payoutAccountSchema,
    wallets: z.partialRecord(cryptoAssetSchema, walletSchema),
    policy: storePolicyInputSchema.optional(),
    payoutTerms: payoutTermsInputSchema.optional().describe("The mall's fee and the payout schedule (default: no fee, instant payouts)"),
  })
  ;

export const API_KEY_SCOPES = ['checkouts:read', 'checkouts:write', 'payouts:read', 'webhooks:write', 'pos'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
export const apiKeyScopeSchema = z.enum(API_KEY_SCOPES);

export const createApiKeySchema = z
  .strictObject({ scopes: z.array(apiKeyScopeSchema).min(1).max(API_KEY_SCOPES.length) })
  ;

const metadataValue = z.union([text(1000), z.number(), z.boolean(), z.null()]);

export const createCheckoutSchema = z
  .strictObject({
    orderId: text(200, 1).describe("The store's own order reference"),
    amount: decimalString,
    currency: currencyCode,
    asset: cryptoAssetSchema.optional().describe('Pay with this asset: payment instructions come back at once'),
    assets: z.array(cryptoAssetSchema).min(1).max(4).optional().describe('Assets the hosted page offers (default: every wallet of the store)'),
    escrow: z.boolean().optional(),
    shopperAccountId: z.string().max(40).optional().describe('A shopper account (acct_…) in the same currency: an over-payment is credited to its balance'),
    metadata: z.record(text(100, 1), metadataValue).optional(),
    items: z
      .array(
        z.strictObject({
          name: text(200, 1),
          quantity: z.int().min(1).max(1_000_000),
          unitPrice: decimalString.optional(),
          sku: text(100).optional(),
        }),
      )
      .max(100)
      .optional(),
  })
  ;

export const listCheckoutsQuerySchema = z.strictObject({
  status: checkoutStatusSchema.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.string().regex(/^[0-9]{1,3}$/).optional().describe('1 to 100, default 20'),
});

export const listStoresQuerySchema = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.string().regex(/^[0-9]{1,3}$/).optional(),
});

export const chooseAssetSchema = z.strictObject({ asset: cryptoAssetSchema });

/** Most metadata keys a checkout may carry. */
export const MAX_METADATA_KEYS = 50;

export type CreateStoreRequest = z.infer<typeof createStoreSchema>;
export type StorePolicyInput = z.infer<typeof storePolicyInputSchema>;
export type CreateCheckoutRequest = z.infer<typeof createCheckoutSchema>;
