import { formatCrypto } from '../pages/format';
import { html, type SafeHtml } from '../pages/html';
import { LOCALES } from '../pages/locale';
import type { ApiKeyView } from '../auth/api-keys';
import { API_KEY_SCOPES } from '../http/schemas';
import { actionForm, fiat, formatTime, type ViewContext } from '../dashboard/dashboard-views';
import { pageDocument } from '../http/server-pages';
import type { WebhookDeliveryView, WebhookEndpointView } from '../webhooks/webhook-views';
import { PORTAL_SCRIPT_ASSET, PORTAL_STYLESHEET } from './portal-assets';
import { portalMessages, type PortalMessages } from './portal-messages';
import type { OrderDetail, OrderPage, ReleasedOrder } from './portal-orders';
import { PAYOUT_STATUSES, type StatementMonth, type StatementTotal, type StorePayout } from './portal-payouts';
import type { PortalSession } from './portal-sessions';
import type { ShipmentCarrier } from './portal-shipments';
import type { ReceivingWalletStatus } from './receiving-wallets';
import { roleAllows } from './store-roles';
import type { StoreUserView } from './store-users';
import type { PayoutStatusValue } from '@coinstile/platform';

export type PortalSection = 'orders' | 'payouts' | 'integration' | 'users';

/** What every portal page needs: the dashboard's view context plus the signed-in user, if any. */
export interface PortalViewContext extends ViewContext {
  readonly session: PortalSession | null;
}

function withLang(path: string, ctx: PortalViewContext): string {
  return `${path}${path.includes('?') ? '&' : '?'}lang=${ctx.locale}`;
}

function csrfField(ctx: PortalViewContext): SafeHtml | null {
  return ctx.csrfToken === null ? null : html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;
}

/** A POST form with fields, carrying the CSRF token and the page language. */
function postForm(ctx: PortalViewContext, action: string, testId: string, fields: SafeHtml, submit: string, className = 'stack'): SafeHtml {
  return html`<form method="post" action="${ctx.basePath}${action}" class="${className}" data-testid="${testId}">${csrfField(ctx)}<input type="hidden" name="lang" value="${ctx.locale}">${fields}<button type="submit" data-testid="${testId}-submit">${submit}</button></form>`;
}

export function renderPortalPage(ctx: PortalViewContext, options: { title: string; section: PortalSection | null; main: SafeHtml; flash?: string | null; error?: string | null }): string {
  const m = portalMessages(ctx.locale);
  const session = ctx.session;
  const link = (section: PortalSection, label: string) =>
    session !== null && roleAllows(session.role, section)
      ? html`<a href="${withLang(`${ctx.basePath}/${section}`, ctx)}"${options.section === section ? html` aria-current="page"` : null} data-testid="nav-${section}">${label}</a>`
      : null;
  const nav =
    session === null
      ? null
      : html`<nav aria-label="Store">${link('orders', m.nav.orders)}${link('payouts', m.nav.payouts)}${link('integration', m.nav.integration)}${link('users', m.nav.users)}</nav>`;
  const signOut =
    session === null || ctx.csrfToken === null
      ? null
      : html`<form method="post" action="${ctx.basePath}/sign-out">${csrfField(ctx)}<button type="submit" class="link-button" data-testid="sign-out">${m.signIn.signOut}</button></form>`;
  const langs = html`<span class="lang">${LOCALES.map(
    (l) => html`<a href="${`${ctx.selfPath}${ctx.selfPath.includes('?') ? '&' : '?'}lang=${l}`}" lang="${l}" aria-current="${l === ctx.locale ? 'true' : 'false'}" data-testid="lang-${l}">${portalMessages(l).languageName}</a>`,
  )}</span>`;
  return pageDocument({
    locale: ctx.locale,
    title: `${options.title} · ${m.title}`,
    stylesheetUrl: `${ctx.basePath}${PORTAL_STYLESHEET.path}`,
    scriptUrl: `${ctx.basePath}${PORTAL_SCRIPT_ASSET.path}`,
    header: html`<span class="brand">${m.title}</span>${session === null ? null : html`<span class="store-name" data-testid="store-name">${session.storeName}</span>`}${nav}${langs}${signOut}`,
    main: html`${options.flash ? html`<p class="flash" role="status" data-testid="flash">${options.flash}</p>` : null}
${options.error ? html`<p class="error" role="alert" data-testid="error">${options.error}</p>` : null}
${options.main}`,
  });
}

