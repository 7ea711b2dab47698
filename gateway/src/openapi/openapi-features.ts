import type { OpenApiFragment } from './openapi-fragment';
import { ESCROW_OPENAPI } from '../escrow/escrow-openapi';
import { STORE_USERS_OPENAPI } from '../portal/store-users-api';
import { shopperAccountsOpenApi } from '../shopper-accounts/shopper-accounts-openapi';
import { VOUCHERS_OPENAPI } from '../vouchers/vouchers-openapi';
import { PAYOUTS_OPENAPI } from '../payouts/payouts-openapi';
import { PAYOUT_TERMS_OPENAPI } from '../stores/payout-terms-openapi';

/**
 * The OpenAPI fragments of the features beyond stores, checkouts, webhooks and rates: one import and one
 * entry per feature (escrow, vouchers, …), each fragment kept beside the feature's router.
 */
export const FEATURE_FRAGMENTS: readonly OpenApiFragment[] = [shopperAccountsOpenApi, STORE_USERS_OPENAPI, VOUCHERS_OPENAPI, ESCROW_OPENAPI, PAYOUTS_OPENAPI, PAYOUT_TERMS_OPENAPI];
