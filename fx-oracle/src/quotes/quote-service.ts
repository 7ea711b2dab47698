import {
  type CryptoAsset,
  ID_RANDOM_BYTES,
  isCryptoAsset,
  makeId,
  NotFoundError,
  parseFiatCurrency,
  type QuoteService as QuoteServicePort,
  type RandomSource,
  ValidationError,
} from '@coinstile/core';
import { cryptoRandomSource } from '@coinstile/platform';
import type { RateService } from '../rates/rate-service';
import { checkRateRules, DEFAULT_RATE_RULES, type RateRulesProvider } from '../rates/rate-rules';
import { type Quote, type QuoteStatus, quoteStatus } from './quote';
import { priceQuote } from './quote-pricing';
import type { QuoteRepository } from './quote-repository';
import type { QuoteTokenClaims, QuoteTokenSigner } from './quote-token';

export interface LockQuoteRequest {
  readonly storeId: string;
  /** A crypto asset code (`BTC`, `LTC`, `ETH`, `USDC`). */
  readonly asset: string;
  /** An ISO 4217 code (`JPY`). */
  readonly currency: string;
  /** The fiat price in minor units of `currency`. */
  readonly priceMinor: bigint;
  /** How long the quote holds (ms). Default `defaultTtlMs`. */
  readonly ttlMs?: number;
}

/** A quote with its signed token and its status at the time it was read. */
export interface SignedQuote extends Quote {
  readonly token: string;
  readonly status: QuoteStatus;
}

/** The quote to pay against: the one asked for while active, else a new one at the current rate. */
export interface CurrentQuote {
  readonly quote: SignedQuote;
  /** The expired quote this one replaces, or `null` when the quote asked for is still active. */
  readonly replacesQuoteId: string | null;
}

export interface QuoteServiceOptions {
  readonly rates: RateService;
  readonly repository: QuoteRepository;
  readonly signer: QuoteTokenSigner;
  /** Each store's spread and sources; default: no spread, every source. */
  readonly rules?: RateRulesProvider;
  /** Default 15 minutes, the checkout expiry. */
  readonly defaultTtlMs?: number;
  /** Default 24 hours. */
  readonly maxTtlMs?: number;
  readonly now?: () => number;
  /** Randomness for quote ids; default `crypto.randomBytes` in pooled blocks. */
  readonly random?: RandomSource;
}

const MIN_TTL_MS = 1_000;

/** Locks fiat prices into crypto amounts at the current aggregated rate, persisted and signed. Implements core's port. */
export class QuoteService implements QuoteServicePort {
  private readonly now: () => number;
  private readonly random: RandomSource;
  private readonly defaultTtlMs: number;
  private readonly maxTtlMs: number;

  constructor(private readonly options: QuoteServiceOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? cryptoRandomSource;
    this.defaultTtlMs = options.defaultTtlMs ?? 15 * 60 * 1000;
    this.maxTtlMs = options.maxTtlMs ?? 24 * 60 * 60 * 1000;
  }

  /**
   * A new quote for `priceMinor` of `currency` paid in `asset`: the store's spread applied, the amount
   * due rounded up, persisted, signed. `RatesUnavailableError` (503) when no fresh rate exists;
   * `ValidationError` (400) for an unknown asset or currency, a non-positive price or a bad ttl.
   */
  async lock(request: LockQuoteRequest): Promise<SignedQuote> {
    const quote = await this.lockUnsigned(request);
    return this.signed(quote, quote.createdAt.getTime());
  }

  /**
   * The same quote as `lock`, without its token: for callers that show the quote to no one outside
   * Coinstile (checkout creation), which then spend no HMAC on a token nobody reads.
   */
  async lockUnsigned(request: LockQuoteRequest): Promise<Quote> {
    const asset = checkAsset(request.asset);
    const currency = parseFiatCurrency(request.currency);
    if (typeof request.priceMinor !== 'bigint' || request.priceMinor <= 0n) {
      throw new ValidationError('priceMinor must be a positive integer', { priceMinor: String(request.priceMinor) }, 'invalid_amount');
    }
    const ttlMs = request.ttlMs ?? this.defaultTtlMs;
    if (!Number.isInteger(ttlMs) || ttlMs < MIN_TTL_MS || ttlMs > this.maxTtlMs) {
      throw new ValidationError(`ttlMs must be an integer from ${MIN_TTL_MS} to ${this.maxTtlMs}`, { ttlMs }, 'invalid_ttl');
    }
    const rules = checkRateRules(await (this.options.rules?.rulesFor(request.storeId) ?? Promise.resolve(DEFAULT_RATE_RULES)));
    const market = await this.options.rates.rate({ base: asset, quote: currency }, rules);
    const price = priceQuote({ asset, currency, priceMinor: request.priceMinor, marketRate: market.rate, spreadBps: rules.spreadBps });
    const nowMs = this.now();
    const quote: Quote = {
      id: makeId('qt', nowMs, this.random.bytes(ID_RANDOM_BYTES)),
      storeId: request.storeId,
      asset,
      currency,
      priceMinor: request.priceMinor,
      amountDueBase: price.amountDueBase,
      rate: price.rate,
      marketRate: market.rate,
      spreadBps: rules.spreadBps,
      sources: market.sources,
      demo: market.demo,
      createdAt: new Date(nowMs),
      expiresAt: new Date(nowMs + ttlMs),
    };
    await this.options.repository.insert(quote);
    return quote;
  }

  /** The stored quote, active or expired; `NotFoundError` (404) when there is none. */
  async get(id: string): Promise<SignedQuote> {
    const quote = await this.options.repository.findById(id);
    if (!quote) throw new NotFoundError('quote', id);
    return this.signed(quote, this.now());
  }

  /**
   * The quote to pay against now: the stored one while active; once expired, a new quote for the same
   * store, asset and price at the current rate (with the same time to live). An expired quote is never
   * honoured.
   */
  async current(id: string): Promise<CurrentQuote> {
    const quote = await this.get(id);
    if (quote.status === 'active') return { quote, replacesQuoteId: null };
    const fresh = await this.lock({
      storeId: quote.storeId,
      asset: quote.asset,
      currency: quote.currency,
      priceMinor: quote.priceMinor,
      ttlMs: Math.min(this.maxTtlMs, Math.max(MIN_TTL_MS, quote.expiresAt.getTime() - quote.createdAt.getTime())),
    });
    return { quote: fresh, replacesQuoteId: quote.id };
  }

  /** The claims of a quote token signed by this service's key; `InvalidQuoteTokenError` otherwise. */
  verifyToken(token: string): QuoteTokenClaims {
    return this.options.signer.verify(token);
  }

  private signed(quote: Quote, nowMs: number): SignedQuote {
    return { ...quote, token: this.options.signer.sign(quote), status: quoteStatus(quote, nowMs) };
  }
}

function checkAsset(asset: string): CryptoAsset {
  if (!isCryptoAsset(asset)) throw new ValidationError(`Unsupported asset "${String(asset).slice(0, 16)}"`, { asset }, 'invalid_asset');
  return asset;
}
