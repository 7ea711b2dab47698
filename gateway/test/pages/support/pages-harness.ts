import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CheckoutId, type CryptoAsset, evaluate, nextId, parseId } from '@coinstile/core';
import {
  createRateSources,
  DEMO_STATIC_RATES,
  fixedRateRules,
  KyselyQuoteRepository,
  QuoteService,
  QuoteTokenSigner,
  RateService,
  RedisObservationStore,
  RefreshScheduler,
} from '@coinstile/fx-oracle';
import {
  CheckoutRepository,
  cryptoRandomSource,
  type Database,
  migrateToLatest,
  openDatabase,
  PaymentRepository,
  systemClock,
} from '@coinstile/platform';
import type { PostgresServer, RedisServer } from '@coinstile/testkit';
import express from 'express';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { CheckoutService } from '../../../src/checkouts/checkout-service';
import { paymentUri, type PaymentUriConfig } from '../../../src/checkouts/checkout-view';
import { createHostedPagesRouter, type HostedPages, type HostedPagesOptions, publishCheckoutUpdate } from '../../../src/pages';
import type { Store } from '../../../src/stores/store';
import { StoreService } from '../../../src/stores/store-service';

/** The BIP84 test mnemonic's account m/84'/1'/0' as a tpub: the BTC and LTC regtest wallets derive from it. */
export const REGTEST_TPUB =
  'tpubDC8msFGeGuwnKG9Upg7DM2b4DaRqg3CUZa5g8v2SRQ6K4NSkxUgd7HsL2XVWbVm39yBA4LAxysQAm397zwQSQoQgewGiYZqrA9DsP4zbQ1M';

