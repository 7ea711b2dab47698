import { formatAmount, NotFoundError, ValidationError } from '@coinstile/core';
import { type Request, type RequestHandler, Router } from 'express';
import type { RateResolution } from '../aggregation/aggregated-rate';
import { type Pair, parsePairKey } from '../pair';
import type { QuoteService, SignedQuote } from '../quotes/quote-service';
import type { RateService, SourceStatus } from '../rates/rate-service';

export interface FxRouterOptions {
  readonly rates: RateService;
  readonly quotes: QuoteService;
  /** Authenticates `GET /v1/rates` and `GET /v1/quotes/:id` (the gateway's store-or-operator auth). */
  readonly auth: RequestHandler;
  /** Authenticates the operator view `GET /v1/fx/sources`; default `auth`. */
  readonly operatorAuth?: RequestHandler;
  /** Whether the authenticated caller may see this quote (e.g. it belongs to the caller's store); default yes. */
  readonly canReadQuote?: (req: Request, quote: SignedQuote) => boolean;
  readonly now?: () => number;
}

const DEMO_LABEL = 'demo rates';
const MAX_PAIRS_PER_REQUEST = 50;

/**
 * `GET /v1/rates[?pairs=BTC-USD,ETH-JPY]`, `GET /v1/quotes/:id` and the operator's `GET /v1/fx/sources`.
 * Errors go to `next` as domain errors (the gateway's error handler renders them).
 */
export function createFxRouter(options: FxRouterOptions): Router {
  const router = Router();
  const now = options.now ?? Date.now;

  router.get('/v1/rates', options.auth, async (req, res) => {
    const pairs = requestedPairs(req.query['pairs']);
    const resolutions = await options.rates.listRates(pairs);
    res.json({ data: resolutions.map((resolution) => rateView(resolution, now())) });
  });

  router.get('/v1/quotes/:id', options.auth, async (req, res) => {
    const id = String(req.params['id']);
    const quote = await options.quotes.get(id);
    // Someone else's quote is reported exactly like a missing one.
    if (options.canReadQuote && !options.canReadQuote(req, quote)) throw new NotFoundError('quote', id);
    res.json(quoteView(quote));
  });

  router.get('/v1/fx/sources', options.operatorAuth ?? options.auth, async (_req, res) => {
    const statuses = await options.rates.sourceStatuses();
    res.json({ data: statuses.map((status) => sourceView(status, now())) });
  });

  return router;
}

function requestedPairs(raw: unknown): Pair[] | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new ValidationError('pairs must be a comma list like BTC-USD,ETH-JPY', { pairs: raw }, 'invalid_pair');
  }
  const keys = raw.split(',');
  if (keys.length > MAX_PAIRS_PER_REQUEST) throw new ValidationError(`At most ${MAX_PAIRS_PER_REQUEST} pairs per request`, undefined, 'invalid_pair');
  return keys.map(parsePairKey);
}

export function rateView(resolution: RateResolution, nowMs: number): Record<string, unknown> {
  if (resolution.kind === 'unavailable') {
    return { pair: resolution.pair, available: false, reason: resolution.reason, message: resolution.detail };
  }
  const { rate } = resolution;
  return {
    pair: rate.pair,
    available: true,
    rate: rate.rate,
    ageSeconds: Math.max(0, Math.round((nowMs - rate.observedAtMs) / 1000)),
    observedAt: new Date(rate.observedAtMs).toISOString(),
    sources: rate.sources.map((component) => ({
      source: component.source,
      pair: component.pair,
      value: component.value,
      observedAt: new Date(component.observedAtMs).toISOString(),
    })),
    outliers: rate.outliers.map((component) => ({ source: component.source, pair: component.pair, value: component.value })),
    demo: rate.demo,
    ...(rate.demo ? { label: DEMO_LABEL } : {}),
  };
}

export function quoteView(quote: SignedQuote): Record<string, unknown> {
  return {
    id: quote.id,
    storeId: quote.storeId,
    status: quote.status,
    asset: quote.asset,
    currency: quote.currency,
    price: formatAmount(quote.priceMinor, quote.currency),
    amountDue: formatAmount(quote.amountDueBase, quote.asset),
    amountDueBase: quote.amountDueBase.toString(),
    rate: quote.rate,
    marketRate: quote.marketRate,
    spreadBps: quote.spreadBps,
    sources: quote.sources.map((component) => ({
      source: component.source,
      pair: component.pair,
      value: component.value,
      observedAt: new Date(component.observedAtMs).toISOString(),
    })),
    demo: quote.demo,
    ...(quote.demo ? { label: DEMO_LABEL } : {}),
    createdAt: quote.createdAt.toISOString(),
    expiresAt: quote.expiresAt.toISOString(),
    token: quote.token,
  };
}

export function sourceView(status: SourceStatus, nowMs: number): Record<string, unknown> {
  const breaker = status.health?.breaker ?? null;
  return {
    source: status.source,
    demo: status.demo,
    ...(status.demo ? { label: DEMO_LABEL } : {}),
    breaker: breaker?.status ?? 'unknown',
    consecutiveFailures: breaker?.consecutiveFailures ?? 0,
    retryAt: breaker?.status === 'open' ? new Date(breaker.retryAtMs).toISOString() : null,
    lastSuccessAt: status.health?.lastSuccessAtMs ? new Date(status.health.lastSuccessAtMs).toISOString() : null,
    lastFailureAt: status.health?.lastFailureAtMs ? new Date(status.health.lastFailureAtMs).toISOString() : null,
    lastError: status.health?.lastError ?? null,
    values: status.values.map((value) => ({
      pair: value.pair,
      value: value.value,
      observedAt: new Date(value.observedAtMs).toISOString(),
      ageSeconds: Math.max(0, Math.round((nowMs - value.observedAtMs) / 1000)),
      fresh: value.fresh,
    })),
  };
}
