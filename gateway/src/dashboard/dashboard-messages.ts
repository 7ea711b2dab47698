import type { Locale } from '../pages/locale';
import type { StageKey } from './settlement-queue';

/** Every text of the dashboard, per language. */
export interface DashboardMessages {
  readonly languageName: string;
  readonly title: string;
  readonly nav: { readonly queue: string; readonly checkouts: string; readonly payouts: string; readonly escrow: string; readonly shopperAccounts: string; readonly vouchers: string; readonly charts: string; readonly queues: string; readonly system: string };
  readonly signIn: { readonly heading: string; readonly tokenLabel: string; readonly submit: string; readonly wrongToken: string; readonly expired: string; readonly signOut: string };
  readonly stages: Readonly<Record<StageKey, string>>;
  readonly stage: string;
  readonly count: string;
  readonly oldest: string;
  readonly none: string;
  readonly queue: string;
  readonly queues: string;
  readonly since: string;
  readonly waiting: string;
  readonly active: string;
  readonly delayed: string;
  readonly failed: string;
  readonly failedJobs: string;
  readonly noFailedJobs: string;
  readonly reason: string;
  readonly attempts: string;
  readonly failedAt: string;
  readonly retry: string;
  readonly markPaid: string;
  readonly providerReference: string;
  readonly failedPayouts: string;
  readonly sentPayouts: string;
  readonly notices: string;
  readonly updatedAt: string;
  readonly autoRefresh: string;
  readonly filter: string;
  readonly status: string;
  readonly store: string;
  readonly allStores: string;
  readonly any: string;
  readonly from: string;
  readonly to: string;
  readonly next: string;
  readonly first: string;
  readonly noRows: string;
  readonly id: string;
  readonly order: string;
  readonly amount: string;
  readonly fee: string;
  readonly asset: string;
  readonly created: string;
  readonly settled: string;
  readonly provider: string;
  readonly checkout: string;
  readonly payments: string;
  readonly events: string;
  readonly deliveries: string;
  readonly released: string;
  readonly payout: string;
  readonly confirmations: string;
  readonly address: string;
  readonly pairs: string;
  readonly state: string;
  readonly published: string;
  readonly notPublished: string;
  readonly charts: { readonly volume: string; readonly depth: string; readonly latency: string; readonly median: string; readonly noData: string };
  readonly fx: { readonly heading: string; readonly source: string; readonly breaker: string; readonly lastSuccess: string; readonly lastError: string; readonly demo: string; readonly unavailable: string };
  readonly chains: { readonly heading: string; readonly chain: string; readonly height: string; readonly hash: string; readonly none: string };
  readonly done: { readonly jobRetried: string; readonly payoutRetried: string; readonly payoutPaid: string; readonly noticeAcknowledged: string };
  readonly acknowledge: string;
  readonly errors: { readonly csrf: string; readonly notFound: string; readonly badRequest: string; readonly conflict: string; readonly back: string };
  readonly ago: (ms: number) => string;
}

function duration(ms: number, units: { s: string; m: string; h: string; d: string }): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}${units.s}`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}${units.m} ${s % 60}${units.s}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}${units.h} ${m % 60}${units.m}`;
  return `${Math.floor(h / 24)}${units.d} ${h % 24}${units.h}`;
}

/** `1h 4m`, `3d 2h`: how long something has waited, at a glance. */
export function formatAge(ms: number, locale: Locale): string {
  switch (locale) {
    case 'en':
      return duration(ms, { s: 's', m: 'm', h: 'h', d: 'd' });
    case 'ja':
      return duration(ms, { s: '秒', m: '分', h: '時間', d: '日' });
  }
}