export interface PagesHarness {
  readonly baseUrl: string;
  readonly db: Database;
  readonly store: Store;
  readonly checkouts: CheckoutService;
  readonly pages: HostedPages;
  /** A plain connection for the test's own commands (publish, PUBSUB NUMSUB). */
  readonly redis: Redis;
  /** Opens a checkout through the gateway's service; with `asset` it has payment instructions at once. */
  createCheckout(input?: { asset?: CryptoAsset; amount?: string; currency?: string; assets?: CryptoAsset[] }): Promise<CheckoutId>;
  /**
   * What the wallet verifier does when it sees a transaction: record the payment, evaluate the checkout
   * with core's `evaluate`, write it with `compareAndSet`, then (optionally) publish the update.
   */
  pay(
    checkoutId: CheckoutId,
    options: { amountBase?: bigint; confirmations: number; publish: boolean; txid?: string },
  ): Promise<{ status: string; txid: string }>;
  /** Resolves once this process's hosted pages listen on the checkout's channel. */
  waitForSubscription(checkoutId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startPagesHarness(postgres: PostgresServer, redisServer: RedisServer, options: HostedPagesOptions = {}): Promise<PagesHarness> {
  const db = await openDatabase({ url: await postgres.createDatabase() });
  await migrateToLatest(db);
  const clock = systemClock();
  const random = cryptoRandomSource;
  const logger = pino({ level: 'silent' });
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  const subscriber = new Redis(redisServer.url, { maxRetriesPerRequest: null });

  const stores = new StoreService({ db, config: { btcNetwork: 'regtest', ltcNetwork: 'regtest', usdcContract: undefined, fxSources: ['static'] }, clock, random });
  const created = await stores.create({
    name: 'Kobe Tea House',
    payoutCurrency: 'JPY',
    payoutAccount: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Kobe Tea House KK' },
    wallets: { BTC: { xpub: REGTEST_TPUB }, LTC: { descriptor: `wpkh(${REGTEST_TPUB}/0/*)` } },
    policy: { speedPolicy: 'medium_speed', expiryMinutes: 15 },
  });
  const store = await stores.verify(created.id);

  const observations = new RedisObservationStore(redis, `test-${randomBytes(6).toString('hex')}:`);
  const sources = createRateSources({ names: ['static'], staticRates: DEMO_STATIC_RATES });
  const scheduler = new RefreshScheduler({ sources, store: observations });
  await scheduler.start();
  const rates = new RateService({ store: observations, sources });
  const quotes = new QuoteService({
    rates,
    repository: new KyselyQuoteRepository(db.kysely),
    signer: new QuoteTokenSigner(randomBytes(32)),
    rules: fixedRateRules({ spreadBps: 0 }),
    random,
  });

  const app = express();
  app.set('trust proxy', 'loopback');
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const uris: PaymentUriConfig = { publicUrl: baseUrl, ethChainId: 1, usdcContract: undefined };
  const checkouts = new CheckoutService({ db, stores, quotes, rates, clock, random, uris });
  const pages = createHostedPagesRouter({
    db,
    checkouts,
    stores,
    subscriber,
    clock,
    logger,
    publicUrl: baseUrl,
    paymentUri: (asset, address, amountBase) => paymentUri(asset, address, amountBase, uris),
    options,
  });
  app.use(pages.router);

  const repository = new CheckoutRepository(db);
  const payments = new PaymentRepository(db);

  return {
    baseUrl,
    db,
    store,
    checkouts,
    pages,
    redis,
    async createCheckout(input = {}) {
      const result = await checkouts.create(store.id, {
        orderId: `A-${randomBytes(3).toString('hex')}`,
        amount: input.amount ?? '4980',
        currency: input.currency ?? 'JPY',
        ...(input.asset ? { asset: input.asset } : {}),
        ...(input.assets ? { assets: input.assets } : {}),
      });
      return parseId('co', result.body.id);
    },
    async pay(checkoutId, { amountBase, confirmations, publish, txid: seenTxid }) {
      const checkout = await repository.findById(checkoutId);
      if (checkout?.asset == null || checkout.amountDueBase === null) throw new Error('checkout has no asset');
      const now = new Date();
      // The same txid again is a later sighting of the same output (more confirmations).
      const txid = seenTxid ?? randomBytes(32).toString('hex');
      await payments.record({
        id: nextId('pay', clock, random),
        checkoutId,
        asset: checkout.asset,
        txid,
        outputIndex: 0,
        amountBase: amountBase ?? checkout.amountDueBase,
        confirmations,
        rbfSignalled: false,
        firstSeenAt: now,
        state: confirmations > 0 ? 'confirmed' : 'pending',
        blockHash: confirmations > 0 ? randomBytes(32).toString('hex') : null,
        blockHeight: confirmations > 0 ? 101 : null,
      });
      const transition = evaluate(checkout, await payments.listForCheckout(checkoutId), now, store.policy);
      if (transition.next === checkout) return { status: checkout.status, txid };
      if (!(await repository.compareAndSet(transition.next, checkout.version, transition.events))) throw new Error('concurrent update');
      if (publish && !(await publishCheckoutUpdate(redis, checkoutId, transition.next.version))) throw new Error('publish failed');
      return { status: transition.next.status, txid };
    },
    async waitForSubscription(checkoutId) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        // Right after a Redis restart the test connection may still be reconnecting: ask again.
        const reply = (await redis.pubsub('NUMSUB', `coinstile:checkout-updates:${checkoutId}`).catch(() => ['', 0])) as [string, number];
        if (Number(reply[1]) > 0) return;
        if (Date.now() > deadline) throw new Error(`no subscription for ${checkoutId}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await pages.close();
      server.closeAllConnections();
      server.close();
      await scheduler.stop();
      subscriber.disconnect();
      redis.disconnect();
      await db.close();
    },
  };
}

/** One Server-Sent Event as the browser would see it. */
export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** A minimal SSE client over fetch: collects events and comments so tests can wait for them. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  status = 0;
  ended = false;
  readonly #abort = new AbortController();
  #waiters: (() => void)[] = [];

  private constructor() {}

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: client.#abort.signal });
    client.status = res.status;
    if (res.status !== 200 || res.body === null) {
      client.ended = true;
      await res.text().catch(() => undefined);
      return client;
    }
    void client.#read(res.body);
    return client;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          this.#parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
    this.#wake();
  }

  #parse(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('retry: ')) this.retry = Number(line.slice(7));
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) this.events.push({ id, event, data: data.join('\n') });
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until `predicate` holds (checked on every event, comment and end), or fails after `timeoutMs`. */
  async waitFor(predicate: (client: SseClient) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SSE condition not met in ${timeoutMs} ms; events: ${this.events.map((e) => e.id).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The parsed `checkout` events. */
  checkoutEvents(): { key: string; final: boolean; title: string; html: string }[] {
    return this.events.filter((e) => e.event === 'checkout').map((e) => JSON.parse(e.data) as { key: string; final: boolean; title: string; html: string });
  }

  close(): void {
    this.#abort.abort();
  }
}
