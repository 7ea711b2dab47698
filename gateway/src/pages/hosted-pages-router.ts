import {
  type CheckoutId,
  type Clock,
  type CryptoAsset,
  isCryptoAsset,
  isDomainError,
  parseId,
  ValidationError,
} from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CheckoutEventStream, type RenderedState, type StreamTiming } from './checkout-event-stream';
import { CheckoutUpdateHub } from './checkout-update-hub';
import { HostedCheckoutReader, type HostedStoreDirectory } from './hosted-checkout-reader';
import { trustedHtml } from './html';
import { type HostedCheckoutSnapshot, isFinalView, pagePaths, renderCheckoutSection, viewKey } from './hosted-checkout-view';
import { type Locale, negotiateLocale } from './locale';
import { type ActionFailure, messagesFor } from './messages';
import { HOSTED_PAGE_SCRIPT, HOSTED_PAGE_STYLES, type PageAsset } from './page-assets';
import { HOSTED_PAGE_CSP, renderMessagePage, renderShell } from './page-shell';
import { StreamConnectionLimiter } from './stream-connection-limiter';

/**
 * The shopper's actions on the page (the gateway's `CheckoutService` implements them). Both return once
 * the checkout has been written; they throw the domain errors the page explains (422, 503, 404).
 */
export interface HostedCheckoutActions {
  /** Picks the asset of a checkout that has none yet: a fresh address and a locked quote. */
  chooseAsset(checkoutId: string, asset: CryptoAsset): Promise<unknown>;
  /** Renews an expired quote of an open, unpaid checkout (keeps a quote still valid). */
  renewQuote(checkoutId: string): Promise<unknown>;
  /** Pays part or all of the checkout from a shopper account's balance (absent: the page offers no balance form). */
  payWithBalance?(checkoutId: string, accountId: string, accessCode: string): Promise<unknown>;
  /** Applies a voucher PIN to the checkout, guarded per client IP and checkout (absent: no voucher form). */
  applyVoucher?(checkoutId: string, pin: string, clientIp: string): Promise<unknown>;
}

export interface HostedPagesOptions {
  /** How often the shared poller reads the versions of the checkouts with an open page. Default 2 s. */
  readonly pollIntervalMs?: number;
  /** Default 3 s. */
  readonly retryMs?: number;
  /** Default 15 s. */
  readonly heartbeatMs?: number;
  /** Default 15 min. */
  readonly maxStreamMs?: number;
  /** Open live streams per client IP. Default 20. */
  readonly maxStreamsPerIp?: number;
  /** Open live streams in this process. Default 10,000. */
  readonly maxStreams?: number;
}

export interface HostedPagesDeps {
  readonly db: Database;
  readonly checkouts: HostedCheckoutActions;
  readonly stores: HostedStoreDirectory;
  /**
   * A Redis connection for this router alone (`runtime.redisConnection('worker', 'hosted-pages')`): it is
   * put in subscriber mode to hear `publishCheckoutUpdate`. Its owner closes it after `close()`.
   */
  readonly subscriber: Redis;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `PUBLIC_URL`: form posts must come from this origin (or the host the request was addressed to). */
  readonly publicUrl: string;
  /** The BIP21 / EIP-681 URI asking for `amountBase` of `asset` at `address` (the gateway's `paymentUri`). */
  readonly paymentUri: (asset: CryptoAsset, address: string, amountBase: bigint) => string;
  /**
   * The process lifecycle: once it is shutting down, open streams end (browsers reconnect to another
   * replica) and new ones get 503, so the HTTP server's graceful close is not held up by them.
   */
  readonly shutdown?: { readonly isShuttingDown: boolean };
  readonly options?: HostedPagesOptions;
}

export interface HostedPages {
  /** Mount at the root: serves `/pay/{id}`, `/pay/{id}/events`, the page's POSTs and `/pay/assets/*`. */
  readonly router: Router;
  /** Live streams open right now. */
  readonly openStreams: () => number;
  /** Reads the versions of every checkout with an open stream now (the poller does it every interval anyway). */
  pollNow(): Promise<void>;
  /** Ends every live stream and stops listening for updates (call before the HTTP server closes). */
  close(): Promise<void>;
}

