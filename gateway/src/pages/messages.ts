import type { Chain, CryptoAsset, InvalidReason } from '@coinstile/core';
import type { Locale } from './locale';

/** Why an action on the hosted page was refused, as the page explains it. */
export type ActionFailure =
  | 'checkout_not_payable'
  | 'asset_not_accepted'
  | 'rates_unavailable'
  | 'quote_not_renewable'
  | 'concurrent_update'
  | 'cross_origin'
  | 'insufficient_balance'
  | 'balance_refused'
  | 'voucher_refused'
  | 'voucher_locked'
  | 'bad_request';

/**
 * Every string the hosted page shows, per language. Amounts arrive already formatted for the locale.
 * Adding a key here makes the compiler ask for it in every language.
 */
export interface Messages {
  readonly languageName: string;
  readonly switchLanguage: string;
  readonly pageTitle: (store: string) => string;
  readonly payStore: (store: string) => string;
  readonly orderLabel: string;
  readonly priceLabel: string;
  readonly assetNames: Readonly<Record<CryptoAsset, string>>;
  readonly networkNames: Readonly<Record<Chain, string>>;
  readonly chooseAssetTitle: string;
  readonly chooseAssetHint: string;
  readonly payWith: (assetName: string) => string;
  readonly noAssets: string;
  readonly amountToSendLabel: string;
  readonly remainingLabel: string;
  readonly addressLabel: string;
  readonly sendExactly: (asset: CryptoAsset, network: string) => string;
  readonly copy: string;
  readonly copied: string;
  readonly copyAmount: string;
  readonly copyAddress: string;
  readonly openInWallet: string;
  readonly qrLabel: string;
  readonly timeLeftLabel: string;
  readonly timeUp: string;
  readonly partialTitle: string;
  readonly partialBody: (paid: string, remaining: string) => string;
  readonly quoteExpiredTitle: string;
  readonly quoteExpiredBody: string;
  readonly getNewQuote: string;
  readonly processingTitle: string;
  readonly processingBody: string;
  readonly confirmations: (count: number) => string;
  readonly settledTitle: string;
  readonly settledBody: (store: string) => string;
  readonly overpaidNote: (paid: string, due: string) => string;
  readonly overpaidToBalanceNote: (paid: string, due: string) => string;
  readonly expiredTitle: string;
  readonly expiredBody: string;
  readonly expiredPartialNote: (paid: string) => string;
  readonly paidLateNote: string;
  readonly invalidTitle: string;
  readonly invalidReasons: Readonly<Record<InvalidReason, string>>;
  readonly invalidWhatToDo: string;
  readonly cancelledTitle: string;
  readonly cancelledBody: string;
  readonly transactionsLabel: string;
  readonly amountPaidLabel: string;
  readonly liveUpdates: string;
  readonly reconnecting: string;
  readonly noscript: string;
  readonly notFoundTitle: string;
  readonly notFoundBody: string;
  readonly badLinkTitle: string;
  readonly badLinkBody: string;
  readonly errorTitle: string;
  readonly errorBody: string;
  readonly actionFailedTitle: string;
  readonly actionFailures: Readonly<Record<ActionFailure, string>>;
  readonly backToPayment: string;
  readonly tooManyConnections: string;
  readonly balanceTitle: string;
  readonly balanceHint: string;
  readonly balanceAccountLabel: string;
  readonly balanceCodeLabel: string;
  readonly balanceSubmit: string;
  readonly voucherTitle: string;
  readonly voucherHint: string;
  readonly voucherPinLabel: string;
  readonly voucherSubmit: string;
  readonly voucherApplied: (tendered: string, remaining: string) => string;
}

