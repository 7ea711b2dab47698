export {
  createHostedPagesRouter,
  type HostedCheckoutActions,
  type HostedPages,
  type HostedPagesDeps,
  type HostedPagesOptions,
} from './hosted-pages-router';
export { hostedPagesFor, type HostedPagesForGatewayOptions } from './hosted-pages-for-gateway';
export type { HostedStoreDirectory } from './hosted-checkout-reader';
export { DbStoreDirectory } from './db-store-directory';
export { publishCheckoutUpdate, checkoutUpdateChannel, CHECKOUT_UPDATE_CHANNEL_PREFIX } from '@coinstile/platform';
export { negotiateLocale, type Locale } from './locale';