const EN: DashboardMessages = {
  languageName: 'English',
  title: 'Coinstile operator',
  nav: { queue: 'Settlement queue', checkouts: 'Checkouts', payouts: 'Payouts', escrow: 'Escrow', shopperAccounts: 'Shopper accounts', vouchers: 'Vouchers', charts: 'Charts', queues: 'Jobs (bull-board)', system: 'FX & chains' },
  signIn: {
    heading: 'Operator sign-in',
    tokenLabel: 'Operator token',
    submit: 'Sign in',
    wrongToken: 'That token is not a valid operator token.',
    expired: 'Please sign in.',
    signOut: 'Sign out',
  },
  stages: {
    checkouts_processing: 'Checkouts waiting for confirmations',
    checkouts_settled_unreleased: 'Settled, not yet released',
    payouts_reserved: 'Payouts reserved (escrow)',
    payouts_scheduled: 'Payouts scheduled',
    payouts_sent: 'Payouts sent, not confirmed',
    payouts_failed: 'Payouts failed',
    webhooks_pending: 'Webhooks pending',
    webhooks_failing: 'Webhooks failing (retrying)',
  },
  stage: 'Stage',
  count: 'Count',
  oldest: 'Oldest waiting',
  none: '—',
  queue: 'Queue',
  queues: 'Queues',
  since: 'In this state for',
  waiting: 'Waiting',
  active: 'Active',
  delayed: 'Delayed',
  failed: 'Failed',
  failedJobs: 'Failed jobs',
  noFailedJobs: 'No failed jobs.',
  reason: 'Reason',
  attempts: 'Attempts',
  failedAt: 'Failed at',
  retry: 'Retry',
  markPaid: 'Mark paid',
  providerReference: 'Bank reference',
  failedPayouts: 'Failed payouts',
  sentPayouts: 'Sent payouts awaiting confirmation',
  notices: 'Operator notices',
  updatedAt: 'As of',
  autoRefresh: 'Refreshes every 10 s',
  filter: 'Filter',
  status: 'Status',
  store: 'Store',
  allStores: 'All stores',
  any: 'Any',
  from: 'From',
  to: 'To',
  next: 'Older →',
  first: '← Newest',
  noRows: 'Nothing matches.',
  id: 'ID',
  order: 'Order',
  amount: 'Amount',
  fee: 'Fee',
  asset: 'Asset',
  created: 'Created',
  settled: 'Settled',
  provider: 'Provider',
  checkout: 'Checkout',
  payments: 'Payments',
  events: 'Events (outbox)',
  deliveries: 'Webhook deliveries',
  released: 'Released',
  payout: 'Payout',
  confirmations: 'Confirmations',
  address: 'Address',
  pairs: 'Pairs',
  state: 'State',
  published: 'Published',
  notPublished: 'not yet',
  charts: {
    volume: 'Settled volume per hour (last 24 h)',
    depth: 'Queue depth (last 24 h)',
    latency: 'Detection latency: first seen → settled (last 24 h)',
    median: 'median',
    noData: 'No data yet.',
  },
  fx: { heading: 'FX sources', source: 'Source', breaker: 'Breaker', lastSuccess: 'Last success', lastError: 'Last error', demo: 'demo', unavailable: 'FX status is not available in this process.' },
  chains: { heading: 'Chain tips', chain: 'Chain', height: 'Height', hash: 'Block', none: 'No chain is followed yet.' },
  done: { jobRetried: 'Job moved back to waiting.', payoutRetried: 'Payout scheduled again.', payoutPaid: 'Payout marked paid.', noticeAcknowledged: 'Notice acknowledged.' },
  acknowledge: 'Acknowledge',
  errors: {
    csrf: 'This form has expired. Reload the page and try again.',
    notFound: 'Not found.',
    badRequest: 'Some of the input is not valid.',
    conflict: 'That cannot be done in the current state.',
    back: 'Back to the dashboard',
  },
  ago: (ms) => `${formatAge(ms, 'en')} ago`,
};