export function signInPage(ctx: PortalViewContext, options: { error: string | null; flash?: string | null; email?: string }): string {
  const m = portalMessages(ctx.locale);
  const main = html`<form class="signin" method="post" action="${ctx.basePath}/sign-in" data-testid="sign-in-form">
<h1>${m.signIn.heading}</h1>
<label for="email">${m.signIn.email}</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${options.email ?? ''}" data-testid="email">
<label for="password">${m.signIn.password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024" data-testid="password">
<input type="hidden" name="lang" value="${ctx.locale}">
<button type="submit" data-testid="sign-in">${m.signIn.submit}</button>
</form>`;
  return renderPortalPage(ctx, { title: m.signIn.heading, section: null, main, error: options.error, flash: options.flash ?? null });
}

export function invitationPage(ctx: PortalViewContext, options: { token: string; email: string; role: 'owner' | 'staff'; storeName: string; error: string | null }): string {
  const m = portalMessages(ctx.locale);
  const main = html`<form class="signin" method="post" action="${ctx.basePath}/invitations/${options.token}" data-testid="invitation-form">
<h1>${m.invitation.heading(options.storeName)}</h1>
<p>${m.invitation.intro(options.email, m.roles[options.role])}</p>
<input type="email" name="username" value="${options.email}" autocomplete="username" hidden readonly>
<label for="password">${m.invitation.password}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="12" maxlength="1024" data-testid="new-password">
<label for="confirm">${m.invitation.confirm}</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="12" maxlength="1024" data-testid="confirm-password">
<input type="hidden" name="lang" value="${ctx.locale}">
<button type="submit" data-testid="set-password">${m.invitation.submit}</button>
</form>`;
  return renderPortalPage(ctx, { title: m.invitation.heading(options.storeName), section: null, main, error: options.error });
}

export function messagePage(ctx: PortalViewContext, text: string): string {
  const m = portalMessages(ctx.locale);
  const back = ctx.session === null ? `${ctx.basePath}/sign-in` : `${ctx.basePath}/orders`;
  const main = html`<div class="card"><p data-testid="message">${text}</p><p><a href="${withLang(back, ctx)}">${ctx.session === null ? m.signIn.submit : m.errors.back}</a></p></div>`;
  return renderPortalPage(ctx, { title: text, section: null, main });
}

function itemsSummary(order: ReleasedOrder): string {
  return order.items.map((i) => (i.quantity === 1 ? i.name : `${i.name} × ${i.quantity}`)).join(', ');
}

function paidText(order: ReleasedOrder): string {
  return order.asset === null ? '—' : formatCrypto(order.amountPaidBase, order.asset);
}

/** One inbox row; also what the live stream sends for a newly released order. */
export function orderRow(ctx: PortalViewContext, order: ReleasedOrder): SafeHtml {
  const m = portalMessages(ctx.locale);
  return html`<tr data-testid="order-row" data-checkout-id="${order.checkoutId}"><td>${formatTime(order.releasedAt)}</td><td><a href="${withLang(`${ctx.basePath}/orders/${order.checkoutId}`, ctx)}" data-testid="order-link">${order.orderId}</a>${order.escrow ? html` <span class="badge reserved">${m.orders.escrow}</span>` : null}</td><td class="hide-narrow">${itemsSummary(order)}</td><td class="num">${fiat(order.priceMinor, order.currency, ctx.locale)}</td><td class="num hide-narrow">${paidText(order)}</td><td data-testid="order-shipment">${shipmentText(m, order)}</td></tr>`;
}

function shipmentText(m: PortalMessages, order: ReleasedOrder): string {
  if (order.escrowStatus === 'cancelled') return m.escrowStatuses.cancelled;
  if (order.shipment !== null) return `${m.shipmentStatuses[order.shipment.status]} · ${order.shipment.carrierName} ${order.shipment.trackingNumber}`;
  return m.orders.notShipped;
}

