import { createHash } from 'node:crypto';
import {
  AssetNotAcceptedError,
  cancel,
  type CheckoutId,
  CheckoutNotPayableError,
  choosePaymentAsset,
  type Clock,
  ConflictError,
  createCheckout,
  cryptoDueForRemainder,
  type CryptoAsset,
  DomainRuleError,
  type FiatCurrency,
  fiatStillDueMinor,
  nextId,
  NotFoundError,
  parseAmount,
  parseFiatCurrency,
  parseId,
  parseRate,
  type Quote,
  type RandomSource,
  RatesUnavailableError,
  type StoreId,
  StoreNotActiveError,
  ValidationError,
} from '@coinstile/core';
import type { QuoteService, RateService } from '@coinstile/fx-oracle';
import {
  type CheckoutDetails,
  type CheckoutListQuery,
  type CheckoutRecord,
  CheckoutRepository,
  CheckoutTenderRepository,
  type Database,
  IdempotencyRepository,
  type JsonValue,
  type TenderRecord,
  type TenderSource,
  voucherTenderSource,
} from '@coinstile/platform';
import { type AddressDeriver, inlineAddressDeriver, UnusableChildIndexError } from '@coinstile/wallet-verifier';
import type { CreateCheckoutRequest } from '../http/schemas';
import { MAX_METADATA_KEYS } from '../http/schemas';
import type { Store } from '../stores/store';
import type { StoreService } from '../stores/store-service';
import { type CheckoutAccountLink, CheckoutWriter } from './checkout-writer';
import { type CheckoutView, checkoutView, type PaymentUriConfig, type PaymentView, paymentView } from './checkout-view';
import { CheckoutReservations } from './checkout-reservations';
import type { DeferredQuoteRepository } from './deferred-quote-repository';

/** Another request with this `Idempotency-Key` is being handled right now. 409 `idempotency_key_in_use`. */
export class IdempotencyKeyInUseError extends ConflictError {
  constructor(key: string) {
    super('A request with this Idempotency-Key is still in progress; retry shortly', { idempotencyKey: key }, 'idempotency_key_in_use');
  }
}

/** The quote cannot be renewed: the checkout is not open, has no asset, or has received money. 422. */
export class QuoteNotRenewableError extends DomainRuleError {
  readonly code = 'quote_not_renewable';
  constructor(checkoutId: string, reason: 'not_new' | 'expired' | 'no_asset' | 'has_payment') {
    super(`The quote of checkout ${checkoutId} cannot be renewed (${reason})`, { checkoutId, reason });
  }
}

/** The result of a create: the response to send and whether it is a replay of an earlier one. */
export interface CreateCheckoutResult {
  readonly status: number;
  readonly body: CheckoutView;
  readonly replayed: boolean;
}

export interface CheckoutServiceOptions {
  readonly db: Database;
  readonly stores: StoreService;
  /** Locks quotes stored at once (asset chosen later, renewals). */
  readonly quotes: QuoteService;
  /**
   * Locks the quotes of new checkouts, stored with the checkout (see `DeferredQuoteRepository`); without
   * it new checkouts use `quotes`, stored at once.
   */
  readonly creationQuotes?: { readonly service: QuoteService; readonly pending: DeferredQuoteRepository };
  readonly rates: RateService;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly uris: PaymentUriConfig;
  /** Where checkout tenders come from; default vouchers only (shopper balances add theirs). */
  readonly tenderSources?: readonly TenderSource[];
  /**
   * Checks the request's `shopperAccountId` (exists, usable, in the checkout's currency) and returns the
   * link to store; without it the field is refused.
   */
  readonly shopperAccounts?: (shopperAccountId: string, currency: FiatCurrency) => Promise<CheckoutAccountLink>;
  /** Derives receiving addresses; default on the event loop (`inlineAddressDeriver`). */
  readonly addresses?: AddressDeriver;
}

