import { type FiatCurrency, overdraftMinor, type PostingKind, type ShopperAccountId, shopperBalance, spendableMinor } from '@coinstile/core';
import { type Database, SHOPPER_ACCOUNT_COLUMNS, shopperAccountFromRow, type ShopperAccountRecord } from '@coinstile/platform';
import { sql } from 'kysely';
import { html } from '../pages/html';
import type { Locale } from '../pages/locale';
import { fiat, formatTime, renderPage, type ViewContext } from './dashboard-views';

/** What the shopper-accounts page shows: accounts with their balances, and the latest balance movements. */
export interface ShopperAccountsOverview {
  readonly accounts: readonly { readonly account: ShopperAccountRecord; readonly balanceMinor: bigint }[];
  readonly movements: readonly { readonly accountId: string; readonly kind: PostingKind; readonly amountMinor: bigint; readonly currency: string; readonly checkoutId: string | null; readonly at: Date }[];
}

const ROWS = 200;

export async function shopperAccountsOverview(deps: { db: Database }): Promise<ShopperAccountsOverview> {
  const db = deps.db.kysely;
  const rows = await db.selectFrom('shopper_accounts').select(SHOPPER_ACCOUNT_COLUMNS).orderBy('id', 'desc').limit(ROWS).execute();
  const accounts = rows.map(shopperAccountFromRow);
  const balances =
    accounts.length === 0
      ? []
      : await db
          .selectFrom('ledger_entries')
          .select(['account', 'currency', sql<string>`sum(amount)::text`.as('total')])
          .where('account', 'in', accounts.map((a) => shopperBalance(a.id)))
          .groupBy(['account', 'currency'])
          .execute();
  const balanceOf = new Map(balances.map((b) => [`${b.account}|${b.currency}`, -BigInt(b.total)]));
  const movements = await db
    .selectFrom('ledger_entries')
    .innerJoin('ledger_postings', 'ledger_postings.id', 'ledger_entries.posting_id')
    .select(['ledger_entries.account', 'ledger_entries.amount', 'ledger_entries.currency', 'ledger_postings.kind', 'ledger_postings.checkout_id', 'ledger_postings.occurred_at'])
    .where('ledger_entries.account', 'like', 'shopper:%:balance')
    .orderBy('ledger_entries.id', 'desc')
    .limit(50)
    .execute();
  return {
    accounts: accounts.map((account) => ({ account, balanceMinor: balanceOf.get(`${shopperBalance(account.id)}|${account.currency}`) ?? 0n })),
    movements: movements.map((m) => ({
      accountId: m.account.split(':')[1] as ShopperAccountId,
      kind: m.kind,
      amountMinor: -BigInt(m.amount),
      currency: m.currency,
      checkoutId: m.checkout_id,
      at: m.occurred_at,
    })),
  };
}

const TEXT: Readonly<Record<Locale, Readonly<Record<string, string>>>> = {
  en: {
    title: 'Shopper accounts',
    accounts: 'Accounts',
    movements: 'Latest balance movements',
    account: 'Account',
    label: 'Label',
    status: 'Status',
    balance: 'Balance',
    creditLevel: 'Credit level',
    overdraft: 'Overdraft in use',
    spendable: 'Spendable',
    created: 'Created',
    kind: 'Movement',
    amount: 'Amount',
    checkout: 'Checkout',
    at: 'When',
    none: 'Nothing here.',
    hint: 'Create accounts with POST /v1/shopper-accounts (the access code is shown once); set credit levels with PATCH /v1/shopper-accounts/{id}/credit-level.',
  },
  ja: {
    title: 'ショッパーアカウント',
    accounts: 'アカウント',
    movements: '最近の残高の動き',
    account: 'アカウント',
    label: 'ラベル',
    status: '状態',
    balance: '残高',
    creditLevel: '与信枠',
    overdraft: '利用中の与信',
    spendable: '利用可能額',
    created: '作成',
    kind: '内容',
    amount: '金額',
    checkout: 'チェックアウト',
    at: '日時',
    none: '該当なし。',
    hint: 'アカウントは POST /v1/shopper-accounts で作成します（アクセスコードは一度だけ表示）。与信枠は PATCH /v1/shopper-accounts/{id}/credit-level で設定します。',
  },
};

/** The operator's shopper-accounts page: balances, credit levels and overdrafts in use, and the latest movements. */
export function shopperAccountsPage(ctx: ViewContext, data: ShopperAccountsOverview): string {
  const t = TEXT[ctx.locale];
  const label = (key: string): string => t[key] ?? key;
  const none = html`<p class="muted">${label('none')}</p>`;
  const money = (minor: bigint, currency: FiatCurrency | string) => fiat(minor, currency, ctx.locale);
  const accounts =
    data.accounts.length === 0
      ? none
      : html`<div class="card"><table data-testid="shopper-accounts">
<thead><tr><th>${label('account')}</th><th>${label('label')}</th><th>${label('status')}</th><th class="num">${label('balance')}</th><th class="num">${label('creditLevel')}</th><th class="num">${label('overdraft')}</th><th class="num">${label('spendable')}</th><th>${label('created')}</th></tr></thead>
<tbody>${data.accounts.map(
          ({ account: a, balanceMinor }) => html`<tr data-testid="shopper-account" data-status="${a.status}"><td class="mono">${a.id}</td><td>${a.label}</td><td><span class="badge">${a.status}</span></td><td class="num">${money(balanceMinor, a.currency)}</td><td class="num">${money(a.creditLevelMinor, a.currency)}</td><td class="num">${money(overdraftMinor(balanceMinor), a.currency)}</td><td class="num">${money(a.status === 'active' ? spendableMinor(balanceMinor, a.creditLevelMinor) : 0n, a.currency)}</td><td>${formatTime(a.createdAt)}</td></tr>`,
        )}</tbody></table></div>`;
  const movements =
    data.movements.length === 0
      ? none
      : html`<div class="card"><table data-testid="shopper-movements">
<thead><tr><th>${label('at')}</th><th>${label('account')}</th><th>${label('kind')}</th><th class="num">${label('amount')}</th><th>${label('checkout')}</th></tr></thead>
<tbody>${data.movements.map(
          (m) => html`<tr><td>${formatTime(m.at)}</td><td class="mono">${m.accountId}</td><td>${m.kind}</td><td class="num">${money(m.amountMinor, m.currency)}</td><td>${
            m.checkoutId === null ? '—' : html`<a class="mono" href="${ctx.basePath}/checkouts/${m.checkoutId}?lang=${ctx.locale}">${m.checkoutId}</a>`
          }</td></tr>`,
        )}</tbody></table></div>`;
  const main = html`<h1>${label('title')}</h1>
<h2>${label('accounts')}</h2>${accounts}
<h2>${label('movements')}</h2>${movements}
<p class="muted">${label('hint')}</p>`;
  return renderPage(ctx, { title: label('title'), section: 'shopper_accounts', main });
}