const JA: DashboardMessages = {
  languageName: '日本語',
  title: 'Coinstile 運営',
  nav: { queue: '決済キュー', checkouts: 'チェックアウト', payouts: '支払', escrow: 'エスクロー', shopperAccounts: 'ショッパー', vouchers: 'プリペイドカード', charts: 'グラフ', queues: 'ジョブ (bull-board)', system: '為替・チェーン' },
  signIn: {
    heading: '運営者サインイン',
    tokenLabel: '運営者トークン',
    submit: 'サインイン',
    wrongToken: 'このトークンは有効な運営者トークンではありません。',
    expired: 'サインインしてください。',
    signOut: 'サインアウト',
  },
  stages: {
    checkouts_processing: '承認待ちのチェックアウト',
    checkouts_settled_unreleased: '確定済み・未リリース',
    payouts_reserved: '留保中の支払（エスクロー）',
    payouts_scheduled: '予定済みの支払',
    payouts_sent: '送金済み・未確認の支払',
    payouts_failed: '失敗した支払',
    webhooks_pending: '送信待ちの Webhook',
    webhooks_failing: '失敗中の Webhook（再試行中）',
  },
  stage: '段階',
  count: '件数',
  oldest: '最長待ち時間',
  none: '—',
  queue: 'キュー',
  queues: 'キュー一覧',
  since: 'この状態の経過時間',
  waiting: '待機',
  active: '実行中',
  delayed: '遅延',
  failed: '失敗',
  failedJobs: '失敗したジョブ',
  noFailedJobs: '失敗したジョブはありません。',
  reason: '理由',
  attempts: '試行回数',
  failedAt: '失敗日時',
  retry: '再試行',
  markPaid: '支払済みにする',
  providerReference: '銀行照会番号',
  failedPayouts: '失敗した支払',
  sentPayouts: '確認待ちの送金済み支払',
  notices: '運営者への通知',
  updatedAt: '時点',
  autoRefresh: '10 秒ごとに更新',
  filter: '絞り込み',
  status: '状態',
  store: '店舗',
  allStores: 'すべての店舗',
  any: 'すべて',
  from: '開始日',
  to: '終了日',
  next: '古い順へ →',
  first: '← 最新',
  noRows: '該当なし。',
  id: 'ID',
  order: '注文',
  amount: '金額',
  fee: '手数料',
  asset: '通貨',
  created: '作成',
  settled: '確定',
  provider: '支払方法',
  checkout: 'チェックアウト',
  payments: '入金',
  events: 'イベント（アウトボックス）',
  deliveries: 'Webhook 配信',
  released: 'リリース',
  payout: '支払',
  confirmations: '承認数',
  address: 'アドレス',
  pairs: '通貨ペア',
  state: '状態',
  published: '発行',
  notPublished: '未発行',
  charts: {
    volume: '時間別の確定金額（直近 24 時間）',
    depth: 'キューの深さ（直近 24 時間）',
    latency: '検出遅延：初検出 → 確定（直近 24 時間）',
    median: '中央値',
    noData: 'まだデータがありません。',
  },
  fx: { heading: '為替レート取得元', source: '取得元', breaker: '遮断器', lastSuccess: '最終成功', lastError: '最終エラー', demo: 'デモ', unavailable: 'このプロセスでは為替の状態を取得できません。' },
  chains: { heading: 'チェーンの先端', chain: 'チェーン', height: '高さ', hash: 'ブロック', none: '追跡中のチェーンはまだありません。' },
  done: { jobRetried: 'ジョブを待機に戻しました。', payoutRetried: '支払を再予定しました。', payoutPaid: '支払済みにしました。', noticeAcknowledged: '通知を確認済みにしました。' },
  acknowledge: '確認済みにする',
  errors: {
    csrf: 'このフォームは期限切れです。ページを再読み込みしてからやり直してください。',
    notFound: '見つかりません。',
    badRequest: '入力に誤りがあります。',
    conflict: '現在の状態ではその操作はできません。',
    back: 'ダッシュボードへ戻る',
  },
  ago: (ms) => `${formatAge(ms, 'ja')}前`,
};

export function dashboardMessages(locale: Locale): DashboardMessages {
  switch (locale) {
    case 'en':
      return EN;
    case 'ja':
      return JA;
  }
}