/** Form posts are a few bytes; anything bigger is not from the page. */
const FORM_LIMIT = '1kb';
/** How often the router checks whether the process started shutting down. */
const SHUTDOWN_CHECK_MS = 100;

/**
 * The hosted checkout page: asset choice, payment instructions with QR and countdown, live status over
 * Server-Sent Events, settled / expired / invalid views; English and Japanese; no script or style from
 * anywhere but this router (strict CSP). Public: the unguessable checkout id is the shopper's capability.
 */
export function createHostedPagesRouter(deps: HostedPagesDeps): HostedPages {
  const options = deps.options ?? {};
  const timing: StreamTiming = {
    retryMs: options.retryMs ?? 3_000,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    maxStreamMs: options.maxStreamMs ?? 15 * 60_000,
  };
  const reader = new HostedCheckoutReader(deps.db, deps.stores);
  const hub = new CheckoutUpdateHub({
    subscriber: deps.subscriber,
    db: deps.db,
    logger: deps.logger,
    pollIntervalMs: options.pollIntervalMs ?? 2_000,
  });
  const limiter = new StreamConnectionLimiter(options.maxStreamsPerIp ?? 20, options.maxStreams ?? 10_000);
  const streams = new Set<CheckoutEventStream>();
  const allowedOrigins = new Set([new URL(deps.publicUrl).origin]);
  const shuttingDown = (): boolean => deps.shutdown?.isShuttingDown === true;
  const endAll = (): void => {
    for (const stream of [...streams]) stream.end();
  };
  const shutdownWatch =
    deps.shutdown === undefined
      ? undefined
      : setInterval(() => {
          if (shuttingDown() && streams.size > 0) endAll();
        }, SHUTDOWN_CHECK_MS);
  shutdownWatch?.unref();

  const renderState = async (snapshot: HostedCheckoutSnapshot, locale: Locale, now: Date): Promise<RenderedState> => {
    const messages = messagesFor(locale);
    const section = await renderCheckoutSection(snapshot, { locale, messages, now, paymentUri: deps.paymentUri, offersBalance: deps.checkouts.payWithBalance !== undefined, offersVouchers: deps.checkouts.applyVoucher !== undefined });
    return {
      key: viewKey(snapshot.checkout, now),
      final: isFinalView(snapshot.checkout, now),
      title: messages.pageTitle(snapshot.storeName),
      html: section.value,
    };
  };

  const loadOrThrow = async (idText: string): Promise<HostedCheckoutSnapshot> => {
    const snapshot = await reader.load(parseId('co', idText));
    if (snapshot === null) throw new PageNotFoundError();
    return snapshot;
  };

  const router = express.Router();
  router.get(HOSTED_PAGE_STYLES.path, serveAsset(HOSTED_PAGE_STYLES));
  router.get(HOSTED_PAGE_SCRIPT.path, serveAsset(HOSTED_PAGE_SCRIPT));

  router.get('/pay/:id', async (req, res) => {
    const locale = localeOf(req);
    const snapshot = await loadOrThrow(req.params.id ?? '');
    const now = deps.clock.now();
    const state = await renderState(snapshot, locale, now);
    const paths = pagePaths(snapshot.checkout.id, locale);
    const m = messagesFor(locale);
    sendPage(
      res,
      200,
      locale,
      renderShell({
        locale,
        title: state.title,
        heading: m.payStore(snapshot.storeName),
        selfPath: `/pay/${snapshot.checkout.id}`,
        main: trustedHtml(state.html),
        stateKey: state.key,
        ...(state.final ? {} : { eventsUrl: paths.events }),
      }),
    );
  });

  router.get('/pay/:id/events', async (req, res) => {
    const locale = localeOf(req);
    const snapshot = await loadOrThrow(req.params.id ?? '');
    const lastEventId = req.get('last-event-id') ?? (typeof req.query.since === 'string' ? req.query.since : undefined);
    const now = deps.clock.now();
    if (isFinalView(snapshot.checkout, now) && lastEventId === viewKey(snapshot.checkout, now)) {
      // The page already shows the final state: 204 tells EventSource not to reconnect.
      res.status(204).end();
      return;
    }
    if (shuttingDown()) {
      res.status(503).set('Retry-After', '5').type('text/plain; charset=utf-8').send(messagesFor(locale).errorBody);
      return;
    }
    const release = limiter.tryAcquire(req.ip ?? 'unknown');
    if (release === null) {
      res.status(429).set('Retry-After', '30').type('text/plain; charset=utf-8').send(messagesFor(locale).tooManyConnections);
      return;
    }
    const stream: CheckoutEventStream = new CheckoutEventStream(res, snapshot, lastEventId, {
      hub,
      clock: deps.clock,
      logger: deps.logger,
      timing,
      load: () => reader.load(snapshot.checkout.id),
      render: (s, at) => renderState(s, locale, at),
      onEnd: () => {
        release();
        streams.delete(stream);
      },
    });
    streams.add(stream);
  });

  const form = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 5 });

  router.post('/pay/:id/asset', requireSameOrigin(allowedOrigins), form, async (req, res) => {
    const id = parseId('co', req.params.id);
    const asset: unknown = (req.body as Record<string, unknown> | undefined)?.asset;
    if (!isCryptoAsset(asset)) throw new ValidationError('Choose one of the offered assets', { field: 'asset' });
    await deps.checkouts.chooseAsset(id, asset);
    res.redirect(303, pagePaths(id, localeOf(req)).page);
  });

  router.post('/pay/:id/quote', requireSameOrigin(allowedOrigins), form, async (req, res) => {
    const id = parseId('co', req.params.id);
    await deps.checkouts.renewQuote(id);
    res.redirect(303, pagePaths(id, localeOf(req)).page);
  });

  router.post('/pay/:id/balance', requireSameOrigin(allowedOrigins), form, async (req, res) => {
    const id = parseId('co', req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { account, code } = body;
    if (deps.checkouts.payWithBalance === undefined) throw new PageNotFoundError();
    if (typeof account !== 'string' || typeof code !== 'string') throw new ValidationError('Enter the account number and access code', { field: 'account' });
    await deps.checkouts.payWithBalance(id, account, code);
    res.redirect(303, pagePaths(id, localeOf(req)).page);
  });

  router.post('/pay/:id/voucher', requireSameOrigin(allowedOrigins), form, async (req, res) => {
    const id = parseId('co', req.params.id);
    const pin: unknown = (req.body as Record<string, unknown> | undefined)?.pin;
    if (deps.checkouts.applyVoucher === undefined) throw new PageNotFoundError();
    if (typeof pin !== 'string') throw new ValidationError('Enter the voucher PIN', { field: 'pin' });
    await deps.checkouts.applyVoucher(id, pin, req.ip ?? 'unknown');
    res.redirect(303, pagePaths(id, localeOf(req)).page);
  });

  router.use('/pay', () => {
    throw new PageNotFoundError();
  });

  router.use(pageErrorHandler(deps.logger));

  return {
    router,
    openStreams: () => limiter.openCount,
    pollNow: () => hub.poll(),
    async close() {
      if (shutdownWatch !== undefined) clearInterval(shutdownWatch);
      endAll();
      await hub.close();
    },
  };
}

