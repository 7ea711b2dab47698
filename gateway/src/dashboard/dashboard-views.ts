import { isCryptoAsset, isFiatCurrency } from '@coinstile/core';
import { formatCrypto, formatFiat } from '../pages/format';
import { html, type SafeHtml } from '../pages/html';
import { LOCALES, type Locale } from '../pages/locale';
import { pageDocument } from '../http/server-pages';
import { DASHBOARD_SCRIPT, DASHBOARD_STYLES } from './dashboard-assets';
import { payoutToolLinks } from './payout-reconciliation-page';
import type { CheckoutDetail, CheckoutRow, ListFilter, Page, PayoutRow } from './dashboard-lists';
import { type DashboardMessages, dashboardMessages, formatAge } from './dashboard-messages';
import type { SettlementQueueSnapshot, StageCount } from './settlement-queue';

export type DashboardSection = 'queue' | 'checkouts' | 'payouts' | 'escrow' | 'shopper_accounts' | 'vouchers' | 'charts' | 'system';

/** What every page needs to draw its frame and forms. */
export interface ViewContext {
  readonly locale: Locale;
  readonly basePath: string;
  /** The current path and query without `lang`, for the language links. */
  readonly selfPath: string;
  /** Null on the sign-in page and for bearer-token callers. */
  readonly csrfToken: string | null;
  readonly nowMs: number;
}

/** `2026-11-21 08:30:05` (UTC): exact and sortable, the same in both languages. */
export function formatTime(date: Date | number | null): string {
  if (date === null) return '—';
  return new Date(date).toISOString().replace('T', ' ').slice(0, 19);
}

export function fiat(minor: bigint, currency: string, locale: Locale): string {
  return isFiatCurrency(currency) ? formatFiat(minor, currency, locale) : `${minor} ${currency} (minor units)`;
}

function crypto(base: bigint | null, asset: string | null): string {
  if (base === null || asset === null) return '—';
  return isCryptoAsset(asset) ? formatCrypto(base, asset) : `${base} ${asset} (base units)`;
}

function withLang(path: string, locale: Locale): string {
  return `${path}${path.includes('?') ? '&' : '?'}lang=${locale}`;
}

function csrfField(ctx: ViewContext): SafeHtml | null {
  return ctx.csrfToken === null ? null : html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;
}

/** A POST form of one button (retry, mark paid…), carrying the CSRF token and the page language. */
export function actionForm(ctx: ViewContext, action: string, label: string, testId: string, extra?: SafeHtml): SafeHtml {
  return html`<form method="post" action="${ctx.basePath}${action}" class="inline">${csrfField(ctx)}<input type="hidden" name="lang" value="${ctx.locale}"><input type="hidden" name="back" value="${ctx.selfPath}">${extra ?? null}<button type="submit" data-testid="${testId}">${label}</button></form>`;
}

export function renderPage(ctx: ViewContext, options: { title: string; section: DashboardSection | null; main: SafeHtml; flash?: string | null; error?: string | null }): string {
  const m = dashboardMessages(ctx.locale);
  const link = (section: DashboardSection, path: string, label: string) =>
    html`<a href="${withLang(`${ctx.basePath}${path}`, ctx.locale)}"${options.section === section ? html` aria-current="page"` : null} data-testid="nav-${section}">${label}</a>`;
  const nav =
    options.section === null
      ? null
      : html`<nav aria-label="Dashboard">${link('queue', '/', m.nav.queue)}${link('checkouts', '/checkouts', m.nav.checkouts)}${link('payouts', '/payouts', m.nav.payouts)}${link('escrow', '/escrow', m.nav.escrow)}${link('shopper_accounts', '/shopper-accounts', m.nav.shopperAccounts)}${link('vouchers', '/vouchers', m.nav.vouchers)}${link('charts', '/charts', m.nav.charts)}${link('system', '/system', m.nav.system)}<a href="${ctx.basePath}/queues/" data-testid="nav-bull-board">${m.nav.queues}</a></nav>`;
  const signOut =
    options.section === null || ctx.csrfToken === null
      ? null
      : html`<form method="post" action="${ctx.basePath}/sign-out">${csrfField(ctx)}<button type="submit" class="link-button" data-testid="sign-out">${m.signIn.signOut}</button></form>`;
  const langs = html`<span class="lang">${LOCALES.map(
    (l) => html`<a href="${withLang(ctx.selfPath, l)}" lang="${l}" aria-current="${l === ctx.locale ? 'true' : 'false'}" data-testid="lang-${l}">${dashboardMessages(l).languageName}</a>`,
  )}</span>`;
  return pageDocument({
    locale: ctx.locale,
    title: `${options.title} · ${m.title}`,
    stylesheetUrl: `${ctx.basePath}${DASHBOARD_STYLES.path}`,
    scriptUrl: `${ctx.basePath}${DASHBOARD_SCRIPT.path}`,
    header: html`<span class="brand">${m.title}</span>${nav}${langs}${signOut}`,
    main: html`${options.flash ? html`<p class="flash" role="status" data-testid="flash">${options.flash}</p>` : null}
${options.error ? html`<p class="error" role="alert" data-testid="error">${options.error}</p>` : null}
${options.main}`,
  });
}

