import {
  assertNever,
  type CheckoutStatus,
  type CryptoAsset,
  cryptoAssetInfo,
  fiatStillDueMinor,
  formatAmount,
  isLivePayment,
  type Tender,
  tenderedMinor,
} from '@coinstile/core';
import type { CheckoutRecord, PaymentRecord } from '@coinstile/platform';
import { paymentQrSvg } from '@coinstile/wallet-verifier';
import { formatCountdown, formatCrypto, formatFiat } from './format';
import { html, type SafeHtml, trustedHtml } from './html';
import type { Locale } from './locale';
import type { Messages } from './messages';

/** Everything the hosted page shows about one checkout, read in one go. */
export interface HostedCheckoutSnapshot {
  readonly checkout: CheckoutRecord;
  readonly payments: readonly PaymentRecord[];
  readonly storeName: string;
  /** What the shopper may choose from: the checkout's offered assets, else every asset the store has a wallet for. */
  readonly assetsOffered: readonly CryptoAsset[];
  /** Vouchers and balance applied to the price (their amounts and states). */
  readonly tenders?: readonly Pick<Tender, 'amountMinor' | 'status'>[];
  /** The shopper account the checkout is linked to: `sale` (an over-payment is credited to it) or its `top_up`. */
  readonly shopperLink?: { readonly purpose: 'sale' | 'top_up' } | null;
}

/**
 * What the page shows, derived from the checkout and the time. Not the status itself: a `new` checkout
 * past its expiry already reads as expired (the verifier records that a moment later), and a `new`
 * checkout may still need its asset or a fresh quote.
 */
export type HostedPageKind = 'choose_asset' | 'pay' | 'quote_expired' | 'processing' | 'settled' | 'expired' | 'invalid' | 'cancelled';

export function pageKind(checkout: CheckoutRecord, now: Date): HostedPageKind {
  const status: CheckoutStatus = checkout.status;
  switch (status) {
    case 'new': {
      if (now.getTime() >= checkout.expiresAt.getTime()) return 'expired';
      if (checkout.asset === null) return 'choose_asset';
      const quoteExpired = checkout.quoteExpiresAt !== null && now.getTime() >= checkout.quoteExpiresAt.getTime();
      // Once money has arrived the amount due stays as quoted (the gateway renews only unpaid quotes).
      return quoteExpired && checkout.amountPaidBase === 0n ? 'quote_expired' : 'pay';
    }
    case 'processing':
      return 'processing';
    case 'settled':
      return 'settled';
    case 'expired':
      return 'expired';
    case 'invalid':
      return 'invalid';
    case 'cancelled':
      return 'cancelled';
  }
  return assertNever(status, 'checkout status');
}

/**
 * True when nothing the shopper could still see will change: the live stream can stop. An expired
 * checkout may still learn of a late payment until its monitoring window ends.
 */
export function isFinalView(checkout: CheckoutRecord, now: Date): boolean {
  const status: CheckoutStatus = checkout.status;
  switch (status) {
    case 'new':
    case 'processing':
      return false;
    case 'expired':
      return checkout.exception === 'paid_late' || now.getTime() >= checkout.monitoringUntil.getTime();
    case 'settled':
    case 'invalid':
    case 'cancelled':
      return true;
  }
  return assertNever(status, 'checkout status');
}

/** Identifies what the page shows; the live stream sends it as the event id and sends nothing when it is unchanged. */
export function viewKey(checkout: CheckoutRecord, now: Date): string {
  return `${checkout.version}.${pageKind(checkout, now)}`;
}

/** The next instant the page changes by time alone (a quote or the checkout expiring), if any. */
export function nextTimeBoundary(checkout: CheckoutRecord, now: Date): Date | null {
  const candidates: Date[] = [];
  switch (pageKind(checkout, now)) {
    case 'pay':
    case 'quote_expired':
    case 'choose_asset':
      candidates.push(checkout.expiresAt);
      if (checkout.quoteExpiresAt !== null) candidates.push(checkout.quoteExpiresAt);
      break;
    case 'expired':
      candidates.push(checkout.monitoringUntil);
      break;
    case 'processing':
    case 'settled':
    case 'invalid':
    case 'cancelled':
      break;
  }
  const future = candidates.filter((d) => d.getTime() > now.getTime()).sort((a, b) => a.getTime() - b.getTime());
  return future[0] ?? null;
}

