import { instanceSecret, type ServiceRuntime, shopperBalanceTenderSource, voucherTenderSource, waitForRedisReady } from '@coinstile/platform';
import { KyselyQuoteRepository } from '@coinstile/fx-oracle';
import { AddressDerivationPool } from '@coinstile/wallet-verifier';
import type { Redis } from 'ioredis';
import { ApiKeyService } from './auth/api-keys';
import { OperatorAuthenticator } from './auth/operator-auth';
import { CheckoutService } from './checkouts/checkout-service';
import type { CheckoutAccountLink } from './checkouts/checkout-writer';
import { DeferredQuoteRepository } from './checkouts/deferred-quote-repository';
import { type FxComponents, startFx } from './fx/fx-components';
import { RateLimiter, type RateLimits } from './rate-limit/rate-limiter';
import { StoreService } from './stores/store-service';
import { type GatewayEscrow, gatewayEscrow } from './escrow/gateway-escrow';
import { PinAttemptLimiter, type PinAttemptLimits } from './rate-limit/pin-attempt-limiter';
import { type PinHashCost, PinHasher } from './vouchers/pin-hasher';
import { VoucherService } from './vouchers/voucher-service';
import { ShopperAccountService } from './shopper-accounts/shopper-account-service';

/** The gateway's application services, built once per process and shared by the API and the hosted page. */
export interface GatewayServices {
  readonly stores: StoreService;
  readonly apiKeys: ApiKeyService;
  readonly operatorAuth: OperatorAuthenticator;
  readonly checkouts: CheckoutService;
  readonly limiter: RateLimiter;
  readonly fx: FxComponents;
  /** Escrow, carriers, shipments, disputes and refunds (`gateway/src/escrow`). */
  readonly escrow: GatewayEscrow;
  readonly shopperAccounts: ShopperAccountService;
  readonly vouchers: VoucherService;
}

export interface GatewayServicesOptions {
  /** Requests per minute per API key / operator token / client IP. */
  readonly rateLimits?: Partial<RateLimits>;
  /** The rate-limit window (default one minute). */
  readonly rateLimitWindowMs?: number;
  /** See `StartFxOptions.quoteSigningKey`. */
  readonly quoteSigningKey?: string | Buffer;
  /** scrypt cost of voucher PIN hashes (tests lower it). */
  readonly pinHashCost?: PinHashCost;
  /** Wrong voucher PINs allowed per client IP / per checkout or POS store, per window; overrides the config's `PIN_ATTEMPT*`. */
  readonly pinAttemptLimits?: Partial<PinAttemptLimits>;
}

/** Builds the services on a runtime and starts the FX rate refresh (stopped by the runtime's lifecycle). */
export async function createGatewayServices(runtime: ServiceRuntime, options: GatewayServicesOptions = {}): Promise<GatewayServices> {
  const { db, clock, random, config } = runtime;
  const stores = new StoreService({ db, config, clock, random });
  const fx = await startFx(runtime, {
    rateRulesOf: (storeId) => stores.rateRulesOf(storeId),
    ...(options.quoteSigningKey !== undefined ? { quoteSigningKey: options.quoteSigningKey } : {}),
  });
  const pendingQuotes = new DeferredQuoteRepository(new KyselyQuoteRepository(db.kysely));
  // Address derivation is most of a checkout's CPU: on its own thread, the event loop serves more requests.
  const addresses = new AddressDerivationPool();
  runtime.lifecycle.register({ name: 'address-derivation', stop: () => addresses.close() });
  const checkouts: CheckoutService = new CheckoutService({
    db,
    stores,
    quotes: fx.quotes,
    creationQuotes: { service: fx.quoteServiceWith(pendingQuotes), pending: pendingQuotes },
    rates: fx.rates,
    clock,
    random,
    uris: { publicUrl: config.publicUrl, ethChainId: config.ethChainId ?? 1, usdcContract: config.usdcContract },
    shopperAccounts: (id, currency): Promise<CheckoutAccountLink> => shopperAccounts.linkForSale(id, currency),
    tenderSources: [voucherTenderSource, shopperBalanceTenderSource({ db, clock, random })],
    addresses,
  });
  // Registered before the HTTP server (main.ts), so it stops after the server has drained its requests.
  runtime.lifecycle.register({ name: 'wallet-index-leases', stop: () => checkouts.close() });
  const shopperAccounts: ShopperAccountService = new ShopperAccountService({ db, clock, random, checkouts });
  const limiterRedis = await rateLimitConnection(runtime);
  const vouchers = new VoucherService({
    db,
    clock,
    random,
    checkouts,
    hasher: new PinHasher(await instanceSecret(db, 'voucher-pin-lookup', random), options.pinHashCost),
    attempts: new PinAttemptLimiter(limiterRedis, { ...config.pinAttempts, ...options.pinAttemptLimits }),
  });
  return {
    stores,
    apiKeys: new ApiKeyService(db, { clock, random }),
    operatorAuth: new OperatorAuthenticator(db, clock),
    checkouts,
    limiter: new RateLimiter(limiterRedis, {
      logger: runtime.logger,
      ...(options.rateLimits ? { limits: options.rateLimits } : {}),
      ...(options.rateLimitWindowMs !== undefined ? { windowMs: options.rateLimitWindowMs } : {}),
    }),
    fx,
    escrow: await gatewayEscrow(runtime),
    shopperAccounts,
    vouchers,
  };
}

/**
 * The rate limiter's own Redis connection, auto-pipelined: every request spends one budget, and the
 * budgets spent in one turn of the event loop go to Redis in one write instead of one each.
 */
async function rateLimitConnection(runtime: ServiceRuntime): Promise<Redis> {
  const connection = runtime.redisConnection('producer', 'rate-limit');
  connection.options.enableAutoPipelining = true;
  // A producer connection fails fast instead of queueing: it must be up before the first request.
  await waitForRedisReady(connection, 10_000);
  return connection;
}
