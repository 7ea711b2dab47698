import { createHash } from 'node:crypto';
import {
  assertNever,
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
import { type CheckoutAccountLink, type CheckoutWriteOutcome, CheckoutWriter, type IdempotentResponse } from './checkout-writer';
import { type CheckoutView, checkoutView, type PaymentUriConfig, type PaymentView, paymentView } from './checkout-view';
import type { DeferredQuoteRepository } from './deferred-quote-repository';
import { WalletIndexLeases } from './wallet-index-leases';

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
  /** `body` as JSON text when it is serialized already (a new checkout's, stored with its key): send it as it is. */
  readonly bodyJson?: string;
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

/** A checkout request checked against its store, ready to be built. */
interface CheckoutDraft {
  readonly store: Store;
  readonly request: CreateCheckoutRequest;
  readonly currency: FiatCurrency;
  readonly priceMinor: bigint;
  readonly assetsOffered: CryptoAsset[];
  readonly metadata: { [key: string]: JsonValue };
  readonly items: JsonValue[];
  readonly link: CheckoutAccountLink | undefined;
}

/** Where and how much to pay: the wallet's address at `derivationIndex` and the locked quote. */
interface PaymentInstructions {
  readonly asset: CryptoAsset;
  readonly address: string;
  readonly quote: Quote;
  readonly derivationIndex: number;
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
  private readonly indexes: WalletIndexLeases;
  /** The checkouts' tenders (vouchers, shopper balances): apply, list, release. */
  readonly tenders: CheckoutTenderRepository;

  constructor(private readonly options: CheckoutServiceOptions) {
    this.repository = new CheckoutRepository(options.db);
    this.tenders = new CheckoutTenderRepository(options.db, options.tenderSources ?? [voucherTenderSource]);
    this.idempotency = new IdempotencyRepository(options.db);
    this.writer = new CheckoutWriter(options.db);
    this.indexes = new WalletIndexLeases(options.db);
  }

  /**
   * Opens a checkout for `storeId`. With `asset`, locks a quote and derives a fresh address at once.
   * With `idempotencyKey`, the same key and body replay the first response; another body is a 409.
   * A 4xx writes nothing (no key is claimed, no address stored).
   */
  async create(storeId: StoreId, request: CreateCheckoutRequest, idempotencyKey?: string, topUpOf?: CheckoutAccountLink): Promise<CreateCheckoutResult> {
    const store = await this.activeStore(storeId);
    const parsed = await this.parseRequest(store, request);
    const link = topUpOf ?? (request.shopperAccountId === undefined ? undefined : await this.shopperAccountLink(request.shopperAccountId, parsed.currency));
    const draft: CheckoutDraft = { store, request, ...parsed, link };
    if (idempotencyKey === undefined) {
      const written = await this.writeNew(draft, () => undefined);
      return { status: 201, body: written.body, bodyJson: written.bodyJson, replayed: false };
    }
    const scope = `${storeId}:${IDEMPOTENCY_ENDPOINT}`;
    const hash = requestHash(request);
    const claimedAt = this.options.clock.now();
    // The key is claimed by the checkout's own statement: one statement per checkout (per batch) in all.
    const first = await this.writeNew(draft, (bodyJson) => ({ kind: 'claim', scope, key: idempotencyKey, requestHash: hash, claimedAt, status: 201, bodyJson }));
    switch (first.outcome) {
      case 'written':
        return { status: 201, body: first.body, bodyJson: first.bodyJson, replayed: false };
      case 'key_in_use':
      case 'key_in_use_after_error':
        break;
      default:
        return assertNever(first.outcome, 'checkout write outcome');
    }
    const begun = await this.idempotency.begin(scope, idempotencyKey, hash, { now: claimedAt });
    switch (begun.kind) {
      case 'replay':
        return { status: begun.responseStatus, body: begun.responseBody as unknown as CheckoutView, replayed: true };
      case 'in_progress':
        throw new IdempotencyKeyInUseError(idempotencyKey);
      case 'started':
        // An abandoned request's key, taken over: it is ours and in progress until the checkout's
        // statement stores the response.
        break;
      default:
        return assertNever(begun, 'idempotency begin');
    }
    try {
      const taken = await this.writeNew(draft, (bodyJson) => ({ kind: 'complete', scope, key: idempotencyKey, status: 201, bodyJson }));
      if (taken.outcome !== 'written') throw new Error(`a checkout completing its own key was not written (${taken.outcome})`);
      return { status: 201, body: taken.body, bodyJson: taken.bodyJson, replayed: false };
    } catch (err) {
      await this.idempotency.abandon(scope, idempotencyKey);
      throw err;
    }
  }

  /**
   * Builds a checkout of `draft` (a fresh address and quote when it names an asset) and writes it with
   * the key response `responseOf` gives for its body. When the write says it was not written because of
   * its key, its address was stored and shown nowhere: the index goes back to be handed out again.
   */
  private async writeNew(
    draft: CheckoutDraft,
    responseOf: (bodyJson: string) => IdempotentResponse | undefined,
  ): Promise<{ outcome: CheckoutWriteOutcome; body: CheckoutView; bodyJson: string }> {
    const { store, request, currency, priceMinor } = draft;
    const asset = request.asset;
    const creationQuotes = this.options.creationQuotes;
    const lock = (chosen: CryptoAsset) => this.lockQuote(store.id, chosen, currency, priceMinor, store.policy.expiryMinutes * 60_000, creationQuotes?.service);
    const payment =
      asset === undefined ? undefined : await this.paymentInstructions(store, asset, () => lock(asset), (quote) => creationQuotes?.pending.take(quote.id));
    // From here the quote is either written with the checkout or dropped: it was shown to no one.
    const quote = payment === undefined ? undefined : creationQuotes?.pending.take(payment.quote.id);
    const checkout = createCheckout({
      id: nextId('co', this.options.clock, this.options.random),
      storeId: store.id,
      orderId: request.orderId,
      priceMinor,
      currency,
      createdAt: this.options.clock.now(),
      policy: store.policy,
      ...(payment ? { payment: { asset: payment.asset, address: payment.address, quote: payment.quote } } : {}),
    });
    const details: CheckoutDetails = {
      assetsOffered: draft.assetsOffered,
      derivationIndex: payment?.derivationIndex ?? null,
      escrow: request.escrow ?? store.policy.escrow?.byDefault ?? false,
      metadata: draft.metadata,
      items: draft.items,
    };
    const body = checkoutView({ ...checkout, ...details, cancelledAt: null }, [], this.options.uris);
    // Serialized once: the same text is stored as the key's response and sent to the client.
    const bodyJson = JSON.stringify(body);
    // On an error the index is never given back: the statement may have committed.
    const outcome = await this.writer.insert(checkout, details, responseOf(bodyJson), quote, draft.link);
    if (outcome === 'key_in_use' && payment) this.indexes.giveBack(store.id, payment.asset, payment.derivationIndex);
    return { outcome, body, bodyJson };
  }

  /** Returns the derivation indexes leased and never handed out (`WalletIndexLeases.close`); once requests have stopped. */
  close(): Promise<void> {
    return this.indexes.close();
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

  /** A quote stored at once (`quotes`), or, for a new checkout, held to be stored with it (`creationQuotes`). */
  private lockQuote(
    storeId: StoreId,
    asset: CryptoAsset,
    currency: FiatCurrency,
    priceMinor: bigint,
    ttlMs: number,
    quotes: QuoteService = this.options.quotes,
  ): Promise<Quote> {
    return quotes.lockUnsigned({ storeId, asset, currency, priceMinor, ttlMs: clampQuoteTtl(ttlMs) });
  }

  /** A locked quote and a never-used address of the store's wallet, fetched together. */
  private instructions(store: Store, asset: CryptoAsset, currency: FiatCurrency, priceMinor: bigint, ttlMs: number): Promise<PaymentInstructions> {
    if (!store.wallets[asset]) throw new AssetNotAcceptedError(store.id, asset);
    return this.paymentInstructions(store, asset, () => this.lockQuote(store.id, asset, currency, priceMinor, ttlMs));
  }

  /**
   * A quote (`lock`) and a fresh derivation index, fetched together, and the wallet's address at the
   * index. When the quote cannot be locked the index was shown to no one and goes back; when the address
   * cannot be derived the quote is dropped (`dropQuote`).
   */
  private async paymentInstructions(
    store: Store,
    asset: CryptoAsset,
    lock: () => Promise<Quote>,
    dropQuote: (quote: Quote) => void = () => undefined,
  ): Promise<PaymentInstructions> {
    const [index, quote] = await Promise.allSettled([this.indexes.take(store.id, asset), lock()]);
    if (quote.status === 'rejected') {
      if (index.status === 'fulfilled') this.indexes.giveBack(store.id, asset, index.value);
      throw quote.reason;
    }
    if (index.status === 'rejected') {
      dropQuote(quote.value);
      throw index.reason;
    }
    try {
      return await this.addressAt(store, asset, index.value, quote.value);
    } catch (err) {
      dropQuote(quote.value);
      throw err;
    }
  }

  /** The wallet's address at `index` (or at the next usable index) with the quote, as payment instructions. */
  private async addressAt(store: Store, asset: CryptoAsset, index: number, quote: Quote): Promise<PaymentInstructions> {
    const wallet = store.wallets[asset];
    if (!wallet) throw new AssetNotAcceptedError(store.id, asset);
    let derivationIndex = index;
    for (;;) {
      try {
        return { asset, address: await (this.options.addresses ?? inlineAddressDeriver).derive(wallet, derivationIndex), quote, derivationIndex };
      } catch (err) {
        // BIP32 leaves ~2^-127 of indexes without a key: skip to the next one, as it prescribes (the
        // unusable index is never given back).
        if (!(err instanceof UnusableChildIndexError)) throw err;
        derivationIndex = await this.indexes.take(store.id, asset);
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