const en: Messages = {
  languageName: 'English',
  switchLanguage: 'Language',
  pageTitle: (store) => `Pay ${store}`,
  payStore: (store) => `Pay ${store}`,
  orderLabel: 'Order',
  priceLabel: 'Price',
  assetNames: { BTC: 'Bitcoin', LTC: 'Litecoin', ETH: 'Ether', USDC: 'USD Coin' },
  networkNames: { bitcoin: 'Bitcoin', litecoin: 'Litecoin', ethereum: 'Ethereum' },
  chooseAssetTitle: 'Choose how to pay',
  chooseAssetHint: 'The amount to send is fixed when you choose, for a limited time.',
  payWith: (assetName) => `Pay with ${assetName}`,
  noAssets: 'This store cannot take crypto payments right now. Please return to the store.',
  amountToSendLabel: 'Amount to send',
  remainingLabel: 'Remaining to pay',
  addressLabel: 'To this address',
  sendExactly: (asset, network) => `Send exactly this amount of ${asset} on the ${network} network. Other coins or networks will be lost.`,
  copy: 'Copy',
  copied: 'Copied',
  copyAmount: 'Copy amount',
  copyAddress: 'Copy address',
  openInWallet: 'Open in wallet',
  qrLabel: 'QR code of the payment request: scan it with your wallet',
  timeLeftLabel: 'Price held for',
  timeUp: 'Time is up. Updating…',
  partialTitle: 'Partial payment received',
  partialBody: (paid, remaining) => `We received ${paid}. Send the remaining ${remaining} to the same address before the time runs out.`,
  quoteExpiredTitle: 'The price has expired',
  quoteExpiredBody: 'Do not send a payment at the old price. Get a new price to continue.',
  getNewQuote: 'Get a new price',
  processingTitle: 'Payment received',
  processingBody: 'Waiting for the network to confirm it. This page updates by itself; you may also close it.',
  confirmations: (count) => (count === 1 ? '1 confirmation' : `${count} confirmations`),
  settledTitle: 'Paid — thank you',
  settledBody: (store) => `Your payment is confirmed. ${store} has your order.`,
  overpaidNote: (paid, due) => `You sent ${paid}, more than the ${due} due. Contact the store about the difference.`,
  overpaidToBalanceNote: (paid, due) => `You sent ${paid}, more than the ${due} due. The difference is credited to your account balance.`,
  expiredTitle: 'This checkout has expired',
  expiredBody: 'It was not paid in full in time. Do not send anything to its address. Return to the store to start again.',
  expiredPartialNote: (paid) => `We received ${paid} before it expired. Contact the store with your order number to get it back.`,
  paidLateNote: 'A payment arrived after the checkout expired. Contact the store with your order number to sort it out.',
  invalidTitle: 'This payment could not be accepted',
  invalidReasons: {
    double_spend: 'The transaction was replaced by another one spending the same coins (a double spend).',
    payment_orphaned: 'The transaction dropped out of the blockchain and was not mined again before the payment window closed.',
    not_confirmed_in_time: 'The transaction was not confirmed by the network in time.',
  },
  invalidWhatToDo: 'Contact the store with your order number. Do not send another payment to this address.',
  cancelledTitle: 'This checkout was cancelled',
  cancelledBody: 'The store cancelled it. Do not send anything to its address.',
  transactionsLabel: 'Transactions',
  amountPaidLabel: 'Amount received',
  liveUpdates: 'This page updates automatically.',
  reconnecting: 'Connection lost. Reconnecting…',
  noscript: 'Reload this page to see the latest status.',
  notFoundTitle: 'Payment page not found',
  notFoundBody: 'Check the link the store gave you, or return to the store.',
  badLinkTitle: 'This payment link is not valid',
  badLinkBody: 'The link looks damaged. Copy it again from the store, or return to the store.',
  errorTitle: 'Something went wrong',
  errorBody: 'Please try again in a moment.',
  actionFailedTitle: 'That did not work',
  actionFailures: {
    checkout_not_payable: 'This checkout can no longer be paid.',
    asset_not_accepted: 'The store does not accept this currency.',
    rates_unavailable: 'Exchange rates are unavailable right now. Please try again in a minute.',
    quote_not_renewable: 'A new price cannot be given for this checkout.',
    concurrent_update: 'The checkout changed in the meantime. Please try again.',
    cross_origin: 'The request did not come from this payment page.',
    insufficient_balance: 'Your balance (with your credit level) cannot pay anything more. Pay the rest in crypto.',
    balance_refused: 'The account number or access code is not right, or the account cannot pay this checkout.',
    voucher_refused: 'This PIN is not right, or the voucher cannot pay this checkout (not activated, used up, expired or in another currency).',
    voucher_locked: 'Too many wrong PINs. Please wait a while before trying again.',
    bad_request: 'The request was not understood.',
  },
  backToPayment: 'Back to the payment page',
  tooManyConnections: 'Too many open payment pages from your network. Close some and reload.',
  balanceTitle: 'Pay with your balance',
  balanceHint: 'Your balance (and your credit level, if you have one) pays as much as it can; you pay the rest in crypto.',
  balanceAccountLabel: 'Account number (acct_…)',
  balanceCodeLabel: 'Access code',
  balanceSubmit: 'Use my balance',
  voucherTitle: 'Pay with a prepaid voucher',
  voucherHint: 'Enter the 16-digit PIN of an activated voucher. It pays as much as it holds; several vouchers can be combined, and you pay the rest in crypto.',
  voucherPinLabel: 'Voucher PIN',
  voucherSubmit: 'Apply voucher',
  voucherApplied: (tendered, remaining) => `Vouchers and balance pay ${tendered}. Left to pay in crypto: ${remaining}.`,
};