export function ordersPage(ctx: PortalViewContext, data: { page: OrderPage; isFirst: boolean; streamUrl: string | null; flash: string | null }): string {
  const m = portalMessages(ctx.locale);
  const rows = data.page.rows;
  const table = html`<div class="card"><table data-testid="orders"${data.streamUrl === null ? null : html` data-inbox-stream="${data.streamUrl}"`}${rows.length === 0 ? html` hidden` : null}>
<thead><tr><th>${m.orders.released}</th><th>${m.orders.order}</th><th class="hide-narrow">${m.orders.items}</th><th class="num">${m.orders.amount}</th><th class="num hide-narrow">${m.orders.paid}</th><th>${m.orders.shipment}</th></tr></thead>
<tbody>${rows.map((o) => orderRow(ctx, o))}</tbody></table>
${rows.length === 0 ? html`<p class="muted" data-testid="no-orders" data-inbox-empty>${m.orders.none}</p>` : null}</div>`;
  const pager = html`<div class="pager">${data.isFirst ? html`<span></span>` : html`<a href="${withLang(`${ctx.basePath}/orders`, ctx)}">${m.orders.newest}</a>`}${
    data.page.nextCursor === null ? null : html`<a href="${withLang(`${ctx.basePath}/orders?cursor=${encodeURIComponent(data.page.nextCursor)}`, ctx)}" data-testid="next-page">${m.orders.older}</a>`
  }</div>`;
  const main = html`<h1>${m.orders.heading}</h1>${data.streamUrl === null ? null : html`<p class="muted"><span class="live" data-live-status data-testid="live-status">${m.orders.live}</span></p>`}${table}${pager}`;
  return renderPortalPage(ctx, { title: m.orders.heading, section: 'orders', main, flash: data.flash });
}

