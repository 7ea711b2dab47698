import { type FiatCurrency, voucherLiability } from '@coinstile/core';
import type { Database, TenderStatusValue } from '@coinstile/platform';
import { sql } from 'kysely';
import { html } from '../pages/html';
import type { Locale } from '../pages/locale';
import { fiat, formatTime, renderPage, type ViewContext } from './dashboard-views';

/** What the vouchers page shows: batches with their vouchers by status, the liability, the latest tenders. */
export interface VouchersOverview {
  readonly batches: readonly {
    readonly id: string;
    readonly label: string;
    readonly currency: string;
    readonly faceValueMinor: bigint;
    readonly count: number;
    readonly expiresAt: Date;
    readonly voidedAt: Date | null;
    readonly byStatus: Readonly<Record<string, number>>;
    /** Spendable balance left on its activated vouchers. */
    readonly outstandingMinor: bigint;
  }[];
  /** The ledger's voucher liability per currency (activated, not yet spent at a settled checkout). */
  readonly liability: readonly { readonly currency: string; readonly amountMinor: bigint }[];
  readonly tenders: readonly {
    readonly checkoutId: string;
    readonly voucherId: string;
    readonly pinLast4: string;
    readonly amountMinor: bigint;
    readonly currency: string;
    readonly status: TenderStatusValue;
    readonly at: Date;
  }[];
}

const ROWS = 100;

export async function vouchersOverview(deps: { db: Database }): Promise<VouchersOverview> {
  const db = deps.db.kysely;
  const now = new Date();
  const batches = await db.selectFrom('voucher_batches').selectAll().orderBy('id', 'desc').limit(ROWS).execute();
  const counts =
    batches.length === 0
      ? []
      : await db
          .selectFrom('vouchers')
          .select([
            'batch_id',
            sql<string>`CASE WHEN status IN ('issued', 'activated') AND expires_at <= ${now} THEN 'expired' ELSE status END`.as('effective_status'),
            (eb) => eb.fn.countAll<string>().as('n'),
            sql<string>`sum(balance_minor)::text`.as('balance'),
          ])
          .where('batch_id', 'in', batches.map((b) => b.id))
          .groupBy(['batch_id', 'effective_status'])
          .execute();
  const liability = await db
    .selectFrom('ledger_entries')
    .select(['currency', sql<string>`sum(amount)::text`.as('total')])
    .where('account', '=', voucherLiability())
    .groupBy('currency')
    .execute();
  const tenders = await db
    .selectFrom('checkout_tenders')
    .innerJoin('vouchers', 'vouchers.id', 'checkout_tenders.voucher_id')
    .select(['checkout_tenders.checkout_id', 'checkout_tenders.voucher_id', 'vouchers.pin_last4', 'checkout_tenders.amount_minor', 'checkout_tenders.currency', 'checkout_tenders.status', 'checkout_tenders.updated_at'])
    .orderBy('checkout_tenders.id', 'desc')
    .limit(50)
    .execute();
  return {
    batches: batches.map((b) => {
      const rows = counts.filter((c) => c.batch_id === b.id);
      return {
        id: b.id,
        label: b.label,
        currency: b.currency,
        faceValueMinor: BigInt(b.face_value_minor),
        count: b.voucher_count,
        expiresAt: b.expires_at,
        voidedAt: b.voided_at,
        byStatus: Object.fromEntries(rows.map((r) => [r.effective_status, Number(r.n)])),
        outstandingMinor: rows.filter((r) => r.effective_status === 'activated').reduce((sum, r) => sum + BigInt(r.balance), 0n),
      };
    }),
    liability: liability.map((l) => ({ currency: l.currency, amountMinor: -BigInt(l.total) })),
    tenders: tenders.map((t) => ({
      checkoutId: t.checkout_id,
      voucherId: t.voucher_id ?? '',
      pinLast4: t.pin_last4,
      amountMinor: BigInt(t.amount_minor),
      currency: t.currency,
      status: t.status,
      at: t.updated_at,
    })),
  };
}

