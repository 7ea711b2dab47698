import type { Clock, RandomSource } from '@coinstile/core';
import { type Dispute, type EscrowHoldView, EscrowService, type Refund } from '@coinstile/merchant-payouts';
import type { Database } from '@coinstile/platform';
import { formatCrypto } from '../pages/format';
import { html } from '../pages/html';
import type { Locale } from '../pages/locale';
import { fiat, formatTime, renderPage, type ViewContext } from './dashboard-views';

/** What the escrow page shows: payouts held in escrow, open disputes, refunds waiting on someone. */
export interface EscrowOverview {
  readonly holds: readonly EscrowHoldView[];
  readonly disputes: readonly Dispute[];
  readonly refunds: readonly Refund[];
}

const ROWS = 200;

export async function escrowOverview(deps: { db: Database; clock: Clock; random: RandomSource }): Promise<EscrowOverview> {
  const escrow = new EscrowService(deps);
  const [holds, disputes, awaitingAddress, ready] = await Promise.all([
    escrow.listHolds({ statuses: ['reserved', 'shipped', 'delivered', 'disputed'], limit: ROWS }),
    escrow.listDisputes({ status: 'open', limit: ROWS }),
    escrow.listRefunds({ status: 'awaiting_address', limit: ROWS }),
    escrow.listRefunds({ status: 'ready', limit: ROWS }),
  ]);
  return { holds, disputes, refunds: [...ready, ...awaitingAddress] };
}

const TEXT: Readonly<Record<Locale, Readonly<Record<string, string>>>> = {
  en: {
    title: 'Escrow',
    holds: 'Payouts held in escrow',
    disputes: 'Open disputes',
    refunds: 'Refunds to send',
    checkout: 'Checkout',
    store: 'Store',
    order: 'Order',
    status: 'Status',
    held: 'Held',
    inspection: 'Inspection',
    deadline: 'Acceptance deadline',
    overdue: 'overdue: the sweeper accepts it',
    reason: 'Reason',
    opened: 'Opened',
    amount: 'Amount',
    refund: 'Refund',
    address: 'Address',
    none: 'Nothing here.',
    resolveHint: 'Resolve with POST /v1/disputes/{id}/resolve (release, refund_full, refund_partial).',
    sendHint: "Send ready refunds from the mall's wallet, then POST /v1/refunds/{id}/mark-sent with the txid.",
  },
  ja: {
    title: 'エスクロー',
    holds: 'エスクローで留保中の支払',
    disputes: '未解決の紛争',
    refunds: '送金待ちの返金',
    checkout: 'チェックアウト',
    store: '店舗',
    order: '注文',
    status: '状態',
    held: '留保額',
    inspection: '検収者',
    deadline: '検収期限',
    overdue: '期限切れ：自動で検収されます',
    reason: '理由',
    opened: '開始',
    amount: '金額',
    refund: '返金',
    address: 'アドレス',
    none: '該当なし。',
    resolveHint: 'POST /v1/disputes/{id}/resolve（release、refund_full、refund_partial）で解決します。',
    sendHint: 'モールのウォレットから送金し、txid を付けて POST /v1/refunds/{id}/mark-sent を呼びます。',
  },
};

/** The operator's escrow page: held payouts with their deadlines, open disputes, refunds waiting to be sent. */
export function escrowPage(ctx: ViewContext, data: EscrowOverview): string {
  const t = TEXT[ctx.locale];
  const label = (key: string): string => t[key] ?? key;
  const checkoutLink = (id: string) => html`<a class="mono" href="${ctx.basePath}/checkouts/${id}?lang=${ctx.locale}">${id}</a>`;
  const deadline = (d: Date | null) =>
    d === null ? '—' : html`${formatTime(d)}${d.getTime() <= ctx.nowMs ? html` <span class="badge failed">${label('overdue')}</span>` : null}`;
  const none = html`<p class="muted">${label('none')}</p>`;
  const holds =
    data.holds.length === 0
      ? none
      : html`<div class="card"><table data-testid="escrow-holds">
<thead><tr><th>${label('checkout')}</th><th>${label('store')}</th><th>${label('order')}</th><th>${label('status')}</th><th class="num">${label('held')}</th><th>${label('inspection')}</th><th>${label('deadline')}</th></tr></thead>
<tbody>${data.holds.map(
          (h) => html`<tr data-testid="escrow-hold" data-status="${h.status}"><td>${checkoutLink(h.checkoutId)}</td><td class="mono">${h.storeId}</td><td>${h.orderId}</td><td><span class="badge ${h.status}">${h.status}</span></td><td class="num">${fiat(h.heldMinor, h.currency, ctx.locale)}</td><td>${h.inspection}</td><td>${deadline(h.acceptanceDeadline)}</td></tr>`,
        )}</tbody></table></div>`;
  const disputes =
    data.disputes.length === 0
      ? none
      : html`<div class="card"><table data-testid="escrow-disputes">
<thead><tr><th>ID</th><th>${label('checkout')}</th><th>${label('reason')}</th><th class="num">${label('held')}</th><th>${label('opened')}</th><th>${label('deadline')}</th></tr></thead>
<tbody>${data.disputes.map(
          (d) => html`<tr data-testid="escrow-dispute"><td class="mono">${d.id}</td><td>${checkoutLink(d.checkoutId)}</td><td>${d.reason}</td><td class="num">${fiat(d.heldMinor, d.currency, ctx.locale)}</td><td>${formatTime(d.openedAt)}</td><td>${d.acceptanceDeadline === null ? '—' : formatTime(d.acceptanceDeadline)}</td></tr>`,
        )}</tbody></table></div><p class="muted">${label('resolveHint')}</p>`;
  const refunds =
    data.refunds.length === 0
      ? none
      : html`<div class="card"><table data-testid="escrow-refunds">
<thead><tr><th>ID</th><th>${label('checkout')}</th><th>${label('status')}</th><th class="num">${label('amount')}</th><th>${label('refund')}</th><th>${label('address')}</th></tr></thead>
<tbody>${data.refunds.map(
          (r) => html`<tr data-testid="escrow-refund" data-status="${r.status}"><td class="mono">${r.id}</td><td>${checkoutLink(r.checkoutId)}</td><td><span class="badge">${r.status}</span></td><td class="num">${fiat(r.refundMinor, r.currency, ctx.locale)}</td><td>${r.amountBase === null ? '—' : formatCrypto(r.amountBase, r.asset)}</td><td class="mono">${r.address ?? '—'}</td></tr>`,
        )}</tbody></table></div><p class="muted">${label('sendHint')}</p>`;
  const main = html`<h1>${label('title')}</h1>
<h2>${label('holds')}</h2>${holds}
<h2>${label('disputes')}</h2>${disputes}
<h2>${label('refunds')}</h2>${refunds}`;
  return renderPage(ctx, { title: label('title'), section: 'escrow', main });
}