/** An unknown checkout or path under `/pay`. */
class PageNotFoundError extends Error {
  override readonly name = 'PageNotFoundError';
}

/** A form post that did not come from the page (CSRF). */
class CrossOriginPostError extends Error {
  override readonly name = 'CrossOriginPostError';
}

function localeOf(req: Request): Locale {
  return negotiateLocale(req.query.lang, req.get('accept-language'));
}

function sendPage(res: Response, status: number, locale: Locale, body: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': HOSTED_PAGE_CSP,
      'Cache-Control': 'no-store',
      'Content-Language': locale,
      Vary: 'Accept-Language',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
    })
    .send(body);
}

function serveAsset(asset: PageAsset): RequestHandler {
  return (_req, res) => {
    res
      .status(200)
      .set({
        'Content-Type': asset.contentType,
        'Cache-Control': 'public, max-age=31536000, immutable',
        'X-Content-Type-Options': 'nosniff',
      })
      .send(asset.body);
  };
}

/**
 * Form posts must come from a page of this origin: `Sec-Fetch-Site: same-origin` where browsers send it,
 * else an `Origin` equal to `PUBLIC_URL`'s or to the origin the request was addressed to. There are no
 * cookies, but a cross-site form must still not pick assets on a shopper's behalf.
 */
function requireSameOrigin(allowedOrigins: ReadonlySet<string>): RequestHandler {
  return (req, _res, next) => {
    const site = req.get('sec-fetch-site');
    if (site !== undefined) {
      next(site === 'same-origin' ? undefined : new CrossOriginPostError());
      return;
    }
    const origin = req.get('origin');
    const own = `${req.protocol}://${req.get('host') ?? ''}`;
    next(origin !== undefined && (allowedOrigins.has(origin) || origin === own) ? undefined : new CrossOriginPostError());
  };
}