const ja: Messages = {
  languageName: '日本語',
  switchLanguage: '言語',
  pageTitle: (store) => `${store} へのお支払い`,
  payStore: (store) => `${store} へのお支払い`,
  orderLabel: '注文番号',
  priceLabel: '金額',
  assetNames: { BTC: 'ビットコイン', LTC: 'ライトコイン', ETH: 'イーサ', USDC: 'USDコイン' },
  networkNames: { bitcoin: 'ビットコイン', litecoin: 'ライトコイン', ethereum: 'イーサリアム' },
  chooseAssetTitle: 'お支払い方法を選択してください',
  chooseAssetHint: '選択した時点で送金額が確定し、一定時間有効です。',
  payWith: (assetName) => `${assetName}で支払う`,
  noAssets: '現在このストアでは暗号資産でのお支払いを受け付けていません。ストアにお戻りください。',
  amountToSendLabel: '送金額',
  remainingLabel: '残りのお支払い額',
  addressLabel: '送金先アドレス',
  sendExactly: (asset, network) => `${network}ネットワークで${asset}をこの金額ちょうど送金してください。他の通貨やネットワークで送ると失われます。`,
  copy: 'コピー',
  copied: 'コピーしました',
  copyAmount: '送金額をコピー',
  copyAddress: 'アドレスをコピー',
  openInWallet: 'ウォレットで開く',
  qrLabel: 'お支払い用QRコード：ウォレットで読み取ってください',
  timeLeftLabel: '価格の有効時間',
  timeUp: '時間切れです。更新しています…',
  partialTitle: '一部のお支払いを受け取りました',
  partialBody: (paid, remaining) => `${paid}を受け取りました。残りの${remaining}を時間内に同じアドレスへ送金してください。`,
  quoteExpiredTitle: '価格の有効期限が切れました',
  quoteExpiredBody: '古い価格で送金しないでください。続けるには新しい価格を取得してください。',
  getNewQuote: '新しい価格を取得',
  processingTitle: 'お支払いを受け取りました',
  processingBody: 'ネットワークでの承認を待っています。このページは自動で更新されます。閉じても問題ありません。',
  confirmations: (count) => `承認数 ${count}`,
  settledTitle: 'お支払い完了 — ありがとうございました',
  settledBody: (store) => `お支払いが確認されました。ご注文は${store}に届いています。`,
  overpaidNote: (paid, due) => `お支払い額${due}に対し${paid}が送金されました。差額についてはストアにお問い合わせください。`,
  overpaidToBalanceNote: (paid, due) => `お支払い額${due}に対し${paid}が送金されました。差額はアカウントの残高に加算されます。`,
  expiredTitle: 'このお支払いは期限切れです',
  expiredBody: '期限内に全額のお支払いがありませんでした。このアドレスには送金しないでください。ストアに戻って、もう一度お手続きください。',
  expiredPartialNote: (paid) => `期限前に${paid}を受け取っています。返金については注文番号を添えてストアにお問い合わせください。`,
  paidLateNote: '期限切れの後にお支払いが届きました。注文番号を添えてストアにお問い合わせください。',
  invalidTitle: 'このお支払いは受け付けられませんでした',
  invalidReasons: {
    double_spend: '同じコインを使う別の取引に置き換えられました（二重支払い）。',
    payment_orphaned: '取引がブロックチェーンから外れ、受付期間内に再び承認されませんでした。',
    not_confirmed_in_time: '取引が時間内にネットワークで承認されませんでした。',
  },
  invalidWhatToDo: '注文番号を添えてストアにお問い合わせください。このアドレスに再度送金しないでください。',
  cancelledTitle: 'このお支払いはキャンセルされました',
  cancelledBody: 'ストアによってキャンセルされました。このアドレスには送金しないでください。',
  transactionsLabel: '取引',
  amountPaidLabel: '受取額',
  liveUpdates: 'このページは自動で更新されます。',
  reconnecting: '接続が切れました。再接続しています…',
  noscript: '最新の状態を見るには、このページを再読み込みしてください。',
  notFoundTitle: 'お支払いページが見つかりません',
  notFoundBody: 'ストアから受け取ったリンクをご確認いただくか、ストアにお戻りください。',
  badLinkTitle: 'このお支払いリンクは無効です',
  badLinkBody: 'リンクが壊れているようです。ストアからもう一度コピーするか、ストアにお戻りください。',
  errorTitle: 'エラーが発生しました',
  errorBody: 'しばらくしてからもう一度お試しください。',
  actionFailedTitle: '処理できませんでした',
  actionFailures: {
    checkout_not_payable: 'このお支払いはもう受け付けられません。',
    asset_not_accepted: 'ストアはこの通貨を受け付けていません。',
    rates_unavailable: '現在為替レートを取得できません。1分ほどしてからお試しください。',
    quote_not_renewable: 'このお支払いには新しい価格を出せません。',
    concurrent_update: 'お支払いの状態が変わりました。もう一度お試しください。',
    cross_origin: 'このお支払いページからのリクエストではありません。',
    insufficient_balance: '残高（与信枠を含む）ではこれ以上お支払いできません。残りは暗号資産でお支払いください。',
    balance_refused: 'アカウント番号かアクセスコードが正しくないか、このアカウントではこのお支払いができません。',
    voucher_refused: 'PINが正しくないか、このプリペイドカードではこのお支払いができません（未有効化・使用済み・期限切れ・通貨違い）。',
    voucher_locked: '誤ったPINの入力が多すぎます。しばらくしてから再度お試しください。',
    bad_request: 'リクエストを理解できませんでした。',
  },
  backToPayment: 'お支払いページに戻る',
  tooManyConnections: 'お使いのネットワークから開かれているお支払いページが多すぎます。いくつか閉じてから再読み込みしてください。',
  balanceTitle: '残高で支払う',
  balanceHint: '残高（与信枠がある場合はその範囲も含む）で支払える分をお支払いし、残りを暗号資産でお支払いいただけます。',
  balanceAccountLabel: 'アカウント番号（acct_…）',
  balanceCodeLabel: 'アクセスコード',
  balanceSubmit: '残高を使う',
  voucherTitle: 'プリペイドカードで支払う',
  voucherHint: '有効化済みのプリペイドカードの16桁のPINを入力してください。残高の範囲でお支払いでき、複数枚を組み合わせることもできます。残りは暗号資産でお支払いください。',
  voucherPinLabel: 'プリペイドカードのPIN',
  voucherSubmit: 'カードを使う',
  voucherApplied: (tendered, remaining) => `プリペイドカードと残高で${tendered}をお支払い済みです。暗号資産でのお支払い残額：${remaining}`,
};

const CATALOGUE: Readonly<Record<Locale, Messages>> = { en, ja };

export function messagesFor(locale: Locale): Messages {
  return CATALOGUE[locale];
}