export function signInPage(ctx: ViewContext, options: { next: string; error: string | null }): string {
  const m = dashboardMessages(ctx.locale);
  const main = html`<form class="signin" method="post" action="${ctx.basePath}/sign-in" data-testid="sign-in-form">
<h1>${m.signIn.heading}</h1>
<label for="token">${m.signIn.tokenLabel}</label>
<input id="token" name="token" type="password" autocomplete="current-password" required maxlength="200" data-testid="token">
<input type="hidden" name="next" value="${options.next}">
<input type="hidden" name="lang" value="${ctx.locale}">
<button type="submit" data-testid="sign-in">${m.signIn.submit}</button>
</form>`;
  return renderPage(ctx, { title: m.signIn.heading, section: null, main, error: options.error });
}

function ageCell(m: DashboardMessages, ctx: ViewContext, ageMs: number | null): string {
  return ageMs === null ? m.none : formatAge(ageMs, ctx.locale);
}

/** Red: failures, or work stuck over an hour; amber: work in flight. Escrow holds wait by design. */
function stageTone(stage: StageCount): string {
  if (stage.count === 0) return '';
  switch (stage.stage) {
    case 'payouts_failed':
    case 'webhooks_failing':
      return 'bad';
    case 'payouts_reserved':
      return 'busy';
    case 'checkouts_processing':
    case 'checkouts_settled_unreleased':
    case 'payouts_scheduled':
    case 'payouts_sent':
    case 'webhooks_pending':
      return (stage.oldestAgeMs ?? 0) > 3_600_000 ? 'bad' : 'busy';
  }
}

export interface QueuePageData {
  readonly snapshot: SettlementQueueSnapshot;
  readonly failedPayouts: readonly PayoutRow[];
  readonly sentPayouts: readonly PayoutRow[];
  readonly notices: readonly { id: string; kind: string; subject: string; message: string; createdAt: Date }[];
  /** Whether payout actions (retry, mark paid) are available in this process. */
  readonly payoutActions: boolean;
}

