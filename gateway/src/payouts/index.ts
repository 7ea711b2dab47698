export { PayoutReader, type PayoutListQuery, type PayoutPage } from './payout-reader';
export { type PayoutView, payoutView } from './payout-view';
export { createPayoutsRouter, listPayoutsQuerySchema, PAYOUT_STATUSES } from './payouts-router';
export { PAYOUTS_OPENAPI } from './payouts-openapi';