export function orderPage(ctx: PortalViewContext, d: OrderDetail, shipping: { carriers: readonly ShipmentCarrier[] } | null, flash: string | null): string {
  const m = portalMessages(ctx.locale);
  const o = d.order;
  const facts = html`<div class="card"><dl class="facts" data-testid="order-facts">
<dt>${m.orders.order}</dt><dd data-testid="order-id">${o.orderId}</dd>
<dt>Checkout</dt><dd class="mono">${o.checkoutId}</dd>
<dt>${m.orders.released}</dt><dd>${formatTime(o.releasedAt)} UTC</dd>
<dt>${m.orders.amount}</dt><dd data-testid="order-price">${fiat(o.priceMinor, o.currency, ctx.locale)}${o.escrow ? html` <span class="badge reserved">${m.orders.escrow}</span>` : null}</dd>
<dt>${m.orders.fee}</dt><dd>${fiat(o.feeMinor, o.currency, ctx.locale)}</dd>
<dt>${m.orders.payment}</dt><dd data-testid="order-paid">${paidText(o)}</dd>
<dt>${m.orders.amountDue}</dt><dd>${o.asset === null || d.amountDueBase === null ? m.none : formatCrypto(d.amountDueBase, o.asset)}</dd>
<dt>${m.orders.rate}</dt><dd>${d.rate === null ? m.none : `${d.rate} ${o.currency}/${o.asset ?? ''}`}</dd>
<dt>${m.orders.address}</dt><dd class="mono">${d.address ?? m.none}</dd>
<dt>${m.orders.shipment}</dt><dd data-testid="order-shipment">${shipmentText(m, o)}</dd>
${o.escrowStatus === null ? null : html`<dt>${m.orders.escrowStatus}</dt><dd><span class="badge ${o.escrowStatus}" data-testid="escrow-status">${m.escrowStatuses[o.escrowStatus]}</span></dd>`}
<dt>${m.orders.payout}</dt><dd>${d.payout === null ? m.none : html`<span class="badge ${d.payout.status}">${m.payoutStatuses[d.payout.status as PayoutStatusValue] ?? d.payout.status}</span> ${fiat(d.payout.amountMinor, o.currency, ctx.locale)}`}</dd>
</dl></div>`;
  const items =
    o.items.length === 0
      ? html`<p class="muted">${m.none}</p>`
      : html`<div class="card"><table data-testid="items"><thead><tr><th>${m.orders.items}</th><th class="num">${m.orders.quantity}</th><th class="num">${m.orders.unitPrice}</th><th class="hide-narrow">${m.orders.sku}</th></tr></thead><tbody>${o.items.map(
          (i) => html`<tr><td>${i.name}</td><td class="num">${i.quantity}</td><td class="num">${i.unitPrice ?? m.none}</td><td class="hide-narrow mono">${i.sku ?? m.none}</td></tr>`,
        )}</tbody></table></div>`;
  const payments = html`<div class="card"><table data-testid="payments"><thead><tr><th>${m.orders.txid}</th><th class="num">${m.orders.paid}</th><th class="num">${m.orders.confirmations}</th><th>${m.orders.state}</th></tr></thead><tbody>${d.payments.map(
    (p) => html`<tr><td class="mono" data-testid="txid">${p.txid}:${p.outputIndex}</td><td class="num">${p.asset === null ? `${p.amountBase}` : formatCrypto(p.amountBase, p.asset)}</td><td class="num" data-testid="confirmations">${p.confirmations}</td><td><span class="badge">${p.state}</span></td></tr>`,
  )}</tbody></table></div>`;
  const receipt =
    d.receipt === null
      ? html`<p class="muted" data-testid="no-receipt">${m.orders.receiptNone}</p>`
      : html`<div class="card"><p class="muted">${m.orders.receiptHelp}</p><dl class="facts"><dt>id</dt><dd class="mono">${d.receipt.id}</dd><dt>kid</dt><dd class="mono">${d.receipt.kid}</dd><dt>${m.orders.released}</dt><dd>${formatTime(d.receipt.issuedAt)} UTC</dd></dl><textarea readonly rows="4" aria-label="${m.orders.receipt}" data-testid="receipt-jws">${d.receipt.jws}</textarea></div>`;
  const canShip = o.shipment === null && o.escrowStatus !== 'cancelled';
  // An escrowed order's hold may not be opened yet (the escrow sweeper opens it); cancelling opens it.
  const canCancel = o.escrow && (o.escrowStatus === null || o.escrowStatus === 'reserved' || o.escrowStatus === 'shipped' || o.escrowStatus === 'delivered' || o.escrowStatus === 'disputed');
  const actions =
    shipping === null
      ? html`<p class="muted" data-testid="shipments-unavailable">${m.orders.shipmentsUnavailable}</p>`
      : !canShip && !canCancel
        ? null
        : html`<div class="card">${!canShip ? null : postForm(
          ctx,
          `/orders/${o.checkoutId}/ship`,
          'ship-form',
          html`<label>${m.orders.carrier}<select name="carrierId" required data-testid="carrier">${shipping.carriers.map((c) => html`<option value="${c.id}">${c.name}</option>`)}</select></label><label>${m.orders.trackingNumber}<input name="trackingNumber" required minlength="4" maxlength="64" pattern="[A-Za-z0-9\\-]{4,64}" autocomplete="off" data-testid="tracking-number"></label>`,
          m.orders.markShipped,
        )}${!canCancel ? null : html`<h2>${m.orders.cancel}</h2>${postForm(
          ctx,
          `/orders/${o.checkoutId}/cancel`,
          'cancel-form',
          html`<label>${m.orders.cancelReason}<input name="reason" required maxlength="500" data-testid="cancel-reason"></label>`,
          m.orders.cancel,
        )}`}</div>`;
  const main = html`<h1>${m.orders.order} ${o.orderId}</h1>${facts}<h2>${m.orders.items}</h2>${items}<h2>${m.orders.payment}</h2>${payments}<h2>${m.orders.receipt}</h2>${receipt}<h2>${m.orders.shipment}</h2>${actions}`;
  return renderPortalPage(ctx, { title: `${m.orders.order} ${o.orderId}`, section: 'orders', main, flash });
}