export function queuePage(ctx: ViewContext, data: QueuePageData, flash: string | null, error: string | null): string {
  const m = dashboardMessages(ctx.locale);
  const { snapshot } = data;
  const stages = html`<section class="stages" aria-label="${m.nav.queue}">${snapshot.stages.map(
    (s) => html`<div class="stage ${stageTone(s)}" data-testid="stage-${s.stage}">
<div class="name">${m.stages[s.stage]}</div>
<div class="count" data-testid="count-${s.stage}">${s.count}</div>
<div class="age">${m.oldest}: <strong data-testid="age-${s.stage}">${ageCell(m, ctx, s.oldestAgeMs)}</strong></div>
</div>`,
  )}</section>`;
  const queues = html`<div class="card"><table data-testid="queues">
<thead><tr><th>${m.queue}</th><th class="num">${m.waiting}</th><th class="num">${m.active}</th><th class="num">${m.delayed}</th><th class="num">${m.failed}</th><th>${m.oldest}</th></tr></thead>
<tbody>${snapshot.queues.map(
    (q) => html`<tr data-testid="queue-${q.queue}"><td class="mono">${q.queue}</td><td class="num" data-testid="queue-${q.queue}-waiting">${q.waiting}</td><td class="num">${q.active}</td><td class="num">${q.delayed}</td><td class="num" data-testid="queue-${q.queue}-failed">${q.failed}</td><td data-testid="queue-${q.queue}-oldest">${ageCell(m, ctx, q.oldestWaitingAgeMs)}</td></tr>`,
  )}</tbody></table></div>`;
  const failedJobs =
    snapshot.failedJobs.length === 0
      ? html`<p class="muted" data-testid="no-failed-jobs">${m.noFailedJobs}</p>`
      : html`<div class="card"><table data-testid="failed-jobs">
<thead><tr><th>${m.queue}</th><th>${m.id}</th><th>${m.reason}</th><th class="num hide-narrow">${m.attempts}</th><th class="hide-narrow">${m.failedAt}</th><th></th></tr></thead>
<tbody>${snapshot.failedJobs.map(
          (j) => html`<tr data-testid="failed-job" data-job-id="${j.jobId}" data-queue="${j.queue}"><td class="mono">${j.queue}</td><td class="mono">${j.jobId}${j.subject ? html`<div class="muted">${j.subject}</div>` : null}</td><td class="reason">${j.failedReason}</td><td class="num hide-narrow">${j.attemptsMade}</td><td class="hide-narrow">${j.failedAtMs === null ? m.none : m.ago(ctx.nowMs - j.failedAtMs)}</td><td>${actionForm(ctx, `/jobs/${encodeURIComponent(j.queue)}/${encodeURIComponent(j.jobId)}/retry`, m.retry, 'retry-job')}</td></tr>`,
        )}</tbody></table></div>`;
  const payoutTable = (rows: readonly PayoutRow[], testId: string, action: 'retry' | 'mark-paid') =>
    rows.length === 0
      ? null
      : html`<div class="card"><table data-testid="${testId}">
<thead><tr><th>${m.payout}</th><th class="hide-narrow">${m.store}</th><th class="num">${m.amount}</th><th>${m.reason}</th><th class="hide-narrow">${m.since}</th><th></th></tr></thead>
<tbody>${rows.map(
          (p) => html`<tr data-payout-id="${p.id}"><td class="mono"><a href="${withLang(`${ctx.basePath}/checkouts/${p.checkoutId}`, ctx.locale)}">${p.id}</a></td><td class="hide-narrow">${p.storeName}</td><td class="num">${fiat(p.amountMinor, p.currency, ctx.locale)}</td><td class="reason">${p.failureReason ?? ''}</td><td class="hide-narrow">${formatAge(ctx.nowMs - p.updatedAt.getTime(), ctx.locale)}</td><td>${
            !data.payoutActions
              ? null
              : action === 'retry'
                ? actionForm(ctx, `/payouts/${p.id}/retry`, m.retry, 'retry-payout')
                : actionForm(ctx, `/payouts/${p.id}/mark-paid`, m.markPaid, 'mark-paid', html`<input name="providerReference" placeholder="${m.providerReference}" maxlength="140" aria-label="${m.providerReference}">`)
          }</td></tr>`,
        )}</tbody></table></div>`;
  const notices =
    data.notices.length === 0
      ? null
      : html`<h2>${m.notices}</h2><div class="card"><table data-testid="notices"><tbody>${data.notices.map(
          (n) => html`<tr data-testid="notice"><td class="hide-narrow">${formatTime(n.createdAt)}</td><td class="mono hide-narrow">${n.kind}</td><td class="mono hide-narrow">${n.subject}</td><td>${n.message}</td><td>${actionForm(ctx, `/notices/${n.id}/acknowledge`, m.acknowledge, 'acknowledge-notice')}</td></tr>`,
        )}</tbody></table></div>`;
  const main = html`<h1>${m.nav.queue}</h1>
<div data-autorefresh>
<p class="muted">${m.updatedAt} ${formatTime(snapshot.takenAtMs)} UTC · ${m.autoRefresh}</p>
${stages}
<h2>${m.queues}</h2>
${queues}
<h2>${m.failedJobs}</h2>
${failedJobs}
${data.failedPayouts.length > 0 ? html`<h2>${m.failedPayouts}</h2>` : null}
${payoutTable(data.failedPayouts, 'failed-payouts', 'retry')}
${data.sentPayouts.length > 0 ? html`<h2>${m.sentPayouts}</h2>` : null}
${payoutTable(data.sentPayouts, 'sent-payouts', 'mark-paid')}
${notices}
</div>`;
  return renderPage(ctx, { title: m.nav.queue, section: 'queue', main, flash, error });
}

