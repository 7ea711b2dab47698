import type { OpenApiFragment } from './openapi-fragment';

/**
 * The OpenAPI fragments of the features beyond stores, checkouts, webhooks and rates: one import and one
 * entry per feature (escrow, vouchers, …), each fragment kept beside the feature's router.
 */
export const FEATURE_FRAGMENTS: readonly OpenApiFragment[] = [];