/** The longest a quote holds (the FX oracle's maximum); longer checkouts renew it on the hosted page. */
const MAX_QUOTE_TTL_MS = 24 * 60 * 60 * 1000;
const IDEMPOTENCY_ENDPOINT = 'POST /v1/checkouts';

/**
 * The checkout use cases, shared by the API and the hosted page: create (honouring `Idempotency-Key`),
 * get, list, cancel, choose the asset later, renew an expired quote.
 */
export class CheckoutService {
  private readonly repository: CheckoutRepository;
  private readonly idempotency: IdempotencyRepository;
  private readonly writer: CheckoutWriter;
  private readonly reservations: CheckoutReservations;
  /** The checkouts' tenders (vouchers, shopper balances): apply, list, release. */
  readonly tenders: CheckoutTenderRepository;

  constructor(private readonly options: CheckoutServiceOptions) {
    this.repository = new CheckoutRepository(options.db);
    this.tenders = new CheckoutTenderRepository(options.db, options.tenderSources ?? [voucherTenderSource]);
    this.idempotency = new IdempotencyRepository(options.db);
    this.writer = new CheckoutWriter(options.db);
    this.reservations = new CheckoutReservations(options.db);
  }

  /**
   * Opens a checkout for `storeId`. With `asset`, locks a quote and derives a fresh address at once.
   * With `idempotencyKey`, the same key and body replay the first response; another body is a 409.
   * A 4xx writes nothing (the key is released again).
   */
  async create(storeId: StoreId, request: CreateCheckoutRequest, idempotencyKey?: string, topUpOf?: CheckoutAccountLink): Promise<CreateCheckoutResult> {
    const store = await this.activeStore(storeId);
    const { currency, priceMinor, assetsOffered, metadata, items } = await this.parseRequest(store, request);
    const link = topUpOf ?? (request.shopperAccountId === undefined ? undefined : await this.shopperAccountLink(request.shopperAccountId, currency));
    const scope = `${storeId}:${IDEMPOTENCY_ENDPOINT}`;
    const claim = idempotencyKey === undefined ? undefined : { scope, key: idempotencyKey, requestHash: requestHash(request), now: this.options.clock.now() };
    const asset = request.asset;
    const ttlMs = store.policy.expiryMinutes * 60_000;
    // The key claim, the address index and the quote are fetched together: two round trips to the
    // database per checkout in all (this, then the insert), each shared with the concurrent requests.
    const [reserved, lockedQuote] = await Promise.all([
      this.reservations.reserve({ ...(claim ? { claim } : {}), ...(asset !== undefined ? { wallet: { storeId, asset } } : {}) }).then(
        (reservation) => ({ reservation }),
        (error: unknown) => ({ error }),
      ),
      asset === undefined ? Promise.resolve(undefined) : this.lockCreationQuote(storeId, asset, currency, priceMinor, ttlMs).then(
        (quote) => ({ quote }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if ('error' in reserved) {
      if (lockedQuote && 'quote' in lockedQuote) this.options.creationQuotes?.pending.take(lockedQuote.quote.id);
      throw reserved.error;
    }
    const { reservation } = reserved;
    let index: number | null = null;
    let quote: Quote | undefined;
    if (reservation.kind === 'not_claimed' && claim) {
      // A quote locked for a request that turns out to be a replay or a conflict was shown to no one.
      if (lockedQuote && 'quote' in lockedQuote) this.options.creationQuotes?.pending.take(lockedQuote.quote.id);
      const begun = await this.idempotency.begin(scope, claim.key, claim.requestHash, { now: claim.now });
      switch (begun.kind) {
        case 'replay':
          return { status: begun.responseStatus, body: begun.responseBody as unknown as CheckoutView, replayed: true };
        case 'in_progress':
          throw new IdempotencyKeyInUseError(claim.key);
        case 'started':
          // An abandoned request's key, taken over: reserve again, now without the claim.
          break;
      }
    } else if (reservation.kind === 'claimed') {
      index = reservation.index;
      if (lockedQuote && 'error' in lockedQuote) {
        if (claim) await this.idempotency.abandon(scope, claim.key);
        throw lockedQuote.error;
      }
      quote = lockedQuote?.quote;
    }
    try {
      if (asset !== undefined && (index === null || quote === undefined)) {
        const again = await this.reservations.reserve({ wallet: { storeId, asset } });
        index = again.kind === 'claimed' ? again.index : null;
        quote = await this.lockCreationQuote(storeId, asset, currency, priceMinor, ttlMs);
      }
      const createdAt = this.options.clock.now();
      const id = nextId('co', this.options.clock, this.options.random);
      const payment = asset === undefined || quote === undefined || index === null ? undefined : await this.addressAt(store, asset, index, quote);
      const checkout = createCheckout({
        id,
        storeId,
        orderId: request.orderId,
        priceMinor,
        currency,
        createdAt,
        policy: store.policy,
        ...(payment ? { payment: { asset: payment.asset, address: payment.address, quote: payment.quote } } : {}),
      });
      const details: CheckoutDetails = {
        assetsOffered,
        derivationIndex: payment?.derivationIndex ?? null,
        escrow: request.escrow ?? store.policy.escrow?.byDefault ?? false,
        metadata,
        items,
      };
      const body = checkoutView({ ...checkout, ...details, cancelledAt: null }, [], this.options.uris);
      const response = claim === undefined ? undefined : { scope, key: claim.key, status: 201, body };
      await this.writer.insert(checkout, details, response, quote === undefined ? undefined : this.options.creationQuotes?.pending.take(quote.id), link);
      return { status: 201, body, replayed: false };
    } catch (err) {
      if (quote !== undefined) this.options.creationQuotes?.pending.take(quote.id);
      if (claim) await this.idempotency.abandon(scope, claim.key);
      throw err;
    }
  }

  /** The checkout `idText` of `storeId` with its payments; another store's checkout is not found. */
  async get(storeId: StoreId, idText: string): Promise<CheckoutView> {
    const id = parseId('co', idText);
    const record = await this.repository.get(storeId, id);
    if (!record) throw new NotFoundError('checkout', id);
    const [payments, tenders] = await Promise.all([this.paymentsOf([id]), this.tenders.listOf(id)]);
    return checkoutView(record, payments.get(id) ?? [], this.options.uris, tenders);
  }

  /** Any checkout by id, for the hosted page (the id is the shopper's capability). */
  async getForShopper(idText: string): Promise<CheckoutView> {
    const id = parseId('co', idText);
    const record = await this.repository.findById(id);
    if (!record) throw new NotFoundError('checkout', id);
    const [payments, tenders] = await Promise.all([this.paymentsOf([id]), this.tenders.listOf(id)]);
    return checkoutView(record, payments.get(id) ?? [], this.options.uris, tenders);
  }

  async list(storeId: StoreId, query: CheckoutListQuery): Promise<{ data: CheckoutView[]; nextCursor: string | null }> {
    const page = await this.repository.list(storeId, query);
    const ids = page.data.map((c) => c.id);
    const [payments, tenders] = await Promise.all([this.paymentsOf(ids), this.tenders.listFor(ids)]);
    return {
      data: page.data.map((record) => checkoutView(record, payments.get(record.id) ?? [], this.options.uris, tenders.get(record.id) ?? [])),
      nextCursor: page.nextCursor,
    };
  }

  /** Cancels a `new` checkout with no payment before it expires (core's `cancel`), announcing `checkout.cancelled`. */
  async cancel(storeId: StoreId, idText: string): Promise<CheckoutView> {
    const id = parseId('co', idText);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const record = await this.repository.get(storeId, id);
      if (!record) throw new NotFoundError('checkout', id);
      const paymentRows = await this.options.db.kysely.selectFrom('payments').selectAll().where('checkout_id', '=', id).execute();
      const transition = cancel(
        record,
        paymentRows.map((p) => ({
          id: p.id as never,
          checkoutId: id,
          asset: p.asset as CryptoAsset,
          txid: p.txid,
          outputIndex: p.output_index,
          amountBase: BigInt(p.amount_base),
          confirmations: p.confirmations,
          rbfSignalled: p.rbf_signalled,
          firstSeenAt: p.first_seen_at,
          state: p.state,
        })),
        this.options.clock.now(),
      );
      if (await this.repository.compareAndSet(transition.next, record.version, transition.events)) {
        // Its vouchers and balance go back at once (the periodic sweep would also find them).
        await this.tenders.releaseAbandoned(this.options.clock.now(), 100, id);
        return this.get(storeId, id);
      }
    }
    throw new ConflictError('The checkout changed while cancelling; retry', { checkoutId: id }, 'concurrent_update');
  }

  /** The hosted page: the shopper picks `asset` for a checkout that has none yet; a fresh address and quote. */
  async chooseAsset(idText: string, asset: CryptoAsset): Promise<CheckoutView> {
    const id = parseId('co', idText);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const record = await this.repository.findById(id);
      if (!record) throw new NotFoundError('checkout', id);
      if (record.asset === asset) return this.getForShopper(id);
      const now = this.options.clock.now();
      // The rules of core's choosePaymentAsset, checked before an index or a quote is spent.
      if (record.status !== 'new') throw new CheckoutNotPayableError(id, 'not_new');
      if (now.getTime() >= record.expiresAt.getTime()) throw new CheckoutNotPayableError(id, 'expired');
      if (record.asset !== null) throw new CheckoutNotPayableError(id, 'asset_already_chosen');
      const store = await this.options.stores.getCached(record.storeId);
      if (!store || !store.wallets[asset] || (record.assetsOffered.length > 0 && !record.assetsOffered.includes(asset))) {
        throw new AssetNotAcceptedError(record.storeId, asset);
      }
      await this.checkRatesAvailable(record.storeId, asset, record.currency);
      const ttlMs = record.expiresAt.getTime() - now.getTime();
      const payment = await this.instructions(store, asset, record.currency, record.priceMinor, ttlMs);
      const chosen = choosePaymentAsset(record, payment, now);
      const next = { ...chosen, amountDueBase: await this.dueAfterTenders(chosen), derivationIndex: payment.derivationIndex };
      if (await this.repository.compareAndSet(next, record.version, [])) return this.getForShopper(id);
    }
    throw new ConflictError('The checkout changed while choosing the asset; retry', { checkoutId: id }, 'concurrent_update');
  }

  /**
   * The hosted page: a new quote for a checkout whose quote expired while the checkout is still open and
   * unpaid (an expired quote is never honoured). A quote still valid is kept.
   */
  async renewQuote(idText: string): Promise<CheckoutView> {
    const id = parseId('co', idText);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const record = await this.repository.findById(id);
      if (!record) throw new NotFoundError('checkout', id);
      const now = this.options.clock.now();
      if (record.status !== 'new') throw new QuoteNotRenewableError(id, 'not_new');
      if (now.getTime() >= record.expiresAt.getTime()) throw new QuoteNotRenewableError(id, 'expired');
      if (record.asset === null) throw new QuoteNotRenewableError(id, 'no_asset');
      if (record.quoteExpiresAt !== null && now.getTime() < record.quoteExpiresAt.getTime()) return this.getForShopper(id);
      if (record.amountPaidBase > 0n) throw new QuoteNotRenewableError(id, 'has_payment');
      const quote = await this.lockQuote(record.storeId, record.asset, record.currency, record.priceMinor, record.expiresAt.getTime() - now.getTime());
      const next: CheckoutRecord = {
        ...record,
        amountDueBase: await this.dueAfterTenders({ ...record, amountDueBase: quote.amountDueBase, rate: parseRate(quote.rate) }),
        quoteId: quote.id,
        rate: parseRate(quote.rate),
        quoteExpiresAt: quote.expiresAt,
        version: record.version + 1,
      };
      if (await this.repository.compareAndSet(next, record.version, [])) return this.getForShopper(id);
    }
    throw new ConflictError('The checkout changed while renewing its quote; retry', { checkoutId: id }, 'concurrent_update');
  }

  /**
   * The crypto due once the checkout's tenders are taken off the price: quotes are locked for the whole
   * price, and the amount due re-quoted for the remainder at the quote's rate (rounded up).
   */
  private async dueAfterTenders(checkout: Pick<CheckoutRecord, 'id' | 'priceMinor' | 'currency' | 'asset' | 'rate' | 'amountDueBase'>): Promise<bigint | null> {
    const tenders: TenderRecord[] = await this.tenders.listOf(checkout.id);
    if (tenders.length === 0 || checkout.asset === null || checkout.rate === null) return checkout.amountDueBase;
    return cryptoDueForRemainder(fiatStillDueMinor(checkout.priceMinor, tenders), checkout.currency, checkout.asset, checkout.rate);
  }

  /** The request's rules beyond its shape (zod checked that): amounts, currency, assets, metadata size. */
  private async parseRequest(
    store: Store,
    request: CreateCheckoutRequest,
  ): Promise<{ currency: FiatCurrency; priceMinor: bigint; assetsOffered: CryptoAsset[]; metadata: { [key: string]: JsonValue }; items: JsonValue[] }> {
    const storeId = store.id;
    const currency = parseFiatCurrency(request.currency);
    const priceMinor = parseAmount(request.amount, currency);
    if (priceMinor <= 0n) throw new ValidationError('amount must be positive', { field: 'amount' }, 'invalid_amount');
    const assetsOffered = [...new Set(request.assets ?? [])];
    for (const asset of assetsOffered) if (!store.wallets[asset]) throw new AssetNotAcceptedError(storeId, asset);
    if (request.asset !== undefined) {
      if (!store.wallets[request.asset] || (assetsOffered.length > 0 && !assetsOffered.includes(request.asset))) {
        throw new AssetNotAcceptedError(storeId, request.asset);
      }
      await this.checkRatesAvailable(storeId, request.asset, currency);
    }
    const metadata = (request.metadata ?? {}) as { [key: string]: JsonValue };
    if (Object.keys(metadata).length > MAX_METADATA_KEYS) {
      throw new ValidationError(`metadata may have at most ${MAX_METADATA_KEYS} keys`, { field: 'metadata' });
    }
    const items = (request.items ?? []).map((item, i) => {
      if (item.unitPrice !== undefined) {
        try {
          parseAmount(item.unitPrice, currency);
        } catch (err) {
          if (err instanceof ValidationError) throw new ValidationError(`items.${i}.unitPrice: ${err.message}`, { field: `items.${i}.unitPrice` }, err.code);
          throw err;
        }
      }
      return item as JsonValue;
    });

    return { currency, priceMinor, assetsOffered, metadata, items };
  }

  private shopperAccountLink(shopperAccountId: string, currency: FiatCurrency): Promise<CheckoutAccountLink> {
    if (!this.options.shopperAccounts) throw new ValidationError('shopperAccountId is not accepted here', { field: 'shopperAccountId' });
    return this.options.shopperAccounts(shopperAccountId, currency);
  }

  private async activeStore(storeId: StoreId): Promise<Store> {
    const store = await this.options.stores.getCached(storeId);
    if (!store) throw new NotFoundError('store', storeId);
    if (store.status !== 'active') throw new StoreNotActiveError(storeId, store.status);
    return store;
  }

  /**
   * Refuses before an index or a quote is spent when no fresh rate exists for this store (503): under the
   * store's own rules (preferred and fallback sources), exactly as its quote will be priced.
   */
  private async checkRatesAvailable(storeId: StoreId, asset: CryptoAsset, currency: FiatCurrency): Promise<void> {
    const rules = await this.options.stores.rateRulesOf(storeId);
    const resolution = await this.options.rates.resolve({ base: asset, quote: currency }, rules);
    if (resolution.kind === 'unavailable') {
      throw new RatesUnavailableError(`No fresh ${resolution.pair} rate: ${resolution.detail}`, { pair: resolution.pair, reason: resolution.reason });
    }
  }

  private lockCreationQuote(storeId: StoreId, asset: CryptoAsset, currency: FiatCurrency, priceMinor: bigint, ttlMs: number): Promise<Quote> {
    return (this.options.creationQuotes?.service ?? this.options.quotes).lock({ storeId, asset, currency, priceMinor, ttlMs: clampQuoteTtl(ttlMs) });
  }

  private lockQuote(storeId: StoreId, asset: CryptoAsset, currency: FiatCurrency, priceMinor: bigint, ttlMs: number): Promise<Quote> {
    return this.options.quotes.lock({ storeId, asset, currency, priceMinor, ttlMs: clampQuoteTtl(ttlMs) });
  }

  /** A locked quote and a never-used address of the store's wallet, fetched together. */
  private async instructions(
    store: Store,
    asset: CryptoAsset,
    currency: FiatCurrency,
    priceMinor: bigint,
    ttlMs: number,
  ): Promise<{ asset: CryptoAsset; address: string; quote: Quote; derivationIndex: number }> {
    if (!store.wallets[asset]) throw new AssetNotAcceptedError(store.id, asset);
    const [quote, index] = await Promise.all([this.lockQuote(store.id, asset, currency, priceMinor, ttlMs), this.allocate(store.id, asset)]);
    return this.addressAt(store, asset, index, quote);
  }

  /** A fresh derivation index of the store's wallet for `asset`. */
  private async allocate(storeId: StoreId, asset: CryptoAsset): Promise<number> {
    const reservation = await this.reservations.reserve({ wallet: { storeId, asset } });
    if (reservation.kind !== 'claimed' || reservation.index === null) throw new Error('an index reservation without a key is always granted');
    return reservation.index;
  }

  /** The wallet's address at `index` (or at the next usable index) with the quote, as payment instructions. */
  private async addressAt(
    store: Store,
    asset: CryptoAsset,
    index: number,
    quote: Quote,
  ): Promise<{ asset: CryptoAsset; address: string; quote: Quote; derivationIndex: number }> {
    const wallet = store.wallets[asset];
    if (!wallet) throw new AssetNotAcceptedError(store.id, asset);
    let derivationIndex = index;
    for (;;) {
      try {
        return { asset, address: await (this.options.addresses ?? inlineAddressDeriver).derive(wallet, derivationIndex), quote, derivationIndex };
      } catch (err) {
        // BIP32 leaves ~2^-127 of indexes without a key: skip to the next one, as it prescribes.
        if (!(err instanceof UnusableChildIndexError)) throw err;
        derivationIndex = await this.allocate(store.id, asset);
      }
    }
  }

  private async paymentsOf(ids: readonly CheckoutId[]): Promise<Map<string, PaymentView[]>> {
    const byCheckout = new Map<string, PaymentView[]>();
    if (ids.length === 0) return byCheckout;
    const rows = await this.options.db.kysely
      .selectFrom('payments')
      .selectAll()
      .where('checkout_id', 'in', ids)
      .orderBy('first_seen_at')
      .orderBy('id')
      .execute();
    for (const row of rows) {
      const list = byCheckout.get(row.checkout_id) ?? [];
      list.push(paymentView(row));
      byCheckout.set(row.checkout_id, list);
    }
    return byCheckout;
  }
}

function clampQuoteTtl(ttlMs: number): number {
  return Math.max(1_000, Math.min(MAX_QUOTE_TTL_MS, ttlMs));
}

/** Canonical JSON (keys sorted) of the request, hashed: the same body always gives the same hash. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
