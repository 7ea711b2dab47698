import { isId, UnauthenticatedError } from '@coinstile/core';
import { closeableComponent, type ServiceRuntime } from '@coinstile/platform';
import express from 'express';
import type { HostedPageRouterFactory } from '../app';
import { paymentUri, type PaymentUriConfig } from '../checkouts/checkout-view';
import { DbStoreDirectory } from './db-store-directory';
import type { HostedStoreDirectory } from './hosted-checkout-reader';
import { createHostedPagesRouter, type HostedCheckoutActions, type HostedPagesOptions } from './hosted-pages-router';
import { ShopperAccountService } from '../shopper-accounts/shopper-account-service';

export interface HostedPagesForGatewayOptions extends HostedPagesOptions {
  /** Where store names and wallets come from; default the `stores` table (cached 5 s). Pass `services.stores` to share its cache. */
  readonly stores?: HostedStoreDirectory;
}

/**
 * The hosted page as `startGateway(runtime, { hostedPages: hostedPagesFor(runtime) })` mounts it: its own
 * Redis subscriber connection, the per-IP request budget in front of `/pay`, streams ended as soon as the
 * lifecycle starts shutting down, and the update hub closed with the lifecycle.
 */
export function hostedPagesFor(runtime: ServiceRuntime, options: HostedPagesForGatewayOptions = {}): HostedPageRouterFactory {
  return (deps) => {
    const uris: PaymentUriConfig = {
      publicUrl: deps.config.publicUrl,
      ethChainId: deps.config.ethChainId ?? 1,
      usdcContract: deps.config.usdcContract,
    };
    const { stores, ...pageOptions } = options;
    const shopperAccounts = new ShopperAccountService({ db: runtime.db, clock: runtime.clock, random: runtime.random, checkouts: deps.checkouts });
    const vouchers = deps.vouchers;
    const actions: HostedCheckoutActions = {
      chooseAsset: (id, asset) => deps.checkouts.chooseAsset(id, asset),
      renewQuote: (id) => deps.checkouts.renewQuote(id),
      // A mistyped account number is a wrong credential here, not a broken payment link.
      payWithBalance: (id, account, code) =>
        isId('acct', account.trim()) ? shopperAccounts.payCheckout(account.trim(), code, id) : Promise.reject(new UnauthenticatedError('The shopper account or its access code is not valid')),
      ...(vouchers !== undefined ? { applyVoucher: (id: string, pin: string, ip: string) => vouchers.applyToCheckout(id, pin, ip) } : {}),
    };
    const pages = createHostedPagesRouter({
      db: runtime.db,
      checkouts: actions,
      stores: stores ?? new DbStoreDirectory(runtime.db, runtime.clock),
      subscriber: runtime.redisConnection('worker', 'hosted-pages-updates'),
      clock: runtime.clock,
      logger: runtime.logger,
      publicUrl: deps.config.publicUrl,
      paymentUri: (asset, address, amountBase) => paymentUri(asset, address, amountBase, uris),
      shutdown: runtime.lifecycle,
      options: pageOptions,
    });
    runtime.lifecycle.register(closeableComponent('hosted-pages', () => pages.close()));
    const router = express.Router();
    router.use('/pay', deps.ipLimit);
    router.use(pages.router);
    return router;
  };
}
