import { createHash } from 'node:crypto';
import { type CheckoutId, type Clock, DomainError, ForbiddenError, NotFoundError, parseId, type RandomSource, RateLimitedError, ValidationError } from '@coinstile/core';
import { exportPayoutsCsv } from '@coinstile/merchant-payouts';
import type { Database, PayoutStatusValue } from '@coinstile/platform';
import { type ErrorRequestHandler, type Request, type RequestHandler, type Response, Router } from 'express';
import type { Logger } from 'pino';
import type { ApiKeyService } from '../auth/api-keys';
import { DASHBOARD_CSP } from '../dashboard/dashboard-router';
import { cookieValue, formBodyParser, serveHashedAssets } from '../http/server-pages';
import { apiKeyScopeSchema, type ApiKeyScope } from '../http/schemas';
import type { StreamTiming } from '../pages/event-stream-response';
import type { CheckoutUpdateHub } from '../pages/checkout-update-hub';
import { negotiateLocale } from '../pages/locale';
import { StreamConnectionLimiter } from '../pages/stream-connection-limiter';
import type { FailureLockout } from '../rate-limit/failure-lockout';
import type { StoreService } from '../stores/store-service';
import { parseWebhookUrl, resolveAllowedAddresses, type SsrfPolicy } from '../webhooks/ssrf-guard';
import { WebhookStore } from '../webhooks/webhook-store';
import { OrderInboxStream } from './order-inbox-stream';
import { PORTAL_SCRIPT_ASSET, PORTAL_STYLESHEET } from './portal-assets';
import { portalMessages, type PortalMessages } from './portal-messages';
import { checkoutsAwaitingRelease, decodeReleaseCursor, encodeReleaseCursor, listReleasedOrders, orderDetail, releasedSince } from './portal-orders';
import { listStorePayouts, monthOf, PAYOUT_STATUSES, parseStatementMonth, statementTotals } from './portal-payouts';
import { portalCsrfMatches, PORTAL_SESSION_TTL_SECONDS, type PortalSession, PortalSessionStore } from './portal-sessions';
import type { PortalShipments } from './portal-shipments';
import {
  integrationPage,
  invitationPage,
  messagePage,
  orderPage,
  orderRow,
  ordersPage,
  payoutsPage,
  type PortalViewContext,
  type RevealedSecret,
  signInPage,
  statementPage,
  usersPage,
  webhookPage,
} from './portal-views';
import { receivingWalletStatuses } from './receiving-wallets';
import { isStoreRole, type PortalPermission, roleAllows } from './store-roles';
import { InvitationNotFoundError, PasswordRefusedError, type StoreUserService } from './store-users';
import { queueTestEvent } from './webhook-test-event';

/** Sent with every portal page: the dashboard's policy (this origin's script and stylesheet only, no framing). */
export const PORTAL_CSP = DASHBOARD_CSP;

export interface PortalDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  /** `PUBLIC_URL`: https there makes the session cookie `Secure`; invitation links start with it. */
  readonly publicUrl: string;
  readonly users: StoreUserService;
  readonly stores: StoreService;
  readonly apiKeys: ApiKeyService;
  /** Hears checkout updates (the hosted page's hub); the inbox streams watch the store's checkouts through it. */
  readonly hub: CheckoutUpdateHub;
  /** Failed sign-ins per account (email) and per client IP. */
  readonly lockout: { readonly account: FailureLockout; readonly ip: FailureLockout };
  /** Webhook endpoint URLs are checked against this when created (as the API does). */
  readonly ssrf: SsrfPolicy;
  /** Shipping and cancelling released orders (merchant-payouts' escrow); absent: orders are read-only. */
  readonly shipments?: PortalShipments;
  /** Where the router is mounted (links and the cookie path); default `/store`. */
  readonly basePath?: string;
  readonly streamTiming?: Partial<StreamTiming>;
  /** How often a live inbox re-reads releases without a notification; default 3 s. */
  readonly inboxResyncMs?: number;
  /** Called after a webhook (re)delivery is queued, so an in-process dispatcher sends it at once. */
  readonly onWebhookQueued?: () => void;
}

