import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, parseId, type PayoutId, RateLimitedError } from '@coinstile/core';
import type { SourceStatus } from '@coinstile/fx-oracle';
import { exportPayoutsCsv, reconcilePayouts } from '@coinstile/merchant-payouts';
import { createQueue, PIPELINE_QUEUES, type ServiceRuntime } from '@coinstile/platform';
import type { Queue } from 'bullmq';
import { type ErrorRequestHandler, type Request, type RequestHandler, type Response, Router } from 'express';
import type { OperatorAuthenticator } from '../auth/operator-auth';
import { cookieValue, formBodyParser, serveHashedAssets } from '../http/server-pages';
import { negotiateLocale } from '../pages/locale';
import type { RateLimiter } from '../rate-limit/rate-limiter';
import { chainTips, DAY_MS, detectionLatency, settledVolumePerHour } from './chart-data';
import { chartsPage, systemPage } from './chart-views';
import { DASHBOARD_SCRIPT, DASHBOARD_STYLES } from './dashboard-assets';
import { CHECKOUT_STATUSES, checkoutDetail, listCheckouts, listPayouts, listStores, PAYOUT_STATUSES, parseListFilter } from './dashboard-lists';
import { type DashboardMessages, dashboardMessages } from './dashboard-messages';
import { dashboardKysely } from './dashboard-schema';
import { escrowOverview, escrowPage } from './escrow-overview';
import { reconciliationPage } from './payout-reconciliation-page';
import { shopperAccountsOverview, shopperAccountsPage } from './shopper-accounts-overview';
import { vouchersOverview, vouchersPage } from './vouchers-overview';
import { csrfTokenMatches, DASHBOARD_SESSION_TTL_SECONDS, type DashboardSession, DashboardSessionStore } from './dashboard-sessions';
import { checkoutDetailPage, checkoutsPage, messagePage, payoutsPage, queuePage, signInPage, type ViewContext } from './dashboard-views';
import { QueueDepthSampler, readQueueDepthSamples } from './queue-depth-sampler';
import { SettlementQueueReader } from './settlement-queue';

/**
 * What the operator does to payouts by hand; merchant-payouts' `PayoutOperator` is one. Without it the
 * dashboard shows payouts but offers no payout buttons.
 */
export interface DashboardPayoutActions {
  /** `failed | returned → scheduled` (a new attempt). */
  retry(payoutId: PayoutId): Promise<unknown>;
  /** `sent → paid`, with the bank's reference when the operator has one. */
  markPaid(payoutId: PayoutId, providerReference?: string): Promise<unknown>;
}

export interface DashboardDeps extends Pick<ServiceRuntime, 'db' | 'redis' | 'config' | 'logger' | 'clock' | 'random' | 'lifecycle'> {
  /** Verifies the operator token at sign-in and for `Authorization: Bearer` callers. */
  readonly operatorAuth: OperatorAuthenticator;
  /** Failed sign-ins spend the client IP's budget (guessing tokens is rate limited). */
  readonly limiter?: RateLimiter;
  /** BullMQ queues shown and sampled; default every pipeline queue. */
  readonly queueNames?: readonly string[];
  readonly payoutActions?: DashboardPayoutActions;
  /** FX sources' health (`RateService.sourceStatuses`), when the FX oracle runs in this process. */
  readonly fxStatus?: () => Promise<readonly SourceStatus[]>;
  /** Where the router is mounted (links and the cookie path); default `/dashboard`. */
  readonly basePath?: string;
  /** Queue-depth sampling interval; default 10 s. */
  readonly sampleIntervalMs?: number;
}

/** Sent with every dashboard page: this origin's script and stylesheet only, inline SVG, no framing. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * bull-board's UI: its bundled scripts, inline styles, and its stylesheet's Google fonts (absent offline,
 * the UI falls back to system fonts). No `upgrade-insecure-requests`, so it also works on plain http.
 */
export const BULL_BOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  "font-src 'self' data: https://fonts.gstatic.com",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

const COOKIE = 'coinstile_dashboard';
const BEARER = /^Bearer ([\x21-\x7e]{1,200})$/;

/** Who is using the dashboard: a browser session (forms need its CSRF token) or a script with a bearer token. */
type DashboardCaller =
  | { readonly via: 'session'; readonly sessionId: string; readonly session: DashboardSession }
  | { readonly via: 'bearer'; readonly tokenId: string };