function payoutTable(ctx: PortalViewContext, m: PortalMessages, payouts: readonly StorePayout[]): SafeHtml {
  if (payouts.length === 0) return html`<p class="muted" data-testid="no-payouts">${m.payouts.none}</p>`;
  return html`<div class="card"><table data-testid="payouts"><thead><tr><th>${m.payouts.status}</th><th class="num">${m.payouts.amount}</th><th class="num">${m.payouts.fee}</th><th>${m.payouts.covers}</th><th class="hide-narrow">${m.payouts.batch}</th><th class="hide-narrow">${m.payouts.created}</th><th class="hide-narrow">${m.payouts.due}</th><th class="hide-narrow">${m.payouts.sent}</th><th class="hide-narrow">${m.payouts.paid}</th></tr></thead><tbody>${payouts.map(
    (p) => html`<tr data-testid="payout-row" data-payout-id="${p.id}" data-status="${p.status}"><td><span class="badge ${p.status}">${m.payoutStatuses[p.status]}</span>${p.failureReason ? html`<div class="reason">${p.failureReason}</div>` : null}</td><td class="num">${fiat(p.amountMinor, p.currency, ctx.locale)}</td><td class="num">${fiat(p.feeMinor, p.currency, ctx.locale)}</td><td>${
      ctx.session !== null ? html`<a href="${withLang(`${ctx.basePath}/orders/${p.checkoutId}`, ctx)}">${p.orderId}</a>` : p.orderId
    } <span class="mono muted">${p.checkoutId}</span></td><td class="mono hide-narrow">${p.batchId ?? m.none}</td><td class="hide-narrow">${formatTime(p.createdAt)}</td><td class="hide-narrow">${formatTime(p.dueAt)}</td><td class="hide-narrow">${formatTime(p.sentAt)}</td><td class="hide-narrow">${formatTime(p.paidAt)}</td></tr>`,
  )}</tbody></table></div>`;
}

export function payoutsPage(ctx: PortalViewContext, data: { status: PayoutStatusValue | null; payouts: readonly StorePayout[]; currentMonth: string }): string {
  const m = portalMessages(ctx.locale);
  const tab = (status: PayoutStatusValue | null, label: string) =>
    html`<a href="${withLang(`${ctx.basePath}/payouts${status === null ? '' : `?status=${status}`}`, ctx)}"${data.status === status ? html` aria-current="page"` : null} data-testid="payout-tab-${status ?? 'all'}">${label}</a>`;
  const statement = html`<h2>${m.payouts.statement}</h2><form method="get" action="${ctx.basePath}/payouts/statement" class="filters card" data-testid="statement-form"><input type="hidden" name="lang" value="${ctx.locale}"><label>${m.payouts.month}<input type="month" name="month" value="${data.currentMonth}" required pattern="[0-9]{4}-[0-9]{2}" data-testid="statement-month"></label><button type="submit" class="secondary" data-testid="view-statement">${m.payouts.viewStatement}</button><button type="submit" class="secondary" formaction="${ctx.basePath}/payouts/statement.csv" data-testid="download-csv">${m.payouts.downloadCsv}</button></form>`;
  const main = html`<h1>${m.payouts.heading}</h1><nav class="tabs" aria-label="${m.payouts.status}">${tab(null, m.payouts.all)}${PAYOUT_STATUSES.map((s) => tab(s, m.payoutStatuses[s]))}</nav>${payoutTable(ctx, m, data.payouts)}${statement}`;
  return renderPortalPage(ctx, { title: m.payouts.heading, section: 'payouts', main });
}