function actionFailure(code: string): ActionFailure {
  switch (code) {
    case 'checkout_not_payable':
    case 'store_not_active':
      return 'checkout_not_payable';
    case 'asset_not_accepted':
    case 'asset_not_configured':
      return 'asset_not_accepted';
    case 'rates_unavailable':
      return 'rates_unavailable';
    case 'quote_not_renewable':
      return 'quote_not_renewable';
    case 'concurrent_update':
      return 'concurrent_update';
    case 'insufficient_balance':
      return 'insufficient_balance';
    case 'unauthenticated':
    case 'shopper_account_not_usable':
    case 'currency_mismatch':
    case 'tender_not_applicable':
    case 'top_up_needs_crypto':
      return 'balance_refused';
    case 'invalid_pin':
    case 'voucher_not_found':
    case 'voucher_not_activated':
    case 'voucher_exhausted':
    case 'voucher_expired':
    case 'voucher_voided':
      return 'voucher_refused';
    case 'pin_attempts_locked':
      return 'voucher_locked';
    default:
      return 'bad_request';
  }
}

/** Every failure under `/pay` answers with a page in the shopper's language, never a stack trace or JSON. */
function pageErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const locale = localeOf(req);
    const m = messagesFor(locale);
    // Error handlers see no route params: a refused action links back to the page it came from.
    const actionOf = req.method === 'POST' ? /^\/pay\/(co_[0-9A-Z]{26})\/[a-z]+$/.exec(req.path)?.[1] : undefined;
    const back = actionOf === undefined ? undefined : { href: pagePaths(actionOf, locale).page, label: m.backToPayment };
    const selfPath = actionOf === undefined ? req.path : `/pay/${actionOf}`;
    const page = (status: number, title: string, body: string): void =>
      sendPage(res, status, locale, renderMessagePage({ locale, title, body, selfPath, ...(back ? { back } : {}) }));

    if (err instanceof PageNotFoundError) return page(404, m.notFoundTitle, m.notFoundBody);
    if (err instanceof CrossOriginPostError) return page(403, m.actionFailedTitle, m.actionFailures.cross_origin);
    if (isDomainError(err)) {
      if (err.code === 'invalid_id') return page(400, m.badLinkTitle, m.badLinkBody);
      if (err.httpStatus === 404) return page(404, m.notFoundTitle, m.notFoundBody);
      if (err.httpStatus < 500 || err.code === 'rates_unavailable') {
        return page(err.httpStatus, m.actionFailedTitle, m.actionFailures[actionFailure(err.code)]);
      }
    }
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 400 && status < 500) return page(status, m.actionFailedTitle, m.actionFailures.bad_request);
    logger.error({ err, method: req.method, path: req.path }, 'hosted page failed');
    return page(500, m.errorTitle, m.errorBody);
  };
}