function filterForm<S extends string>(
  ctx: ViewContext,
  path: string,
  filter: ListFilter<S>,
  statuses: readonly S[],
  stores: readonly { id: string; name: string }[],
): SafeHtml {
  const m = dashboardMessages(ctx.locale);
  const day = (d: Date | undefined, end: boolean) => (d === undefined ? '' : new Date(d.getTime() - (end ? 86_400_000 : 0)).toISOString().slice(0, 10));
  return html`<form method="get" action="${ctx.basePath}${path}" class="filters card" data-testid="filters">
<input type="hidden" name="lang" value="${ctx.locale}">
<label>${m.status}<select name="status" data-testid="filter-status"><option value="">${m.any}</option>${statuses.map(
    (s) => html`<option value="${s}"${filter.status === s ? html` selected` : null}>${s}</option>`,
  )}</select></label>
<label>${m.store}<select name="store" data-testid="filter-store"><option value="">${m.allStores}</option>${stores.map(
    (s) => html`<option value="${s.id}"${filter.storeId === s.id ? html` selected` : null}>${s.name}</option>`,
  )}</select></label>
<label>${m.from}<input type="date" name="from" value="${day(filter.from, false)}"></label>
<label>${m.to}<input type="date" name="to" value="${day(filter.to, true)}"></label>
<button type="submit" class="secondary" data-testid="apply-filter">${m.filter}</button>
</form>`;
}

function pager<T>(ctx: ViewContext, path: string, query: Record<string, string>, page: Page<T>, isFirst: boolean): SafeHtml {
  const m = dashboardMessages(ctx.locale);
  const params = (cursor: string | null) => {
    const p = new URLSearchParams({ ...query, lang: ctx.locale });
    p.delete('cursor');
    if (cursor !== null) p.set('cursor', cursor);
    return `${ctx.basePath}${path}?${p.toString()}`;
  };
  return html`<div class="pager">${isFirst ? html`<span></span>` : html`<a href="${params(null)}">${m.first}</a>`}${
    page.nextCursor === null ? null : html`<a href="${params(page.nextCursor)}" data-testid="next-page">${m.next}</a>`
  }</div>`;
}

export function checkoutsPage(
  ctx: ViewContext,
  data: { page: Page<CheckoutRow>; filter: ListFilter<string>; query: Record<string, string>; stores: readonly { id: string; name: string }[]; statuses: readonly string[] },
): string {
  const m = dashboardMessages(ctx.locale);
  const rows =
    data.page.rows.length === 0
      ? html`<p class="muted" data-testid="no-rows">${m.noRows}</p>`
      : html`<div class="card"><table data-testid="checkouts">
<thead><tr><th>${m.id}</th><th>${m.store}</th><th class="hide-narrow">${m.order}</th><th>${m.status}</th><th class="num">${m.amount}</th><th class="hide-narrow">${m.asset}</th><th class="hide-narrow">${m.created}</th><th class="hide-narrow">${m.settled}</th></tr></thead>
<tbody>${data.page.rows.map(
          (c) => html`<tr data-testid="checkout-row" data-status="${c.status}"><td class="mono"><a href="${withLang(`${ctx.basePath}/checkouts/${c.id}`, ctx.locale)}">${c.id}</a></td><td>${c.storeName}</td><td class="hide-narrow">${c.orderId}</td><td><span class="badge ${c.status}">${c.status}</span>${c.exception === 'none' ? null : html` <span class="badge">${c.exception}</span>`}</td><td class="num">${fiat(c.priceMinor, c.currency, ctx.locale)}</td><td class="hide-narrow">${c.asset ?? m.none}</td><td class="hide-narrow">${formatTime(c.createdAt)}</td><td class="hide-narrow">${formatTime(c.settledAt)}</td></tr>`,
        )}</tbody></table></div>`;
  const main = html`<h1>${m.nav.checkouts}</h1>${filterForm(ctx, '/checkouts', data.filter, data.statuses, data.stores)}${rows}${pager(ctx, '/checkouts', data.query, data.page, data.filter.cursor === undefined)}`;
  return renderPage(ctx, { title: m.nav.checkouts, section: 'checkouts', main });
}