export function statementPage(ctx: PortalViewContext, data: { storeName: string; month: StatementMonth; payouts: readonly StorePayout[]; totals: readonly StatementTotal[] }): string {
  const m = portalMessages(ctx.locale);
  const totals = html`<div class="card"><table data-testid="statement-totals"><thead><tr><th>${m.payouts.status}</th><th class="num">${m.payouts.count}</th><th class="num">${m.payouts.amount}</th><th class="num">${m.payouts.fee}</th></tr></thead><tbody>${data.totals.map(
    (t) => html`<tr data-testid="statement-total" data-status="${t.status}" data-currency="${t.currency}"><td>${m.payoutStatuses[t.status]}</td><td class="num">${t.count}</td><td class="num">${fiat(t.amountMinor, t.currency, ctx.locale)}</td><td class="num">${fiat(t.feeMinor, t.currency, ctx.locale)}</td></tr>`,
  )}</tbody></table></div>`;
  const main = html`<h1 data-testid="statement-heading">${m.payouts.statementHeading(data.storeName, data.month.text)}</h1><p class="muted">${m.payouts.generated} ${formatTime(ctx.nowMs)} UTC <button type="button" class="secondary no-print" data-print data-testid="print">${m.payouts.print}</button></p><h2>${m.payouts.totals}</h2>${totals}${payoutTable(ctx, m, data.payouts)}`;
  return renderPortalPage(ctx, { title: m.payouts.statementHeading(data.storeName, data.month.text), section: 'payouts', main });
}

/** `xpub6CatWdiZ…HSzcUn`: enough to tell keys apart; the whole key is the cell's title. */
function abbreviatedKey(key: string): string {
  return key.length <= 24 ? key : `${key.slice(0, 12)}…${key.slice(-8)}`;
}

/** What the integration page reveals once, right after creating it. */
export type RevealedSecret = { readonly kind: 'api_key'; readonly value: string } | { readonly kind: 'webhook_secret'; readonly value: string; readonly endpointId: string };