export interface RenderContext {
  readonly locale: Locale;
  readonly messages: Messages;
  readonly now: Date;
  /** The payment URI (BIP21 / EIP-681) asking for `amountBase` of `asset` at `address`. */
  readonly paymentUri: (asset: CryptoAsset, address: string, amountBase: bigint) => string;
  /** Offer the shopper-balance form (shopper accounts are served by this gateway). */
  readonly offersBalance?: boolean;
  /** Offer the voucher PIN form (vouchers are served by this gateway). */
  readonly offersVouchers?: boolean;
}

/** Paths of the page's own endpoints, with the language kept. */
export function pagePaths(checkoutId: string, locale: Locale) {
  const base = `/pay/${encodeURIComponent(checkoutId)}`;
  return {
    page: `${base}?lang=${locale}`,
    chooseAsset: `${base}/asset?lang=${locale}`,
    renewQuote: `${base}/quote?lang=${locale}`,
    events: `${base}/events?lang=${locale}`,
    payWithBalance: `${base}/balance?lang=${locale}`,
    applyVoucher: `${base}/voucher?lang=${locale}`,
  };
}

/** The checkout section of the page (what the live stream replaces on every change). */
export async function renderCheckoutSection(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): Promise<SafeHtml> {
  const { checkout } = snapshot;
  const m = ctx.messages;
  const summary = html`<section class="summary">
  <dl>
    <div><dt>${m.priceLabel}</dt><dd class="price" data-testid="price">${formatFiat(checkout.priceMinor, checkout.currency, ctx.locale)}</dd></div>
    <div><dt>${m.orderLabel}</dt><dd class="order" data-testid="order-id">${checkout.orderId}</dd></div>
  </dl>
</section>`;
  const kind = pageKind(checkout, ctx.now);
  return html`${summary}${await renderBody(kind, snapshot, ctx)}`;
}

async function renderBody(kind: HostedPageKind, snapshot: HostedCheckoutSnapshot, ctx: RenderContext): Promise<SafeHtml> {
  switch (kind) {
    case 'choose_asset':
      return html`${renderChooseAsset(snapshot, ctx)}${voucherForm(snapshot, ctx)}${balanceForm(snapshot, ctx)}`;
    case 'pay':
      return html`${await renderPay(snapshot, ctx)}${voucherForm(snapshot, ctx)}${balanceForm(snapshot, ctx)}`;
    case 'quote_expired':
      return renderQuoteExpired(snapshot, ctx);
    case 'processing':
      return renderProcessing(snapshot, ctx);
    case 'settled':
      return renderSettled(snapshot, ctx);
    case 'expired':
      return renderExpired(snapshot, ctx);
    case 'invalid':
      return renderInvalid(snapshot, ctx);
    case 'cancelled':
      return panel('cancelled', 'bad', ctx.messages.cancelledTitle, html`<p>${ctx.messages.cancelledBody}</p>`);
  }
  return assertNever(kind, 'page kind');
}

function panel(kind: HostedPageKind, tone: 'neutral' | 'good' | 'bad' | 'wait', title: string, body: SafeHtml): SafeHtml {
  return html`<section class="panel tone-${tone}" data-kind="${kind}" data-testid="state-${kind}">
  <h1 class="state-title">${title}</h1>
  ${body}
</section>`;
}