const TEXT: Readonly<Record<Locale, Readonly<Record<string, string>>>> = {
  en: {
    title: 'Vouchers',
    liability: 'Owed to voucher holders (ledger)',
    batches: 'Batches',
    batch: 'Batch',
    label: 'Label',
    faceValue: 'Face value',
    count: 'Cards',
    issued: 'Issued',
    activated: 'Activated',
    redeemed: 'Redeemed',
    expired: 'Expired',
    voided: 'Voided',
    outstanding: 'Spendable left',
    expires: 'Expires',
    tenders: 'Latest vouchers applied to checkouts',
    checkout: 'Checkout',
    voucher: 'Voucher',
    amount: 'Amount',
    status: 'Status',
    at: 'When',
    none: 'Nothing here.',
    hint: 'Issue batches with POST /v1/voucher-batches (the PINs are shown once); stores activate cards at their POS with POST /v1/vouchers/activate (scope pos).',
  },
  ja: {
    title: 'プリペイドカード',
    liability: 'カード保有者への未払額（元帳）',
    batches: 'バッチ',
    batch: 'バッチ',
    label: 'ラベル',
    faceValue: '額面',
    count: '枚数',
    issued: '発行済',
    activated: '有効',
    redeemed: '使用済',
    expired: '期限切れ',
    voided: '無効',
    outstanding: '利用可能残高',
    expires: '有効期限',
    tenders: '最近チェックアウトに使われたカード',
    checkout: 'チェックアウト',
    voucher: 'カード',
    amount: '金額',
    status: '状態',
    at: '日時',
    none: '該当なし。',
    hint: 'バッチは POST /v1/voucher-batches で発行します（PINは一度だけ表示）。店舗はPOSで POST /v1/vouchers/activate（スコープ pos）によりカードを有効化します。',
  },
};

const STATUSES = ['issued', 'activated', 'redeemed', 'expired', 'voided'] as const;

/** The operator's vouchers page: the liability, batches by status with what is left to spend, the latest tenders. */
export function vouchersPage(ctx: ViewContext, data: VouchersOverview): string {
  const t = TEXT[ctx.locale];
  const label = (key: string): string => t[key] ?? key;
  const none = html`<p class="muted">${label('none')}</p>`;
  const money = (minor: bigint, currency: FiatCurrency | string) => fiat(minor, currency, ctx.locale);
  const liability =
    data.liability.length === 0
      ? none
      : html`<p data-testid="voucher-liability">${data.liability.map((l) => html`<strong class="num">${money(l.amountMinor, l.currency)}</strong> `)}</p>`;
  const batches =
    data.batches.length === 0
      ? none
      : html`<div class="card"><table data-testid="voucher-batches">
<thead><tr><th>${label('batch')}</th><th>${label('label')}</th><th class="num">${label('faceValue')}</th><th class="num">${label('count')}</th>${STATUSES.map((s) => html`<th class="num">${label(s)}</th>`)}<th class="num">${label('outstanding')}</th><th>${label('expires')}</th></tr></thead>
<tbody>${data.batches.map(
          (b) => html`<tr data-testid="voucher-batch"><td class="mono">${b.id}</td><td>${b.label}</td><td class="num">${money(b.faceValueMinor, b.currency)}</td><td class="num">${String(b.count)}</td>${STATUSES.map(
            (s) => html`<td class="num">${String(b.byStatus[s] ?? 0)}</td>`,
          )}<td class="num">${money(b.outstandingMinor, b.currency)}</td><td>${formatTime(b.expiresAt)}</td></tr>`,
        )}</tbody></table></div>`;
  const tenders =
    data.tenders.length === 0
      ? none
      : html`<div class="card"><table data-testid="voucher-tenders">
<thead><tr><th>${label('at')}</th><th>${label('checkout')}</th><th>${label('voucher')}</th><th class="num">${label('amount')}</th><th>${label('status')}</th></tr></thead>
<tbody>${data.tenders.map(
          (x) => html`<tr><td>${formatTime(x.at)}</td><td><a class="mono" href="${ctx.basePath}/checkouts/${x.checkoutId}?lang=${ctx.locale}">${x.checkoutId}</a></td><td class="mono">${x.voucherId} ····${x.pinLast4}</td><td class="num">${money(x.amountMinor, x.currency)}</td><td><span class="badge">${x.status}</span></td></tr>`,
        )}</tbody></table></div>`;
  const main = html`<h1>${label('title')}</h1>
<h2>${label('liability')}</h2>${liability}
<h2>${label('batches')}</h2>${batches}
<h2>${label('tenders')}</h2>${tenders}
<p class="muted">${label('hint')}</p>`;
  return renderPage(ctx, { title: label('title'), section: 'vouchers', main });
}