export function payoutsPage(
  ctx: ViewContext,
  data: { page: Page<PayoutRow>; filter: ListFilter<string>; query: Record<string, string>; stores: readonly { id: string; name: string }[]; statuses: readonly string[]; payoutActions: boolean },
): string {
  const m = dashboardMessages(ctx.locale);
  const rows =
    data.page.rows.length === 0
      ? html`<p class="muted" data-testid="no-rows">${m.noRows}</p>`
      : html`<div class="card"><table data-testid="payouts">
<thead><tr><th>${m.id}</th><th>${m.store}</th><th>${m.status}</th><th class="num">${m.amount}</th><th class="num hide-narrow">${m.fee}</th><th class="hide-narrow">${m.provider}</th><th class="hide-narrow">${m.created}</th><th></th></tr></thead>
<tbody>${data.page.rows.map(
          (p) => html`<tr data-testid="payout-row" data-status="${p.status}"><td class="mono"><a href="${withLang(`${ctx.basePath}/checkouts/${p.checkoutId}`, ctx.locale)}">${p.id}</a></td><td>${p.storeName}</td><td><span class="badge ${p.status}">${p.status}</span>${p.failureReason ? html`<div class="reason">${p.failureReason}</div>` : null}</td><td class="num">${fiat(p.amountMinor, p.currency, ctx.locale)}</td><td class="num hide-narrow">${fiat(p.feeMinor, p.currency, ctx.locale)}</td><td class="hide-narrow">${p.provider ?? m.none}</td><td class="hide-narrow">${formatTime(p.createdAt)}</td><td>${
            !data.payoutActions
              ? null
              : p.status === 'failed' || p.status === 'returned'
                ? actionForm(ctx, `/payouts/${p.id}/retry`, m.retry, 'retry-payout')
                : p.status === 'sent'
                  ? actionForm(ctx, `/payouts/${p.id}/mark-paid`, m.markPaid, 'mark-paid')
                  : null
          }</td></tr>`,
        )}</tbody></table></div>`;
  const main = html`<h1>${m.nav.payouts}</h1>${filterForm(ctx, '/payouts', data.filter, data.statuses, data.stores)}${rows}${pager(ctx, '/payouts', data.query, data.page, data.filter.cursor === undefined)}${payoutToolLinks(ctx, data.query)}`;
  return renderPage(ctx, { title: m.nav.payouts, section: 'payouts', main });
}