const COOKIE = 'coinstile_store';
const DEFAULT_TIMING: StreamTiming = { retryMs: 3_000, heartbeatMs: 20_000, maxStreamMs: 10 * 60_000 };
const PAGE_SIZE = 50;
/** What carriers' tracking numbers look like (escrow's shipments table holds the same rule). */
const TRACKING_NUMBER = /^[A-Za-z0-9-]{4,64}$/;
const EVENT_TYPE = /^[a-z_]+\.[a-z_]+$/;

type DoneKey = keyof PortalMessages['done'];

function field(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

function param(req: Request, name: string): string {
  const value = req.params[name];
  return typeof value === 'string' ? value : '';
}

function sessionOf(res: Response): PortalSession {
  const session = res.locals['portalSession'] as PortalSession | undefined;
  if (!session) throw new ForbiddenError('Not signed in');
  return session;
}

/** The form's origin is this host (forms without a session, where no CSRF token exists yet). */
function sameOrigin(req: Request): boolean {
  const origin = req.get('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

/** Lockout subject of an email: its hash, so unknown emails lock out the same way (no enumeration). */
function accountSubject(email: string): string {
  return `acct:${createHash('sha256').update(email.trim().toLowerCase(), 'utf8').digest('hex')}`;
}

function scopesOf(req: Request): ApiKeyScope[] {
  const raw = (req.body as Record<string, unknown> | undefined)?.['scopes'];
  const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  const scopes = list.map((s) => apiKeyScopeSchema.safeParse(s));
  if (scopes.length === 0 || scopes.some((s) => !s.success)) throw new ValidationError('Choose one or more valid scopes', { field: 'scopes' }, 'invalid_scopes');
  return [...new Set(scopes.flatMap((s) => (s.success ? [s.data] : [])))];
}

/**
 * The store operator portal, to mount at `basePath` (default `/store`): store users sign in with email
 * and password (lockout per account and per IP; session cookie HttpOnly, SameSite=Strict, Secure behind
 * https; a new session id at every sign-in), accept invitations, and — per role — see released orders
 * live and ship or cancel them (owner, staff), payouts and monthly statements, API keys, webhooks and
 * receiving wallets, and the store's users (owner). Every POST after sign-in needs the session's CSRF
 * token; everything is the signed-in user's store only (anything else is a 404).
 */
export function createPortalRouter(deps: PortalDeps): { router: Router; close(): void } {
  const basePath = deps.basePath ?? '/store';
  const secure = deps.publicUrl.startsWith('https:');
  const sessions = new PortalSessionStore(deps.db, deps.clock, deps.random);
  const webhooks = new WebhookStore(deps.db, deps.clock, deps.random);
  const timing: StreamTiming = { ...DEFAULT_TIMING, ...deps.streamTiming };
  const streamLimiter = new StreamConnectionLimiter(5, 2_000);
  const openStreams = new Set<OrderInboxStream>();

  const sessionCookie = (value: string, maxAgeSeconds: number) =>
    `${COOKIE}=${value}; Path=${basePath}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;

  const context = (req: Request, res: Response): PortalViewContext => {
    const url = new URL(req.originalUrl, 'http://portal.invalid');
    url.searchParams.delete('lang');
    url.searchParams.delete('done');
    const session = (res.locals['portalSession'] as PortalSession | undefined) ?? null;
    return {
      locale: negotiateLocale(req.query['lang'] ?? field(req, 'lang'), req.get('accept-language')),
      basePath,
      selfPath: `${url.pathname}${url.search}`,
      csrfToken: session?.csrfToken ?? null,
      nowMs: deps.clock.now().getTime(),
      session,
    };
  };

  const sendPage = (res: Response, status: number, body: string) => {
    res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': PORTAL_CSP }).send(body);
  };

  const flashOf = (req: Request, m: PortalMessages): string | null => {
    const done = req.query['done'];
    return typeof done === 'string' && Object.hasOwn(m.done, done) ? m.done[done as DoneKey] : null;
  };

  const redirectDone = (req: Request, res: Response, fallback: string, done: DoneKey) => {
    const back = field(req, 'back');
    const path = back !== undefined && back.startsWith(`${basePath}/`) && !back.startsWith('//') && !back.includes('\\') ? back : `${basePath}${fallback}`;
    res.redirect(303, `${path}${path.includes('?') ? '&' : '?'}done=${done}&lang=${context(req, res).locale}`);
  };

  const authenticate: RequestHandler = async (req, res, next) => {
    const sessionId = cookieValue(req, COOKIE);
    const session = sessionId === undefined ? null : await sessions.find(sessionId);
    if (session !== null) {
      res.locals['portalSession'] = session;
      res.locals['portalSessionId'] = sessionId;
      next();
      return;
    }
    if (req.method === 'GET' && !req.path.endsWith('/events')) {
      res.redirect(303, `${basePath}/sign-in?lang=${context(req, res).locale}`);
      return;
    }
    res.status(401).set('Cache-Control', 'no-store').type('text/plain').send('Sign in to the store portal first\n');
  };

  /** The session's synchronizer token must come back in the form, compared in constant time. */
  const requireCsrf: RequestHandler = (req, res, next) => {
    if (!portalCsrfMatches(sessionOf(res), field(req, '_csrf'))) {
      const ctx = context(req, res);
      sendPage(res, 403, messagePage(ctx, portalMessages(ctx.locale).errors.csrf));
      return;
    }
    next();
  };

  const allow =
    (permission: PortalPermission): RequestHandler =>
    (_req, res, next) => {
      if (!roleAllows(sessionOf(res).role, permission)) throw new ForbiddenError(`The ${sessionOf(res).role} role may not use ${permission}`, { permission });
      next();
    };

  const router = Router();
  router.use(formBodyParser());
  serveHashedAssets(router, [PORTAL_STYLESHEET, PORTAL_SCRIPT_ASSET]);

  router.get('/sign-in', (req, res) => {
    const ctx = context(req, res);
    const m = portalMessages(ctx.locale);
    const done = req.query['done'];
    const flash = done === 'signedOut' ? m.signIn.signedOut : done === 'invitationAccepted' ? m.invitation.accepted : null;
    sendPage(res, 200, signInPage(ctx, { error: null, flash }));
  });

  router.post('/sign-in', async (req, res) => {
    const ctx = context(req, res);
    const m = portalMessages(ctx.locale);
    if (!sameOrigin(req)) throw new ForbiddenError('Cross-origin sign-in refused');
    const email = (field(req, 'email') ?? '').slice(0, 320);
    const password = field(req, 'password') ?? '';
    const ipSubject = `ip:${req.ip ?? 'unknown'}`;
    const account = accountSubject(email);
    const lockedFor = Math.max(await deps.lockout.ip.lockedForSeconds(ipSubject), await deps.lockout.account.lockedForSeconds(account));
    if (lockedFor > 0) {
      res.set('Retry-After', String(lockedFor));
      sendPage(res, 429, signInPage(ctx, { error: m.signIn.locked(Math.ceil(lockedFor / 60)), email }));
      return;
    }
    const user = email === '' || password === '' ? null : await deps.users.authenticate(email, password);
    if (user === null) {
      await Promise.all([deps.lockout.ip.recordFailure(ipSubject), deps.lockout.account.recordFailure(account)]);
      deps.logger.info({ ip: req.ip }, 'store portal sign-in failed');
      sendPage(res, 401, signInPage(ctx, { error: m.signIn.wrong, email }));
      return;
    }
    await deps.lockout.account.clear(account);
    // Always a new id: a session id planted in the browser before sign-in is never adopted.
    const { sessionId } = await sessions.create(user.id, cookieValue(req, COOKIE));
    deps.logger.info({ storeUserId: user.id, storeId: user.storeId }, 'store portal sign-in');
    res.set('Set-Cookie', sessionCookie(sessionId, PORTAL_SESSION_TTL_SECONDS));
    res.redirect(303, `${basePath}/orders?lang=${ctx.locale}`);
  });

  router.get('/invitations/:token', async (req, res) => {
    const ctx = context(req, res);
    const invitation = await deps.users.findInvitation(param(req, 'token'));
    if (invitation === null) throw new InvitationNotFoundError();
    sendPage(res, 200, invitationPage(ctx, { token: param(req, 'token'), email: invitation.email, role: invitation.role, storeName: invitation.storeName, error: null }));
  });

  router.post('/invitations/:token', async (req, res) => {
    const ctx = context(req, res);
    const m = portalMessages(ctx.locale);
    const token = param(req, 'token');
    const invitation = await deps.users.findInvitation(token);
    if (invitation === null) throw new InvitationNotFoundError();
    if (!sameOrigin(req)) throw new ForbiddenError('Cross-origin form refused');
    const password = field(req, 'password') ?? '';
    const again = (error: string) =>
      sendPage(res, 400, invitationPage(ctx, { token, email: invitation.email, role: invitation.role, storeName: invitation.storeName, error }));
    if (password !== (field(req, 'confirm') ?? '')) {
      again(m.invitation.mismatch);
      return;
    }
    try {
      await deps.users.acceptInvitation(token, password);
    } catch (err) {
      if (!(err instanceof PasswordRefusedError)) throw err;
      again(err.problem === 'too_short' ? m.invitation.tooShort : m.invitation.tooLong);
      return;
    }
    res.redirect(303, `${basePath}/sign-in?done=invitationAccepted&lang=${ctx.locale}`);
  });

  router.use(authenticate);

  router.post('/sign-out', requireCsrf, async (req, res) => {
    await sessions.destroy(String(res.locals['portalSessionId']));
    res.set('Set-Cookie', sessionCookie('', 0));
    res.redirect(303, `${basePath}/sign-in?done=signedOut&lang=${context(req, res).locale}`);
  });

  router.get('/', (req, res) => {
    res.redirect(303, `${basePath}/orders?lang=${context(req, res).locale}`);
  });

  // Orders: owner and staff.
  router.get('/orders', allow('orders'), async (req, res) => {
    const ctx = context(req, res);
    const { storeId } = sessionOf(res);
    const cursor = typeof req.query['cursor'] === 'string' ? req.query['cursor'] : undefined;
    const page = await listReleasedOrders(deps.db, storeId, { limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
    const newest = page.rows[0];
    const streamUrl =
      cursor !== undefined ? null : `${basePath}/orders/events${newest === undefined ? '' : `?after=${encodeURIComponent(encodeReleaseCursor(newest))}`}${newest === undefined ? '?' : '&'}lang=${ctx.locale}`;
    sendPage(res, 200, ordersPage(ctx, { page, isFirst: cursor === undefined, streamUrl, flash: flashOf(req, portalMessages(ctx.locale)) }));
  });

  router.get('/orders/events', allow('orders'), async (req, res) => {
    const ctx = context(req, res);
    const session = sessionOf(res);
    const lastEventId = req.get('last-event-id');
    const after = lastEventId ?? (typeof req.query['after'] === 'string' ? req.query['after'] : undefined);
    const start = after === undefined ? null : decodeReleaseCursor(after);
    const release = streamLimiter.tryAcquire(session.userId);
    if (release === null) throw new RateLimitedError(Math.ceil(timing.retryMs / 1000));
    const stream = new OrderInboxStream(res, start, {
      hub: deps.hub,
      logger: deps.logger,
      timing,
      resyncMs: deps.inboxResyncMs ?? 3_000,
      releasedSince: (cursor, limit) => releasedSince(deps.db, session.storeId, cursor, limit),
      awaitingRelease: () => checkoutsAwaitingRelease(deps.db, session.storeId, 500),
      renderRow: (order) => orderRow(ctx, order).value,
      onEnd: () => {
        release();
        openStreams.delete(stream);
      },
    });
    openStreams.add(stream);
  });

  router.get('/orders/:id', allow('orders'), async (req, res) => {
    const ctx = context(req, res);
    const detail = await orderDetail(deps.db, sessionOf(res).storeId, param(req, 'id'));
    const shipping = deps.shipments === undefined ? null : { carriers: await deps.shipments.listCarriers() };
    sendPage(res, 200, orderPage(ctx, detail, shipping, flashOf(req, portalMessages(ctx.locale))));
  });

  /** A released order of the signed-in store (404 for anything else), and the shipments service. */
  const shippable = async (req: Request, res: Response): Promise<{ shipments: PortalShipments; checkoutId: CheckoutId }> => {
    const detail = await orderDetail(deps.db, sessionOf(res).storeId, param(req, 'id'));
    if (deps.shipments === undefined) throw new NotFoundError('shipments', 'not available');
    return { shipments: deps.shipments, checkoutId: detail.order.checkoutId as CheckoutId };
  };

  router.post('/orders/:id/ship', allow('orders'), requireCsrf, async (req, res) => {
    const { shipments, checkoutId } = await shippable(req, res);
    const carrierId = (field(req, 'carrierId') ?? '').trim();
    const trackingNumber = (field(req, 'trackingNumber') ?? '').trim();
    if (carrierId === '' || carrierId.length > 64) throw new ValidationError('Choose a carrier', { field: 'carrierId' });
    if (!TRACKING_NUMBER.test(trackingNumber)) throw new ValidationError('The tracking number must be 4 to 64 letters, digits or dashes', { field: 'trackingNumber' });
    const { storeId, userId } = sessionOf(res);
    await shipments.registerShipment({ storeId, checkoutId, carrierId, trackingNumber });
    deps.logger.info({ storeId, checkoutId, storeUserId: userId }, 'order marked shipped in the store portal');
    res.redirect(303, `${basePath}/orders/${checkoutId}?done=shipped&lang=${context(req, res).locale}`);
  });

  router.post('/orders/:id/cancel', allow('orders'), requireCsrf, async (req, res) => {
    const { shipments, checkoutId } = await shippable(req, res);
    const reason = (field(req, 'reason') ?? '').trim();
    if (reason === '' || reason.length > 500) throw new ValidationError('Give a reason (up to 500 characters)', { field: 'reason' });
    const { storeId, userId } = sessionOf(res);
    await shipments.cancelBeforeAcceptance({ storeId, checkoutId, reason });
    deps.logger.info({ storeId, checkoutId, storeUserId: userId }, 'order cancelled in the store portal');
    res.redirect(303, `${basePath}/orders/${checkoutId}?done=cancelled&lang=${context(req, res).locale}`);
  });

  // Payouts: owner only.
  router.get('/payouts', allow('payouts'), async (req, res) => {
    const ctx = context(req, res);
    const statusText = req.query['status'];
    let status: PayoutStatusValue | null = null;
    if (statusText !== undefined) {
      status = PAYOUT_STATUSES.find((s) => s === statusText) ?? null;
      if (status === null) throw new ValidationError('Unknown payout status', { field: 'status' });
    }
    const payouts = await listStorePayouts(deps.db, sessionOf(res).storeId, { limit: 200, ...(status === null ? {} : { status }) });
    sendPage(res, 200, payoutsPage(ctx, { status, payouts, currentMonth: monthOf(deps.clock.now()) }));
  });

  router.get('/payouts/statement', allow('payouts'), async (req, res) => {
    const ctx = context(req, res);
    const month = parseStatementMonth(req.query['month']);
    const session = sessionOf(res);
    const payouts = await listStorePayouts(deps.db, session.storeId, { month, limit: 100_000 });
    sendPage(res, 200, statementPage(ctx, { storeName: session.storeName, month, payouts, totals: statementTotals(payouts) }));
  });

  router.get('/payouts/statement.csv', allow('payouts'), async (req, res) => {
    const month = parseStatementMonth(req.query['month']);
    const { storeId } = sessionOf(res);
    const csv = await exportPayoutsCsv(deps.db, { storeId, from: month.from, to: month.to });
    res
      .status(200)
      .set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="payouts-${storeId}-${month.text}.csv"`, 'Cache-Control': 'no-store' })
      .send(csv);
  });

  // Integration: owner only.
  const renderIntegration = async (req: Request, res: Response, status: number, revealed: RevealedSecret | null, error: string | null = null) => {
    const ctx = context(req, res);
    const { storeId } = sessionOf(res);
    const [keys, endpoints, wallets] = await Promise.all([deps.apiKeys.list(storeId), webhooks.listEndpoints(storeId), receivingWalletStatuses(deps.db, deps.stores, storeId)]);
    sendPage(res, status, integrationPage(ctx, { keys, endpoints, wallets, revealed, flash: flashOf(req, portalMessages(ctx.locale)), error }));
  };

  router.get('/integration', allow('integration'), async (req, res) => {
    await renderIntegration(req, res, 200, null);
  });

  router.post('/api-keys', allow('integration'), requireCsrf, async (req, res) => {
    const scopes = scopesOf(req);
    const { storeId, userId } = sessionOf(res);
    const { key, view } = await deps.apiKeys.create(storeId, scopes);
    deps.logger.info({ storeId, keyId: view.id, storeUserId: userId }, 'API key created in the store portal');
    // The only response that ever contains the key.
    await renderIntegration(req, res, 201, { kind: 'api_key', value: key });
  });

  router.post('/api-keys/:keyId/revoke', allow('integration'), requireCsrf, async (req, res) => {
    const { storeId, userId } = sessionOf(res);
    const view = await deps.apiKeys.revoke(storeId, param(req, 'keyId'));
    deps.logger.info({ storeId, keyId: view.id, storeUserId: userId }, 'API key revoked in the store portal');
    redirectDone(req, res, '/integration', 'keyRevoked');
  });

  router.post('/webhooks', allow('integration'), requireCsrf, async (req, res) => {
    const url = parseWebhookUrl((field(req, 'url') ?? '').trim());
    const eventTypes = (field(req, 'eventTypes') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    if (eventTypes.length > 50 || eventTypes.some((t) => t.length > 64 || !EVENT_TYPE.test(t))) {
      throw new ValidationError('Event types look like order.released, comma-separated', { field: 'eventTypes' });
    }
    const description = (field(req, 'description') ?? '').trim();
    if (description.length > 500) throw new ValidationError('The description is too long', { field: 'description' });
    await resolveAllowedAddresses(url.hostname, deps.ssrf);
    const { view, secret } = await webhooks.createEndpoint(sessionOf(res).storeId, { url: url.toString(), eventTypes, description });
    await renderIntegration(req, res, 201, { kind: 'webhook_secret', value: secret, endpointId: view.id });
  });

  router.get('/webhooks/:id', allow('integration'), async (req, res) => {
    const ctx = context(req, res);
    const { storeId } = sessionOf(res);
    const endpoint = await webhooks.getEndpoint(storeId, param(req, 'id'));
    const { data: deliveries } = await webhooks.listDeliveries(storeId, endpoint.id, { limit: 20 });
    const deliveryId = typeof req.query['delivery'] === 'string' ? req.query['delivery'] : undefined;
    const selected = deliveryId === undefined ? null : await webhooks.getDelivery(storeId, endpoint.id, deliveryId);
    sendPage(res, 200, webhookPage(ctx, { endpoint, deliveries, selected, flash: flashOf(req, portalMessages(ctx.locale)) }));
  });

  router.post('/webhooks/:id/deliveries/:deliveryId/redeliver', allow('integration'), requireCsrf, async (req, res) => {
    await webhooks.redeliver(sessionOf(res).storeId, param(req, 'id'), param(req, 'deliveryId'));
    deps.onWebhookQueued?.();
    redirectDone(req, res, `/webhooks/${encodeURIComponent(param(req, 'id'))}`, 'redelivered');
  });

  router.post('/webhooks/:id/test', allow('integration'), requireCsrf, async (req, res) => {
    const { storeId } = sessionOf(res);
    const endpoint = await webhooks.getEndpoint(storeId, param(req, 'id'));
    await queueTestEvent(deps.db, deps.clock, deps.random, storeId, endpoint);
    deps.onWebhookQueued?.();
    redirectDone(req, res, `/webhooks/${endpoint.id}`, 'testQueued');
  });

  // Users: owner only.
  const renderUsers = async (req: Request, res: Response, status: number, invitation: { url: string; expiresAt: Date } | null) => {
    const ctx = context(req, res);
    const users = await deps.users.list(sessionOf(res).storeId);
    sendPage(res, status, usersPage(ctx, { users, invitation, flash: flashOf(req, portalMessages(ctx.locale)), error: null }));
  };

  router.get('/users', allow('users'), async (req, res) => {
    await renderUsers(req, res, 200, null);
  });

  router.post('/users', allow('users'), requireCsrf, async (req, res) => {
    const role = field(req, 'role');
    if (!isStoreRole(role)) throw new ValidationError('Choose owner or staff', { field: 'role' });
    const session = sessionOf(res);
    const issued = await deps.users.invite({ storeId: session.storeId, email: field(req, 'email') ?? '', role, inviter: { kind: 'store_user', userId: session.userId } });
    deps.logger.info({ storeId: session.storeId, invitedUserId: issued.user.id, storeUserId: session.userId }, 'store user invited in the store portal');
    await renderUsers(req, res, 201, { url: invitationUrl(deps.publicUrl, basePath, issued.token), expiresAt: issued.expiresAt });
  });

  router.post('/users/:id/disable', allow('users'), requireCsrf, async (req, res) => {
    const session = sessionOf(res);
    const userId = parseId('su', param(req, 'id'));
    if (userId === session.userId) throw new ValidationError('You cannot disable yourself', { field: 'id' }, 'cannot_disable_self');
    await deps.users.disable(session.storeId, userId);
    redirectDone(req, res, '/users', 'userDisabled');
  });

  const errorPage: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const ctx = context(req, res);
    const m = portalMessages(ctx.locale);
    if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    if (err instanceof DomainError && err.httpStatus < 500) {
      const text =
        err instanceof InvitationNotFoundError
          ? m.invitation.invalid
          : err.httpStatus === 404
            ? m.errors.notFound
            : err.httpStatus === 403
              ? m.errors.forbidden
              : err.httpStatus === 409
                ? `${m.errors.conflict} (${err.message})`
                : `${m.errors.badRequest} (${err.message})`;
      sendPage(res, err.httpStatus, messagePage(ctx, text));
      return;
    }
    // Body parser errors (oversized or malformed forms) carry their own 4xx status.
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendPage(res, status, messagePage(ctx, m.errors.badRequest));
      return;
    }
    next(err);
  };
  router.use(errorPage);

  return {
    router,
    close() {
      for (const stream of [...openStreams]) stream.end();
    },
  };
}

/** The one-time link an invitee opens to set their password. */
export function invitationUrl(publicUrl: string, basePath: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${basePath}/invitations/${token}`;
}