function renderChooseAsset(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml {
  const m = ctx.messages;
  if (snapshot.assetsOffered.length === 0) return panel('choose_asset', 'bad', m.chooseAssetTitle, html`<p>${m.noAssets}</p>`);
  const paths = pagePaths(snapshot.checkout.id, ctx.locale);
  const buttons = snapshot.assetsOffered.map(
    (asset) => html`<button type="submit" name="asset" value="${asset}" class="asset-choice" data-testid="choose-${asset}">
      <span class="asset-name">${m.payWith(m.assetNames[asset])}</span><span class="asset-code">${asset}</span>
    </button>`,
  );
  return panel(
    'choose_asset',
    'neutral',
    m.chooseAssetTitle,
    html`<form method="post" action="${paths.chooseAsset}" class="asset-form">${buttons}</form>
<p class="hint">${m.chooseAssetHint}</p>`,
  );
}

/** Shopper accounts: pay part or all of an unpaid checkout from a balance, with the account number and access code. */
function balanceForm(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml | null {
  // A top-up is what credits the balance: it is paid in crypto only.
  if (ctx.offersBalance !== true || snapshot.checkout.amountPaidBase > 0n || snapshot.shopperLink?.purpose === 'top_up') return null;
  const m = ctx.messages;
  return html`<details class="panel tone-neutral balance" data-testid="balance-form">
  <summary>${m.balanceTitle}</summary>
  <form method="post" action="${pagePaths(snapshot.checkout.id, ctx.locale).payWithBalance}">
    <label class="field"><span class="label">${m.balanceAccountLabel}</span><input name="account" required maxlength="40" autocomplete="username" spellcheck="false"></label>
    <label class="field"><span class="label">${m.balanceCodeLabel}</span><input name="code" type="password" required maxlength="64" autocomplete="current-password" spellcheck="false"></label>
    <button type="submit" class="button primary" data-testid="pay-with-balance">${m.balanceSubmit}</button>
  </form>
  <p class="hint">${m.balanceHint}</p>
</details>`;
}

/** Vouchers: apply a prepaid PIN to an unpaid checkout; shows what vouchers and balance already pay. */
function voucherForm(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml | null {
  if (ctx.offersVouchers !== true || snapshot.checkout.amountPaidBase > 0n) return null;
  const m = ctx.messages;
  const { priceMinor, currency } = snapshot.checkout;
  const tenders = snapshot.tenders ?? [];
  const applied =
    tenderedMinor(tenders) > 0n
      ? html`<p class="hint" data-testid="tenders-applied">${m.voucherApplied(formatFiat(tenderedMinor(tenders), currency, ctx.locale), formatFiat(fiatStillDueMinor(priceMinor, tenders), currency, ctx.locale))}</p>`
      : null;
  return html`${applied}<details class="panel tone-neutral voucher" data-testid="voucher-form">
  <summary>${m.voucherTitle}</summary>
  <form method="post" action="${pagePaths(snapshot.checkout.id, ctx.locale).applyVoucher}">
    <label class="field"><span class="label">${m.voucherPinLabel}</span><input name="pin" required maxlength="24" inputmode="numeric" autocomplete="off" spellcheck="false"></label>
    <button type="submit" class="button primary" data-testid="apply-voucher">${m.voucherSubmit}</button>
  </form>
  <p class="hint">${m.voucherHint}</p>
</details>`;
}

function livePayments(snapshot: HostedCheckoutSnapshot): PaymentRecord[] {
  return snapshot.payments.filter((p) => p.asset === snapshot.checkout.asset && isLivePayment(p));
}

function copyButton(value: string, label: string, ctx: RenderContext, testId: string): SafeHtml {
  return html`<button type="button" class="copy" data-copy="${value}" data-copied="${ctx.messages.copied}" aria-label="${label}" data-testid="${testId}">${ctx.messages.copy}</button>`;
}

async function renderPay(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): Promise<SafeHtml> {
  const { checkout } = snapshot;
  const m = ctx.messages;
  const { asset, address, amountDueBase } = checkout;
  if (asset === null || address === null || amountDueBase === null) {
    throw new Error(`checkout ${checkout.id} is payable but has no payment instructions`);
  }
  const partial = checkout.amountPaidBase > 0n && checkout.amountPaidBase < amountDueBase;
  const toSendBase = partial ? amountDueBase - checkout.amountPaidBase : amountDueBase;
  const uri = ctx.paymentUri(asset, address, toSendBase);
  const qr = await paymentQrSvg(uri);
  const deadlines = [checkout.expiresAt.getTime()];
  if (checkout.quoteExpiresAt !== null && checkout.amountPaidBase === 0n) deadlines.push(checkout.quoteExpiresAt.getTime());
  const remainingMs = Math.max(0, Math.min(...deadlines) - ctx.now.getTime());
  const amountText = formatAmount(toSendBase, asset);
  const notice = partial
    ? html`<div class="notice" data-testid="partial-notice"><strong>${m.partialTitle}</strong>
  <p>${m.partialBody(formatCrypto(checkout.amountPaidBase, asset), formatCrypto(toSendBase, asset))}</p></div>`
    : null;
  return html`<section class="panel tone-neutral" data-kind="pay" data-testid="state-pay">
  ${notice}
  <div class="pay-details" data-until-expired>
    <div class="qr" role="img" aria-label="${m.qrLabel}" data-testid="qr">${trustedHtml(qr)}</div>
    <a class="button primary" href="${uri}" data-testid="open-wallet">${m.openInWallet}</a>
    <div class="field">
      <span class="label">${partial ? m.remainingLabel : m.amountToSendLabel}</span>
      <div class="value-row"><code class="value amount" data-testid="amount-due">${amountText}</code><span class="unit">${asset}</span>${copyButton(amountText, m.copyAmount, ctx, 'copy-amount')}</div>
    </div>
    <div class="field">
      <span class="label">${m.addressLabel}</span>
      <div class="value-row"><code class="value address" data-testid="address">${address}</code>${copyButton(address, m.copyAddress, ctx, 'copy-address')}</div>
    </div>
    <p class="hint">${m.sendExactly(asset, m.networkNames[cryptoAssetInfo(asset).chain])}</p>
    <p class="countdown">${m.timeLeftLabel} <strong data-countdown-ms="${remainingMs}" data-testid="countdown">${formatCountdown(remainingMs)}</strong></p>
  </div>
  <p class="time-up" data-when-expired hidden>${m.timeUp}</p>
</section>`;
}

function renderQuoteExpired(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml {
  const m = ctx.messages;
  const paths = pagePaths(snapshot.checkout.id, ctx.locale);
  return panel(
    'quote_expired',
    'wait',
    m.quoteExpiredTitle,
    html`<p>${m.quoteExpiredBody}</p>
<form method="post" action="${paths.renewQuote}"><button type="submit" class="button primary" data-testid="renew-quote">${m.getNewQuote}</button></form>`,
  );
}

function transactions(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml | null {
  const payments = livePayments(snapshot);
  if (payments.length === 0) return null;
  const m = ctx.messages;
  return html`<div class="field">
  <span class="label">${m.transactionsLabel}</span>
  <ul class="txs" data-testid="txids">${payments.map(
    (p) => html`<li><code class="value txid">${p.txid}</code> <span class="confs">${formatCrypto(p.amountBase, p.asset)} · ${m.confirmations(p.confirmations)}</span></li>`,
  )}</ul>
</div>`;
}

function amountReceived(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml | null {
  const { asset, amountPaidBase } = snapshot.checkout;
  if (asset === null || amountPaidBase === 0n) return null;
  return html`<div class="field"><span class="label">${ctx.messages.amountPaidLabel}</span><span class="value" data-testid="amount-paid">${formatCrypto(amountPaidBase, asset)}</span></div>`;
}

function overpaidNote(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml | null {
  const { asset, amountPaidBase, amountDueBase, exception } = snapshot.checkout;
  if (exception !== 'paid_over' || asset === null || amountDueBase === null) return null;
  const note = snapshot.shopperLink?.purpose === 'sale' ? ctx.messages.overpaidToBalanceNote : ctx.messages.overpaidNote;
  return html`<p class="note" data-testid="overpaid-note">${note(formatCrypto(amountPaidBase, asset), formatCrypto(amountDueBase, asset))}</p>`;
}

function renderProcessing(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml {
  const m = ctx.messages;
  return panel(
    'processing',
    'wait',
    m.processingTitle,
    html`<div class="spinner" aria-hidden="true"></div><p>${m.processingBody}</p>${amountReceived(snapshot, ctx)}${overpaidNote(snapshot, ctx)}${transactions(snapshot, ctx)}`,
  );
}

function renderSettled(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml {
  const m = ctx.messages;
  return panel(
    'settled',
    'good',
    m.settledTitle,
    html`<div class="tick" aria-hidden="true"></div><p>${m.settledBody(snapshot.storeName)}</p>${amountReceived(snapshot, ctx)}${overpaidNote(snapshot, ctx)}${transactions(snapshot, ctx)}`,
  );
}

function renderExpired(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml {
  const m = ctx.messages;
  const { asset, amountPaidBase, exception } = snapshot.checkout;
  const partial = asset !== null && amountPaidBase > 0n ? html`<p class="note" data-testid="expired-partial">${m.expiredPartialNote(formatCrypto(amountPaidBase, asset))}</p>` : null;
  const late = exception === 'paid_late' ? html`<p class="note" data-testid="paid-late">${m.paidLateNote}</p>` : null;
  return panel('expired', 'bad', m.expiredTitle, html`<p>${m.expiredBody}</p>${partial}${late}${transactions(snapshot, ctx)}`);
}

function renderInvalid(snapshot: HostedCheckoutSnapshot, ctx: RenderContext): SafeHtml {
  const m = ctx.messages;
  const reason = snapshot.checkout.invalidReason;
  return panel(
    'invalid',
    'bad',
    m.invalidTitle,
    html`${reason === null ? null : html`<p data-testid="invalid-reason">${m.invalidReasons[reason]}</p>`}<p>${m.invalidWhatToDo}</p>${transactions(snapshot, ctx)}`,
  );
}