export function integrationPage(
  ctx: PortalViewContext,
  data: { keys: readonly ApiKeyView[]; endpoints: readonly WebhookEndpointView[]; wallets: readonly ReceivingWalletStatus[]; revealed: RevealedSecret | null; flash: string | null; error: string | null },
): string {
  const m = portalMessages(ctx.locale);
  const t = m.integration;
  const revealed =
    data.revealed === null
      ? null
      : html`<div class="once" role="status" data-testid="revealed-${data.revealed.kind}"><strong>${data.revealed.kind === 'api_key' ? t.keyShownOnce : t.secretShownOnce}</strong><code data-testid="revealed-value">${data.revealed.value}</code></div>`;
  const keys =
    data.keys.length === 0
      ? html`<p class="muted">${t.noKeys}</p>`
      : html`<div class="card"><table data-testid="api-keys"><thead><tr><th>${t.key}</th><th>${t.scopes}</th><th class="hide-narrow">${t.created}</th><th class="hide-narrow">${t.lastUsed}</th><th></th></tr></thead><tbody>${data.keys.map(
          (k) => html`<tr data-testid="api-key-row" data-key-id="${k.id}"><td class="mono">${k.prefix}…${k.last4}</td><td class="mono">${k.scopes.join(' ')}</td><td class="hide-narrow">${formatTime(new Date(k.createdAt))}</td><td class="hide-narrow">${k.lastUsedAt === null ? m.none : formatTime(new Date(k.lastUsedAt))}</td><td>${
            k.revokedAt === null ? actionForm(ctx, `/api-keys/${k.id}/revoke`, t.revoke, 'revoke-key') : html`<span class="badge failed">${t.revoked}</span>`
          }</td></tr>`,
        )}</tbody></table></div>`;
  const createKey = postForm(
    ctx,
    '/api-keys',
    'create-key',
    html`<fieldset class="checks"><legend>${t.scopes}</legend>${API_KEY_SCOPES.map((s) => html`<label><input type="checkbox" name="scopes" value="${s}" data-testid="scope-${s}"> <span class="mono">${s}</span></label>`)}</fieldset>`,
    t.createKey,
  );
  const endpoints =
    data.endpoints.length === 0
      ? html`<p class="muted">${t.noWebhooks}</p>`
      : html`<div class="card"><table data-testid="webhooks"><thead><tr><th>${t.url}</th><th>${t.eventTypes}</th><th>${t.status}</th><th class="hide-narrow">${t.created}</th></tr></thead><tbody>${data.endpoints.map(
          (e) => html`<tr data-testid="webhook-row" data-webhook-id="${e.id}"><td class="mono"><a href="${withLang(`${ctx.basePath}/webhooks/${e.id}`, ctx)}" data-testid="webhook-link">${e.url}</a>${e.description ? html`<div class="muted">${e.description}</div>` : null}</td><td class="mono">${e.eventTypes.length === 0 ? t.allEvents : e.eventTypes.join(', ')}</td><td><span class="badge ${e.status === 'enabled' ? 'succeeded' : 'failed'}">${e.status}</span>${e.disabledReason ? html`<div class="reason">${e.disabledReason}</div>` : null}</td><td class="hide-narrow">${formatTime(new Date(e.createdAt))}</td></tr>`,
        )}</tbody></table></div>`;
  const createWebhook = postForm(
    ctx,
    '/webhooks',
    'create-webhook',
    html`<label>${t.url}<input name="url" type="url" required maxlength="2048" placeholder="https://shop.example/hooks/coinstile" data-testid="webhook-url"></label><label>${t.eventTypes}<input name="eventTypes" maxlength="1000" placeholder="order.released, payout.paid" data-testid="webhook-events"><span class="muted">${t.eventTypesHelp}</span></label><label>${t.description}<input name="description" maxlength="500" data-testid="webhook-description"></label>`,
    t.createWebhook,
  );
  const wallets =
    data.wallets.length === 0
      ? html`<p class="muted">${t.noWallets}</p>`
      : html`<div class="card"><table data-testid="wallets"><thead><tr><th>${t.asset}</th><th>${t.xpub}</th><th class="num">${t.nextIndex}</th><th class="num hide-narrow">${t.lastPaidIndex}</th><th class="num">${t.unpaidGap}</th><th></th></tr></thead><tbody>${data.wallets.map(
          (w) => html`<tr data-testid="wallet-row" data-asset="${w.asset}" data-gap="${w.gap}"><td>${w.asset}</td><td class="mono" title="${w.extendedPublicKey}">${abbreviatedKey(w.extendedPublicKey)}</td><td class="num" data-testid="next-index">${w.nextIndex.toString()}</td><td class="num hide-narrow">${w.lastPaidIndex === null ? m.none : w.lastPaidIndex.toString()}</td><td class="num" data-testid="unpaid-gap">${w.unpaidPastLastPaid.toString()} / ${w.gapLimit}</td><td>${
            w.gap === 'ok' ? html`<span class="badge succeeded">${t.gap.ok}</span>` : html`<span class="${w.gap === 'exceeded' ? 'bad' : 'warn'}" data-testid="gap-warning">${t.gap[w.gap]}</span>`
          }</td></tr>`,
        )}</tbody></table></div>`;
  const main = html`<h1>${t.heading}</h1>${revealed}<h2>${t.apiKeys}</h2>${keys}<div class="card">${createKey}</div><h2>${t.webhooks}</h2>${endpoints}<div class="card">${createWebhook}</div><h2>${t.wallets}</h2>${wallets}`;
  return renderPortalPage(ctx, { title: t.heading, section: 'integration', main, flash: data.flash, error: data.error });
}