export function checkoutDetailPage(ctx: ViewContext, d: CheckoutDetail): string {
  const m = dashboardMessages(ctx.locale);
  const c = d.checkout;
  const facts = html`<div class="card"><dl class="facts" data-testid="checkout-facts">
<dt>${m.id}</dt><dd class="mono">${c.id}</dd>
<dt>${m.store}</dt><dd><a href="${withLang(`${ctx.basePath}/checkouts?store=${c.storeId}`, ctx.locale)}">${c.storeName}</a></dd>
<dt>${m.order}</dt><dd>${c.orderId}</dd>
<dt>${m.status}</dt><dd><span class="badge ${c.status}" data-testid="checkout-status">${c.status}</span>${c.exception === 'none' ? null : html` <span class="badge">${c.exception}</span>`}${c.invalidReason ? html` <span class="badge">${c.invalidReason}</span>` : null}</dd>
<dt>${m.amount}</dt><dd>${fiat(c.priceMinor, c.currency, ctx.locale)}</dd>
<dt>${m.asset}</dt><dd>${crypto(c.amountDueBase, c.asset)} → ${crypto(c.amountPaidBase, c.asset)}</dd>
<dt>${m.address}</dt><dd class="mono">${c.address ?? m.none}</dd>
<dt>${m.created}</dt><dd>${formatTime(c.createdAt)}</dd>
<dt>${m.settled}</dt><dd>${formatTime(c.settledAt)}</dd>
<dt>${m.released}</dt><dd data-testid="released-at">${formatTime(d.releasedAt)}</dd>
<dt>${m.payout}</dt><dd>${d.payout ? html`<span class="mono">${d.payout.id}</span> <span class="badge ${d.payout.status}">${d.payout.status}</span> ${fiat(d.payout.amountMinor, d.payout.currency, ctx.locale)}` : m.none}</dd>
</dl></div>`;
  const payments =
    d.payments.length === 0
      ? html`<p class="muted">${m.noRows}</p>`
      : html`<div class="card"><table data-testid="payments"><thead><tr><th>txid</th><th class="num">${m.amount}</th><th class="num">${m.confirmations}</th><th>${m.state}</th><th>${m.created}</th></tr></thead><tbody>${d.payments.map(
          (p) => html`<tr><td class="mono">${p.txid}:${p.outputIndex}</td><td class="num">${crypto(p.amountBase, p.asset)}</td><td class="num">${p.confirmations}</td><td><span class="badge">${p.state}</span></td><td>${formatTime(p.firstSeenAt)}</td></tr>`,
        )}</tbody></table></div>`;
  const events =
    d.events.length === 0
      ? html`<p class="muted">${m.noRows}</p>`
      : html`<div class="card"><table data-testid="events"><thead><tr><th>${m.events}</th><th class="hide-narrow">event id</th><th>${m.created}</th><th>${m.published}</th></tr></thead><tbody>${d.events.map(
          (e) => html`<tr><td class="mono">${e.eventType}</td><td class="mono hide-narrow">${e.eventId}</td><td>${formatTime(e.createdAt)}</td><td>${e.publishedAt === null ? m.notPublished : formatTime(e.publishedAt)}</td></tr>`,
        )}</tbody></table></div>`;
  const deliveries =
    d.deliveries.length === 0
      ? html`<p class="muted">${m.noRows}</p>`
      : html`<div class="card"><table data-testid="deliveries"><thead><tr><th>${m.events}</th><th>URL</th><th>${m.status}</th><th class="num">${m.attempts}</th><th>HTTP</th><th class="hide-narrow">${m.reason}</th></tr></thead><tbody>${d.deliveries.map(
          (w) => html`<tr><td class="mono">${w.eventType}</td><td class="mono">${w.url}</td><td><span class="badge ${w.status}">${w.status}</span></td><td class="num">${w.attempts}</td><td>${w.httpStatus ?? m.none}</td><td class="reason hide-narrow">${w.error ?? ''}</td></tr>`,
        )}</tbody></table></div>`;
  const main = html`<h1>${m.checkout} <span class="mono">${c.id}</span></h1>${facts}<h2>${m.payments}</h2>${payments}<h2>${m.events}</h2>${events}<h2>${m.deliveries}</h2>${deliveries}`;
  return renderPage(ctx, { title: `${m.checkout} ${c.id}`, section: 'checkouts', main });
}

export function messagePage(ctx: ViewContext, text: string, signedIn: boolean): string {
  const m = dashboardMessages(ctx.locale);
  const main = html`<div class="card"><p data-testid="message">${text}</p><p><a href="${withLang(`${ctx.basePath}/`, ctx.locale)}">${m.errors.back}</a></p></div>`;
  return renderPage(ctx, { title: text, section: signedIn ? 'queue' : null, main });
}