function callerOf(res: Response): DashboardCaller {
  const caller = res.locals['dashboardCaller'] as DashboardCaller | undefined;
  if (!caller) throw new ForbiddenError('Not signed in');
  return caller;
}

/** Which operator token acted (for the log; never the session id or its CSRF token). */
function operatorTokenIdOf(res: Response): string {
  const caller = callerOf(res);
  return caller.via === 'session' ? caller.session.tokenId : caller.tokenId;
}

/** The host of an `Origin` header; undefined when absent or opaque (`null`). */
function originHost(origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function stringField(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** A query string's single-valued parameters (repeated ones are refused by the filter parser). */
function queryRecord(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.query)) if (typeof value === 'string' && value !== '' && key !== 'lang') out[key] = value;
  return out;
}

/**
 * The operator dashboard, to mount at `basePath` (default `/dashboard`): sign-in with the operator
 * token (then a session cookie: HttpOnly, SameSite=Strict, Secure behind https, an opaque id stored hashed
 * in Redis) or `Authorization: Bearer` for scripts; the settlement queue by stage with the oldest waiting
 * age, failed jobs with retry, failed and sent payouts with retry / mark paid; checkouts and payouts
 * with filters and keyset pages; a checkout's payments, outbox events and webhook deliveries; charts;
 * FX sources and chain tips; bull-board under `/queues`. Every POST needs the session's CSRF token.
 * Starts a queue-depth sampler and closes it and its queues with `deps.lifecycle`.
 */
