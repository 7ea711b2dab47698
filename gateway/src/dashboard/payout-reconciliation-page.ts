import type { ReconciliationReport } from '@coinstile/merchant-payouts';
import { html, type SafeHtml } from '../pages/html';
import type { Locale } from '../pages/locale';
import { fiat, formatTime, renderPage, type ViewContext } from './dashboard-views';

const TEXT: Readonly<Record<Locale, Readonly<Record<string, string>>>> = {
  en: {
    title: 'Payout reconciliation',
    intro: 'The ledger, the payout records and the bank files compared, per currency.',
    clean: 'Clean: the ledger, the payouts and the bank files agree.',
    notClean: 'Discrepancies found',
    noBankFiles: 'Bank files were not checked: no bank file folder on this host.',
    currency: 'Currency',
    payable: 'Owed to stores',
    escrow: 'In escrow',
    inTransit: 'In transit',
    paid: 'Paid',
    scheduled: 'Scheduled',
    sent: 'Sent',
    failed: 'Failed',
    files: 'Bank files',
    filesTotal: 'In bank files',
    expected: 'Expected in files',
    kind: 'Kind',
    message: 'What',
    csv: 'Download payouts as CSV',
    none: 'No payouts yet.',
    generated: 'Generated',
    reconcile: 'Reconcile ledger, payouts and bank files',
    csvFiltered: 'These payouts as CSV',
  },
  ja: {
    title: '支払の照合',
    intro: '通貨ごとに元帳・支払記録・銀行ファイルを照合します。',
    clean: '不一致なし：元帳・支払・銀行ファイルが一致しています。',
    notClean: '不一致があります',
    noBankFiles: 'このホストに銀行ファイルのフォルダがないため、銀行ファイルは照合していません。',
    currency: '通貨',
    payable: '店舗への未払',
    escrow: 'エスクロー',
    inTransit: '送金中',
    paid: '支払済',
    scheduled: '予定',
    sent: '送信済',
    failed: '失敗',
    files: '銀行ファイル',
    filesTotal: 'ファイル内の合計',
    expected: 'ファイルにあるべき合計',
    kind: '種類',
    message: '内容',
    csv: '支払を CSV でダウンロード',
    none: '支払はまだありません。',
    generated: '作成',
    reconcile: '元帳・支払・銀行ファイルを照合',
    csvFiltered: 'この一覧を CSV で',
  },
};

/** Links under the payouts list: the reconciliation page, and the listed payouts (same filters) as CSV. */
export function payoutToolLinks(ctx: ViewContext, query: Readonly<Record<string, string>>): SafeHtml {
  const t = TEXT[ctx.locale];
  const filters = new URLSearchParams(Object.entries(query).filter(([name]) => ['status', 'store', 'from', 'to'].includes(name)));
  const csv = `${ctx.basePath}/payouts.csv${filters.size > 0 ? `?${filters.toString()}` : ''}`;
  return html`<p class="muted"><a href="${ctx.basePath}/reconciliation?lang=${ctx.locale}" data-testid="reconciliation-link">${t['reconcile']}</a> · <a href="${csv}" data-testid="payouts-csv-filtered" download>${t['csvFiltered']}</a></p>`;
}

/** The operator's reconciliation page (`reconcilePayouts`), with the payouts CSV export one click away. */
export function reconciliationPage(ctx: ViewContext, report: ReconciliationReport, bankFilesChecked: boolean): string {
  const t = TEXT[ctx.locale];
  const label = (key: string): string => t[key] ?? key;
  const money = (minor: bigint, currency: string) => fiat(minor, currency, ctx.locale);
  const summary = report.clean
    ? html`<p class="flash" role="status" data-testid="reconciliation-clean">${label('clean')}</p>`
    : html`<div class="card"><h2>${label('notClean')} (${report.discrepancies.length})</h2><table data-testid="reconciliation-discrepancies">
<thead><tr><th>${label('kind')}</th><th>${label('currency')}</th><th>${label('message')}</th></tr></thead>
<tbody>${report.discrepancies.map(
        (d) => html`<tr data-testid="reconciliation-discrepancy" data-kind="${d.kind}"><td class="mono">${d.kind}</td><td>${d.currency ?? '—'}</td><td>${d.message}</td></tr>`,
      )}</tbody></table></div>`;
  const currencies =
    report.currencies.length === 0
      ? html`<p class="muted">${label('none')}</p>`
      : html`<div class="card"><table data-testid="reconciliation-currencies">
<thead><tr><th>${label('currency')}</th><th class="num">${label('payable')}</th><th class="num">${label('escrow')}</th><th class="num">${label('inTransit')}</th><th class="num">${label('paid')}</th><th class="num">${label('scheduled')}</th><th class="num">${label('sent')}</th><th class="num">${label('failed')}</th>${bankFilesChecked ? html`<th class="num">${label('files')}</th><th class="num">${label('filesTotal')}</th><th class="num">${label('expected')}</th>` : null}</tr></thead>
<tbody>${report.currencies.map(
          (c) => html`<tr data-testid="reconciliation-currency" data-currency="${c.currency}"><td>${c.currency}</td><td class="num">${money(c.ledger.storePayableMinor, c.currency)}</td><td class="num">${money(c.ledger.storeEscrowMinor, c.currency)}</td><td class="num">${money(c.ledger.payoutsInTransitMinor, c.currency)}</td><td class="num">${money(c.ledger.paidMinor, c.currency)}</td><td class="num">${c.payouts.scheduled.count}</td><td class="num">${c.payouts.sent.count}</td><td class="num">${c.payouts.failed.count}</td>${bankFilesChecked ? html`<td class="num">${c.bankFiles.files}</td><td class="num">${money(c.bankFiles.totalMinor, c.currency)}</td><td class="num">${money(c.bankFiles.expectedTotalMinor, c.currency)}</td>` : null}</tr>`,
        )}</tbody></table></div>`;
  return renderPage(ctx, {
    title: label('title'),
    section: 'payouts',
    main: html`<h1>${label('title')}</h1>
<p class="muted">${label('intro')} ${label('generated')} ${formatTime(report.generatedAt)}.</p>
${summary}
${bankFilesChecked ? null : html`<p class="muted" data-testid="reconciliation-no-bank-files">${label('noBankFiles')}</p>`}
${currencies}
<p><a href="${ctx.basePath}/payouts.csv" data-testid="payouts-csv" download>${label('csv')}</a></p>`,
  });
}