export function webhookPage(ctx: PortalViewContext, data: { endpoint: WebhookEndpointView; deliveries: readonly WebhookDeliveryView[]; selected: WebhookDeliveryView | null; flash: string | null }): string {
  const m = portalMessages(ctx.locale);
  const t = m.integration;
  const e = data.endpoint;
  const base = `/webhooks/${e.id}`;
  const deliveries =
    data.deliveries.length === 0
      ? html`<p class="muted" data-testid="no-deliveries">${t.noDeliveries}</p>`
      : html`<div class="card"><table data-testid="deliveries"><thead><tr><th>${t.event}</th><th>${t.status}</th><th class="num">${t.attempts}</th><th>${t.lastHttp}</th><th class="hide-narrow">${t.created}</th><th></th></tr></thead><tbody>${data.deliveries.map(
          (d) => html`<tr data-testid="delivery-row" data-delivery-id="${d.id}" data-event-type="${d.eventType}"><td class="mono"><a href="${withLang(`${ctx.basePath}${base}?delivery=${d.id}`, ctx)}">${d.eventType}</a></td><td><span class="badge ${d.status}">${d.status}</span></td><td class="num">${d.attempts}</td><td>${d.lastHttpStatus ?? m.none}</td><td class="hide-narrow">${formatTime(new Date(d.createdAt))}</td><td>${actionForm(ctx, `${base}/deliveries/${d.id}/redeliver`, t.redeliver, 'redeliver')}</td></tr>`,
        )}</tbody></table></div>`;
  const selected =
    data.selected === null
      ? null
      : html`<h2>${t.attemptLog}: <span class="mono">${data.selected.eventType}</span></h2><div class="card"><table data-testid="attempt-log"><thead><tr><th>#</th><th>${t.created}</th><th>${t.lastHttp}</th><th class="num">${t.latency}</th><th>${t.response}</th></tr></thead><tbody>${(data.selected.attemptLog ?? []).map(
          (a) => html`<tr><td>${a.attempt}</td><td>${formatTime(new Date(a.startedAt))}</td><td><span class="badge ${a.outcome}">${a.httpStatus ?? a.outcome}</span></td><td class="num">${a.latencyMs} ms</td><td><pre class="response" data-testid="attempt-response">${a.responseBody ?? ''}</pre>${a.error ? html`<div class="reason">${a.error}</div>` : null}</td></tr>`,
        )}</tbody></table></div>`;
  const main = html`<h1 class="mono">${e.url}</h1><div class="card"><dl class="facts"><dt>id</dt><dd class="mono">${e.id}</dd><dt>${t.eventTypes}</dt><dd class="mono">${e.eventTypes.length === 0 ? t.allEvents : e.eventTypes.join(', ')}</dd><dt>${t.status}</dt><dd>${e.status}${e.disabledReason ? ` (${e.disabledReason})` : ''}</dd></dl><p>${actionForm(ctx, `${base}/test`, t.sendTest, 'send-test')}</p></div><h2>${t.deliveries}</h2>${deliveries}${selected}`;
  return renderPortalPage(ctx, { title: e.url, section: 'integration', main, flash: data.flash });
}

export function usersPage(ctx: PortalViewContext, data: { users: readonly StoreUserView[]; invitation: { url: string; expiresAt: Date } | null; flash: string | null; error: string | null }): string {
  const m = portalMessages(ctx.locale);
  const u = m.users;
  const invitation =
    data.invitation === null
      ? null
      : html`<div class="once" role="status" data-testid="invitation-link"><strong>${u.inviteLink(formatTime(data.invitation.expiresAt))}</strong><code data-testid="invitation-url">${data.invitation.url}</code></div>`;
  const rows = html`<div class="card"><table data-testid="users"><thead><tr><th>${u.email}</th><th>${u.role}</th><th>${u.status}</th><th class="hide-narrow">${u.lastSignIn}</th><th></th></tr></thead><tbody>${data.users.map(
    (user) => html`<tr data-testid="user-row" data-user-id="${user.id}" data-status="${user.status}"><td>${user.email}${user.id === ctx.session?.userId ? html` <span class="muted">${u.you}</span>` : null}</td><td>${m.roles[user.role]}</td><td><span class="badge">${m.userStatuses[user.status]}</span></td><td class="hide-narrow">${user.lastSignInAt === null ? m.none : formatTime(new Date(user.lastSignInAt))}</td><td>${
      user.status === 'disabled' || user.id === ctx.session?.userId ? null : actionForm(ctx, `/users/${user.id}/disable`, u.disable, 'disable-user')
    }</td></tr>`,
  )}</tbody></table></div>`;
  const invite = postForm(
    ctx,
    '/users',
    'invite-user',
    html`<label>${u.email}<input name="email" type="email" required maxlength="254" data-testid="invite-email"></label><label>${u.role}<select name="role" data-testid="invite-role"><option value="staff">${m.roles.staff}</option><option value="owner">${m.roles.owner}</option></select></label>`,
    u.invite,
  );
  const main = html`<h1>${u.heading}</h1>${invitation}${rows}<div class="card">${invite}</div>`;
  return renderPortalPage(ctx, { title: u.heading, section: 'users', main, flash: data.flash, error: data.error });
}