export function createDashboardRouter(deps: DashboardDeps): Router {
  const basePath = deps.basePath ?? '/dashboard';
  const secure = deps.config.publicUrl.startsWith('https:');
  const sessions = new DashboardSessionStore(deps.redis, deps.clock, deps.random);
  const queues: Queue[] = (deps.queueNames ?? Object.values(PIPELINE_QUEUES)).map((name) => createQueue(name, deps.redis, { logger: deps.logger }));
  const queueByName = new Map(queues.map((q) => [q.name, q]));
  const reader = new SettlementQueueReader(deps.db, queues, deps.clock);
  const sampler = new QueueDepthSampler({
    redis: deps.redis,
    queues,
    clock: deps.clock,
    logger: deps.logger.child({ component: 'dashboard-sampler' }),
    ...(deps.sampleIntervalMs === undefined ? {} : { intervalMs: deps.sampleIntervalMs }),
  });
  sampler.start();
  deps.lifecycle.register({
    name: 'dashboard',
    stop: async () => {
      await sampler.stop();
      await Promise.all(queues.map((q) => q.close()));
    },
  });

  const sessionCookie = (value: string, maxAgeSeconds: number) =>
    `${COOKIE}=${value}; Path=${basePath}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;

  const context = (req: Request, res: Response): ViewContext => {
    const url = new URL(req.originalUrl, 'http://dashboard.invalid');
    url.searchParams.delete('lang');
    url.searchParams.delete('done');
    const caller = res.locals['dashboardCaller'] as DashboardCaller | undefined;
    return {
      locale: negotiateLocale(req.query['lang'] ?? stringField(req.body, 'lang'), req.get('accept-language')),
      basePath,
      selfPath: `${url.pathname}${url.search}`,
      csrfToken: caller?.via === 'session' ? caller.session.csrfToken : null,
      nowMs: deps.clock.now().getTime(),
    };
  };

  const sendPage = (res: Response, status: number, body: string) => {
    res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': DASHBOARD_CSP }).send(body);
  };

  const tokenIsLive = async (tokenId: string) =>
    (await deps.db.kysely.selectFrom('operator_tokens').select('id').where('id', '=', tokenId).where('revoked_at', 'is', null).executeTakeFirst()) !== undefined;

  const spendFailedAttempt = async (req: Request) => {
    await deps.limiter?.consume('ip', req.ip ?? 'unknown');
  };

  const authenticate: RequestHandler = async (req, res, next) => {
    const bearer = BEARER.exec(req.get('authorization') ?? '');
    if (bearer?.[1] !== undefined) {
      const tokenId = await deps.operatorAuth.verify(bearer[1]);
      if (tokenId === null) {
        await spendFailedAttempt(req);
        res.status(401).set('WWW-Authenticate', 'Bearer').type('text/plain').send('The operator token is not valid\n');
        return;
      }
      res.locals['dashboardCaller'] = { via: 'bearer', tokenId } satisfies DashboardCaller;
      next();
      return;
    }
    const sessionId = cookieValue(req, COOKIE);
    const session = sessionId === undefined ? null : await sessions.find(sessionId);
    if (sessionId !== undefined && session !== null && (await tokenIsLive(session.tokenId))) {
      res.locals['dashboardCaller'] = { via: 'session', sessionId, session } satisfies DashboardCaller;
      next();
      return;
    }
    if (req.path.endsWith('.json')) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: { code: 'unauthenticated', message: 'Send "Authorization: Bearer <operator token>"' } });
      return;
    }
    const ctx = context(req, res);
    const target = req.method === 'GET' ? req.originalUrl : `${basePath}/`;
    res.redirect(303, `${basePath}/sign-in?lang=${ctx.locale}&next=${encodeURIComponent(target)}`);
  };

  /** Forms carry the session's CSRF token; bearer callers send no cookies, so nothing to forge. */
  const requireCsrf: RequestHandler = (req, res, next) => {
    const caller = callerOf(res);
    if (caller.via === 'session' && !csrfTokenMatches(caller.session, stringField(req.body, '_csrf'))) {
      sendPage(res, 403, messagePage(context(req, res), dashboardMessages(context(req, res).locale).errors.csrf, true));
      return;
    }
    next();
  };

  /** bull-board's own UI cannot send our CSRF token: its writes must at least come from this origin. */
  const sameOriginWrites: RequestHandler = (req, res, next) => {
    const caller = callerOf(res);
    if (caller.via === 'session' && req.method !== 'GET' && req.method !== 'HEAD') {
      const host = req.get('host');
      if (host === undefined || originHost(req.get('origin')) !== host) {
        res.status(403).type('text/plain').send('Cross-origin request refused\n');
        return;
      }
    }
    next();
  };

  const redirectDone = (req: Request, res: Response, done: keyof DashboardMessages['done']) => {
    const back = stringField(req.body, 'back');
    const path = back !== undefined && back.startsWith(`${basePath}/`) && !back.startsWith('//') ? back : `${basePath}/`;
    res.redirect(303, `${path}${path.includes('?') ? '&' : '?'}done=${done}&lang=${context(req, res).locale}`);
  };

  const router = Router();
  router.use(formBodyParser());
  serveHashedAssets(router, [DASHBOARD_STYLES, DASHBOARD_SCRIPT]);

  router.get('/sign-in', (req, res) => {
    const ctx = context(req, res);
    const next = typeof req.query['next'] === 'string' ? req.query['next'] : `${basePath}/`;
    sendPage(res, 200, signInPage(ctx, { next, error: null }));
  });

  router.post('/sign-in', async (req, res) => {
    const ctx = context(req, res);
    const token = stringField(req.body, 'token')?.trim() ?? '';
    const nextField = stringField(req.body, 'next') ?? '';
    // Only a path inside the dashboard: never an open redirect to another site.
    const next = nextField.startsWith(`${basePath}/`) && !nextField.startsWith('//') && !nextField.includes('\\') ? nextField : `${basePath}/`;
    const tokenId = token.length > 0 && token.length <= 200 ? await deps.operatorAuth.verify(token) : null;
    if (tokenId === null) {
      await spendFailedAttempt(req);
      sendPage(res, 401, signInPage(ctx, { next, error: dashboardMessages(ctx.locale).signIn.wrongToken }));
      return;
    }
    const { sessionId } = await sessions.create(tokenId);
    res.set('Set-Cookie', sessionCookie(sessionId, DASHBOARD_SESSION_TTL_SECONDS));
    res.redirect(303, next);
  });

  router.use(authenticate);

  router.post('/sign-out', requireCsrf, async (req, res) => {
    const caller = callerOf(res);
    if (caller.via === 'session') await sessions.destroy(caller.sessionId);
    res.set('Set-Cookie', sessionCookie('', 0));
    res.redirect(303, `${basePath}/sign-in?lang=${context(req, res).locale}`);
  });

  router.get('/', async (req, res) => {
    const ctx = context(req, res);
    const m = dashboardMessages(ctx.locale);
    const noticeRows = dashboardKysely(deps.db)
      .selectFrom('operator_notices')
      .select(['id', 'kind', 'subject_type', 'subject_id', 'message', 'created_at'])
      .where('acknowledged_at', 'is', null)
      .orderBy('created_at', 'desc')
      .limit(20)
      .execute();
    const none = { storeId: undefined, from: undefined, to: undefined, cursor: undefined } as const;
    const [snapshot, failedPayouts, sentPayouts, notices] = await Promise.all([
      reader.snapshot(),
      listPayouts(deps.db, { ...none, status: 'failed' }),
      listPayouts(deps.db, { ...none, status: 'sent' }),
      noticeRows,
    ]);
    const done = req.query['done'];
    const flash = typeof done === 'string' && Object.hasOwn(m.done, done) ? m.done[done as keyof DashboardMessages['done']] : null;
    sendPage(
      res,
      200,
      queuePage(
        ctx,
        {
          snapshot,
          failedPayouts: failedPayouts.rows,
          sentPayouts: sentPayouts.rows,
          notices: notices.map((n) => ({ id: String(n.id), kind: n.kind, subject: `${n.subject_type} ${n.subject_id}`, message: n.message, createdAt: n.created_at })),
          payoutActions: deps.payoutActions !== undefined,
        },
        flash,
        null,
      ),
    );
  });

  /** The same snapshot for scripts and monitoring (ages in milliseconds, null when nothing waits). */
  router.get('/queue.json', async (_req, res) => {
    const snapshot = await reader.snapshot();
    res.set('Cache-Control', 'no-store').json({ takenAt: new Date(snapshot.takenAtMs).toISOString(), stages: snapshot.stages, queues: snapshot.queues, failedJobs: snapshot.failedJobs });
  });

  router.get('/checkouts', async (req, res) => {
    const filter = parseListFilter(req.query, CHECKOUT_STATUSES, 'co');
    const [page, stores] = await Promise.all([listCheckouts(deps.db, filter), listStores(deps.db)]);
    sendPage(res, 200, checkoutsPage(context(req, res), { page, filter, query: queryRecord(req), stores, statuses: CHECKOUT_STATUSES }));
  });

  router.get('/checkouts/:id', async (req, res) => {
    const id = parseId('co', req.params['id']);
    const detail = await checkoutDetail(deps.db, id);
    if (!detail) throw new NotFoundError('checkout', id);
    sendPage(res, 200, checkoutDetailPage(context(req, res), detail));
  });

  router.get('/payouts', async (req, res) => {
    const filter = parseListFilter(req.query, PAYOUT_STATUSES, 'po');
    const [page, stores] = await Promise.all([listPayouts(deps.db, filter), listStores(deps.db)]);
    sendPage(
      res,
      200,
      payoutsPage(context(req, res), { page, filter, query: queryRecord(req), stores, statuses: PAYOUT_STATUSES, payoutActions: deps.payoutActions !== undefined }),
    );
  });

  router.get('/payouts.csv', async (req, res) => {
    const filter = parseListFilter(req.query, PAYOUT_STATUSES, 'po');
    const csv = await exportPayoutsCsv(deps.db, {
      ...(filter.status === undefined ? {} : { status: filter.status }),
      ...(filter.storeId === undefined ? {} : { storeId: filter.storeId }),
      ...(filter.from === undefined ? {} : { from: filter.from }),
      ...(filter.to === undefined ? {} : { to: filter.to }),
    });
    res.status(200).type('text/csv; charset=utf-8').attachment('coinstile-payouts.csv').send(csv);
  });

  router.get('/reconciliation', async (req, res) => {
    // The bank file provider writes to <dataDir>/payouts (payoutSetupFromEnv); a gateway on another host has none.
    const bankFileDirectory = join(deps.config.dataDir, 'payouts');
    const bankFilesChecked = existsSync(bankFileDirectory);
    const report = await reconcilePayouts(deps.db, { ...(bankFilesChecked ? { bankFileDirectory } : {}), now: deps.clock.now() });
    sendPage(res, 200, reconciliationPage(context(req, res), report, bankFilesChecked));
  });

  router.get('/escrow', async (req, res) => {
    sendPage(res, 200, escrowPage(context(req, res), await escrowOverview(deps)));
  });

  router.get('/vouchers', async (req, res) => {
    sendPage(res, 200, vouchersPage(context(req, res), await vouchersOverview(deps)));
  });

  router.get('/shopper-accounts', async (req, res) => {
    sendPage(res, 200, shopperAccountsPage(context(req, res), await shopperAccountsOverview(deps)));
  });

  router.get('/charts', async (req, res) => {
    const now = deps.clock.now();
    const [volume, samples, latency] = await Promise.all([
      settledVolumePerHour(deps.db, now),
      readQueueDepthSamples(deps.redis, now.getTime() - DAY_MS),
      detectionLatency(deps.db, now),
    ]);
    sendPage(res, 200, chartsPage(context(req, res), { volume, samples, latency }));
  });

  router.get('/system', async (req, res) => {
    const [fx, chains] = await Promise.all([
      deps.fxStatus ? deps.fxStatus().catch((err: unknown) => (deps.logger.warn({ err }, 'FX status unavailable'), null)) : Promise.resolve(null),
      chainTips(deps.db),
    ]);
    sendPage(res, 200, systemPage(context(req, res), { fx, chains }));
  });

  router.post('/jobs/:queue/:id/retry', requireCsrf, async (req, res) => {
    const queueName = String(req.params['queue']);
    const jobId = String(req.params['id']);
    const queue = queueByName.get(queueName);
    if (!queue) throw new NotFoundError('queue', queueName);
    const job = await queue.getJob(jobId);
    if (!job) throw new NotFoundError('job', jobId);
    const state = await job.getState();
    if (state !== 'failed') throw new ConflictError(`Job ${jobId} is ${state}, not failed`, { state }, 'job_not_failed');
    // A fresh set of attempts: the operator retries after fixing the cause, and the job should again ride
    // out transient failures with its backoff rather than fail on the first hiccup.
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    deps.logger.info({ queue: queueName, jobId, operatorTokenId: operatorTokenIdOf(res) }, 'failed job retried by the operator');
    redirectDone(req, res, 'jobRetried');
  });

  router.post('/payouts/:id/retry', requireCsrf, async (req, res) => {
    if (!deps.payoutActions) throw new NotFoundError('payout action', 'retry');
    const id = parseId('po', req.params['id']);
    await deps.payoutActions.retry(id);
    deps.logger.info({ payoutId: id, operatorTokenId: operatorTokenIdOf(res) }, 'payout retried by the operator');
    redirectDone(req, res, 'payoutRetried');
  });

  router.post('/payouts/:id/mark-paid', requireCsrf, async (req, res) => {
    if (!deps.payoutActions) throw new NotFoundError('payout action', 'mark-paid');
    const id = parseId('po', req.params['id']);
    const reference = stringField(req.body, 'providerReference')?.trim().slice(0, 140);
    await deps.payoutActions.markPaid(id, reference === '' ? undefined : reference);
    deps.logger.info({ payoutId: id, operatorTokenId: operatorTokenIdOf(res) }, 'payout marked paid by the operator');
    redirectDone(req, res, 'payoutPaid');
  });

  router.post('/notices/:id/acknowledge', requireCsrf, async (req, res) => {
    const id = String(req.params['id']);
    if (!/^[1-9][0-9]{0,18}$/.test(id)) throw new NotFoundError('operator notice', id);
    const updated = await dashboardKysely(deps.db)
      .updateTable('operator_notices')
      .set({ acknowledged_at: deps.clock.now() })
      .where('id', '=', id)
      .where('acknowledged_at', 'is', null)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw new NotFoundError('operator notice', id);
    redirectDone(req, res, 'noticeAcknowledged');
  });

  const board = new ExpressAdapter();
  board.setBasePath(`${basePath}/queues`);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: board, options: { uiConfig: { boardTitle: 'Coinstile' } } });
  const boardHeaders: RequestHandler = (_req, res, next) => {
    res.set({ 'Content-Security-Policy': BULL_BOARD_CSP, 'Cache-Control': 'no-store' });
    next();
  };
  router.use('/queues', sameOriginWrites, boardHeaders, board.getRouter() as Router);

  const errorPage: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const ctx = context(req, res);
    const m = dashboardMessages(ctx.locale);
    const signedIn = res.locals['dashboardCaller'] !== undefined;
    if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    if (err instanceof DomainError && err.httpStatus < 500) {
      const text = err.httpStatus === 404 ? m.errors.notFound : err.httpStatus === 409 ? `${m.errors.conflict} (${err.message})` : `${m.errors.badRequest} (${err.message})`;
      sendPage(res, err.httpStatus, messagePage(ctx, text, signedIn));
      return;
    }
    // Body parser errors (oversized or malformed forms) carry their own 4xx status.
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendPage(res, status, messagePage(ctx, m.errors.badRequest, signedIn));
      return;
    }
    next(err);
  };
  router.use(errorPage);
  return router;
}
