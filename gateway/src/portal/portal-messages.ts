import type { EscrowStatusValue, PayoutStatusValue, ShipmentsTable, StoreUserStatusValue } from '@coinstile/platform';
import type { Locale } from '../pages/locale';
import type { GapState } from './receiving-wallets';
import type { StoreRole } from './store-roles';

/** Every text of the store portal, per language. */
export interface PortalMessages {
  readonly languageName: string;
  readonly title: string;
  readonly nav: { readonly orders: string; readonly payouts: string; readonly integration: string; readonly users: string };
  readonly signIn: {
    readonly heading: string;
    readonly email: string;
    readonly password: string;
    readonly submit: string;
    readonly wrong: string;
    readonly locked: (minutes: number) => string;
    readonly signOut: string;
    readonly signedOut: string;
  };
  readonly invitation: {
    readonly heading: (storeName: string) => string;
    readonly intro: (email: string, role: string) => string;
    readonly password: string;
    readonly confirm: string;
    readonly submit: string;
    readonly mismatch: string;
    readonly tooShort: string;
    readonly tooLong: string;
    readonly invalid: string;
    readonly accepted: string;
  };
  readonly roles: Readonly<Record<StoreRole, string>>;
  readonly userStatuses: Readonly<Record<StoreUserStatusValue, string>>;
  readonly payoutStatuses: Readonly<Record<PayoutStatusValue, string>>;
  readonly shipmentStatuses: Readonly<Record<ShipmentsTable['status'], string>>;
  readonly escrowStatuses: Readonly<Record<EscrowStatusValue, string>>;
  readonly orders: {
    readonly heading: string;
    readonly notShipped: string;
    readonly escrowStatus: string;
    readonly live: string;
    readonly none: string;
    readonly released: string;
    readonly order: string;
    readonly items: string;
    readonly amount: string;
    readonly paid: string;
    readonly escrow: string;
    readonly quantity: string;
    readonly unitPrice: string;
    readonly sku: string;
    readonly payment: string;
    readonly rate: string;
    readonly amountDue: string;
    readonly address: string;
    readonly txid: string;
    readonly confirmations: string;
    readonly state: string;
    readonly receipt: string;
    readonly receiptNone: string;
    readonly receiptHelp: string;
    readonly fee: string;
    readonly payout: string;
    readonly shipment: string;
    readonly carrier: string;
    readonly trackingNumber: string;
    readonly markShipped: string;
    readonly cancel: string;
    readonly cancelReason: string;
    readonly shipped: string;
    readonly cancelled: string;
    readonly shipmentsUnavailable: string;
    readonly older: string;
    readonly newest: string;
  };
  readonly payouts: {
    readonly heading: string;
    readonly all: string;
    readonly none: string;
    readonly status: string;
    readonly amount: string;
    readonly fee: string;
    readonly covers: string;
    readonly batch: string;
    readonly due: string;
    readonly created: string;
    readonly sent: string;
    readonly paid: string;
    readonly statement: string;
    readonly month: string;
    readonly viewStatement: string;
    readonly downloadCsv: string;
    readonly statementHeading: (storeName: string, month: string) => string;
    readonly totals: string;
    readonly count: string;
    readonly print: string;
    readonly generated: string;
  };
  readonly integration: {
    readonly heading: string;
    readonly apiKeys: string;
    readonly key: string;
    readonly scopes: string;
    readonly created: string;
    readonly lastUsed: string;
    readonly revoked: string;
    readonly revoke: string;
    readonly createKey: string;
    readonly keyShownOnce: string;
    readonly noKeys: string;
    readonly webhooks: string;
    readonly url: string;
    readonly eventTypes: string;
    readonly eventTypesHelp: string;
    readonly description: string;
    readonly allEvents: string;
    readonly status: string;
    readonly createWebhook: string;
    readonly secretShownOnce: string;
    readonly noWebhooks: string;
    readonly deliveries: string;
    readonly noDeliveries: string;
    readonly event: string;
    readonly attempts: string;
    readonly lastHttp: string;
    readonly redeliver: string;
    readonly sendTest: string;
    readonly attemptLog: string;
    readonly response: string;
    readonly error: string;
    readonly latency: string;
    readonly wallets: string;
    readonly noWallets: string;
    readonly asset: string;
    readonly xpub: string;
    readonly nextIndex: string;
    readonly lastPaidIndex: string;
    readonly unpaidGap: string;
    readonly gap: Readonly<Record<GapState, string>>;
  };
  readonly users: {
    readonly heading: string;
    readonly email: string;
    readonly role: string;
    readonly status: string;
    readonly lastSignIn: string;
    readonly invite: string;
    readonly inviteLink: (expires: string) => string;
    readonly disable: string;
    readonly you: string;
  };
  readonly done: {
    readonly shipped: string;
    readonly cancelled: string;
    readonly keyRevoked: string;
    readonly redelivered: string;
    readonly testQueued: string;
    readonly userDisabled: string;
  };
  readonly errors: {
    readonly csrf: string;
    readonly forbidden: string;
    readonly notFound: string;
    readonly badRequest: string;
    readonly conflict: string;
    readonly back: string;
  };
  readonly none: string;
}

const EN: PortalMessages = {
  languageName: 'English',
  title: 'Coinstile store',
  nav: { orders: 'Orders', payouts: 'Payouts', integration: 'Integration', users: 'Users' },
  signIn: {
    heading: 'Store sign-in',
    email: 'Email',
    password: 'Password',
    submit: 'Sign in',
    wrong: 'The email or password is not right.',
    locked: (minutes) => `Too many failed sign-ins. Try again in ${minutes} min.`,
    signOut: 'Sign out',
    signedOut: 'You are signed out.',
  },
  invitation: {
    heading: (store) => `Join ${store}`,
    intro: (email, role) => `You are invited as ${role} with ${email}. Choose a password to finish.`,
    password: 'New password (at least 12 characters)',
    confirm: 'The same password again',
    submit: 'Set password',
    mismatch: 'The two passwords differ.',
    tooShort: 'The password must be at least 12 characters.',
    tooLong: 'The password is too long.',
    invalid: 'This invitation link is unknown, already used, or expired. Ask for a new one.',
    accepted: 'Your password is set. Sign in with it.',
  },
  roles: { owner: 'Owner', staff: 'Staff' },
  userStatuses: { invited: 'Invited', active: 'Active', disabled: 'Disabled' },
  payoutStatuses: { reserved: 'Reserved (escrow)', scheduled: 'Scheduled', sent: 'Sent', paid: 'Paid', failed: 'Failed', returned: 'Returned', refunded: 'Refunded (order cancelled)' },
  shipmentStatuses: { registered: 'Shipped', in_transit: 'In transit', delivered: 'Delivered' },
  escrowStatuses: {
    reserved: 'Awaiting shipment',
    shipped: 'Shipped, awaiting delivery',
    delivered: 'Delivered, awaiting acceptance',
    accepted: 'Accepted: payout released',
    disputed: 'Disputed',
    resolved: 'Dispute resolved',
    cancelled: 'Cancelled (refunded)',
  },
  orders: {
    heading: 'Released orders',
    notShipped: 'Not shipped',
    escrowStatus: 'Escrow',
    live: 'New orders appear here as they are released.',
    none: 'No released orders yet.',
    released: 'Released',
    order: 'Order',
    items: 'Items',
    amount: 'Price',
    paid: 'Paid',
    escrow: 'escrow',
    quantity: 'Qty',
    unitPrice: 'Unit price',
    sku: 'SKU',
    payment: 'Payment',
    rate: 'Rate',
    amountDue: 'Amount due',
    address: 'Address',
    txid: 'Transaction',
    confirmations: 'Confirmations',
    state: 'State',
    receipt: 'Receipt',
    receiptNone: 'No receipt was issued for this order.',
    receiptHelp: 'A signed JWS; verify it offline against /.well-known/jwks.json (coinstile verify-receipt).',
    fee: 'Mall fee',
    payout: 'Payout',
    shipment: 'Shipment',
    carrier: 'Carrier',
    trackingNumber: 'Tracking number',
    markShipped: 'Mark shipped',
    cancel: 'Cancel order',
    cancelReason: 'Reason',
    shipped: 'Shipped',
    cancelled: 'Cancelled',
    shipmentsUnavailable: 'Shipments are not available on this installation.',
    older: 'Older',
    newest: 'Newest',
  },
  payouts: {
    heading: 'Payouts',
    all: 'All',
    none: 'No payouts.',
    status: 'Status',
    amount: 'Amount',
    fee: 'Fee',
    covers: 'Covers',
    batch: 'Batch',
    due: 'Due',
    created: 'Created',
    sent: 'Sent',
    paid: 'Paid',
    statement: 'Monthly statement',
    month: 'Month',
    viewStatement: 'View (printable)',
    downloadCsv: 'Download CSV',
    statementHeading: (store, month) => `${store} — payout statement ${month}`,
    totals: 'Totals',
    count: 'Payouts',
    print: 'Print / save as PDF',
    generated: 'Generated',
  },
  integration: {
    heading: 'Integration',
    apiKeys: 'API keys',
    key: 'Key',
    scopes: 'Scopes',
    created: 'Created',
    lastUsed: 'Last used',
    revoked: 'Revoked',
    revoke: 'Revoke',
    createKey: 'Create key',
    keyShownOnce: 'Copy this key now: it is shown only once.',
    noKeys: 'No API keys.',
    webhooks: 'Webhook endpoints',
    url: 'URL',
    eventTypes: 'Events',
    eventTypesHelp: 'Comma-separated, e.g. order.released; empty for every event',
    description: 'Description',
    allEvents: 'every event',
    status: 'Status',
    createWebhook: 'Add endpoint',
    secretShownOnce: 'Copy this signing secret now: it is shown only once.',
    noWebhooks: 'No webhook endpoints.',
    deliveries: 'Recent deliveries',
    noDeliveries: 'No deliveries yet.',
    event: 'Event',
    attempts: 'Attempts',
    lastHttp: 'Last HTTP status',
    redeliver: 'Redeliver',
    sendTest: 'Send test event',
    attemptLog: 'Attempts',
    response: 'Response',
    error: 'Error',
    latency: 'Latency',
    wallets: 'Receiving wallets',
    noWallets: 'No receiving wallets.',
    asset: 'Asset',
    xpub: 'Extended public key',
    nextIndex: 'Next index',
    lastPaidIndex: 'Last paid index',
    unpaidGap: 'Unpaid since',
    gap: {
      ok: 'OK',
      approaching: 'Approaching the gap limit: a wallet restored from this key may stop seeing payments. Use addresses in order or raise the gap limit in your wallet.',
      exceeded: 'Past the gap limit: a wallet restored from this key will not see later payments unless its gap limit is raised.',
    },
  },
  users: {
    heading: 'Users',
    email: 'Email',
    role: 'Role',
    status: 'Status',
    lastSignIn: 'Last sign-in',
    invite: 'Invite',
    inviteLink: (expires) => `Send this one-time link to the invitee (valid until ${expires} UTC):`,
    disable: 'Disable',
    you: '(you)',
  },
  done: {
    shipped: 'Marked shipped.',
    cancelled: 'Order cancelled.',
    keyRevoked: 'API key revoked.',
    redelivered: 'Delivery queued again.',
    testQueued: 'Test event queued.',
    userDisabled: 'User disabled.',
  },
  errors: {
    csrf: 'This form expired or did not come from this portal. Reload the page and try again.',
    forbidden: 'Your role does not allow this.',
    notFound: 'Not found.',
    badRequest: 'The request was not valid.',
    conflict: 'That conflicts with the current state.',
    back: 'Back to orders',
  },
  none: '—',
};

const JA: PortalMessages = {
  languageName: '日本語',
  title: 'Coinstile 店舗',
  nav: { orders: '注文', payouts: '入金', integration: '連携設定', users: 'ユーザー' },
  signIn: {
    heading: '店舗サインイン',
    email: 'メールアドレス',
    password: 'パスワード',
    submit: 'サインイン',
    wrong: 'メールアドレスまたはパスワードが正しくありません。',
    locked: (minutes) => `サインインの失敗が多すぎます。${minutes}分後にもう一度お試しください。`,
    signOut: 'サインアウト',
    signedOut: 'サインアウトしました。',
  },
  invitation: {
    heading: (store) => `${store} に参加`,
    intro: (email, role) => `${email} で「${role}」として招待されています。パスワードを設定してください。`,
    password: '新しいパスワード（12文字以上）',
    confirm: 'パスワード（確認）',
    submit: 'パスワードを設定',
    mismatch: '2つのパスワードが一致しません。',
    tooShort: 'パスワードは12文字以上にしてください。',
    tooLong: 'パスワードが長すぎます。',
    invalid: 'この招待リンクは無効、使用済み、または期限切れです。新しいリンクを依頼してください。',
    accepted: 'パスワードを設定しました。サインインしてください。',
  },
  roles: { owner: 'オーナー', staff: 'スタッフ' },
  userStatuses: { invited: '招待中', active: '有効', disabled: '無効' },
  payoutStatuses: { reserved: '留保中（エスクロー）', scheduled: '予定', sent: '送金済み', paid: '入金完了', failed: '失敗', returned: '返却', refunded: '返金済み（注文キャンセル）' },
  shipmentStatuses: { registered: '発送済み', in_transit: '配送中', delivered: '配達済み' },
  escrowStatuses: {
    reserved: '発送待ち',
    shipped: '発送済み・配達待ち',
    delivered: '配達済み・検収待ち',
    accepted: '検収済み（入金へ）',
    disputed: '紛争中',
    resolved: '紛争解決済み',
    cancelled: 'キャンセル（返金）',
  },
  orders: {
    heading: 'リリース済みの注文',
    notShipped: '未発送',
    escrowStatus: 'エスクロー',
    live: '新しい注文はリリースされると自動で表示されます。',
    none: 'リリース済みの注文はまだありません。',
    released: 'リリース日時',
    order: '注文',
    items: '商品',
    amount: '価格',
    paid: '支払額',
    escrow: 'エスクロー',
    quantity: '数量',
    unitPrice: '単価',
    sku: 'SKU',
    payment: '支払い',
    rate: 'レート',
    amountDue: '請求額',
    address: 'アドレス',
    txid: 'トランザクション',
    confirmations: '承認数',
    state: '状態',
    receipt: 'レシート',
    receiptNone: 'この注文のレシートは発行されていません。',
    receiptHelp: '署名付きJWSです。/.well-known/jwks.json でオフライン検証できます（coinstile verify-receipt）。',
    fee: 'モール手数料',
    payout: '入金',
    shipment: '発送',
    carrier: '配送業者',
    trackingNumber: '追跡番号',
    markShipped: '発送済みにする',
    cancel: '注文をキャンセル',
    cancelReason: '理由',
    shipped: '発送済み',
    cancelled: 'キャンセル済み',
    shipmentsUnavailable: 'この環境では発送機能を利用できません。',
    older: '前へ',
    newest: '最新',
  },
  payouts: {
    heading: '入金',
    all: 'すべて',
    none: '入金はありません。',
    status: '状態',
    amount: '金額',
    fee: '手数料',
    covers: '対象',
    batch: 'バッチ',
    due: '予定日',
    created: '作成',
    sent: '送金',
    paid: '入金',
    statement: '月次明細',
    month: '月',
    viewStatement: '表示（印刷用）',
    downloadCsv: 'CSVをダウンロード',
    statementHeading: (store, month) => `${store} — 入金明細 ${month}`,
    totals: '合計',
    count: '件数',
    print: '印刷 / PDFに保存',
    generated: '作成日時',
  },
  integration: {
    heading: '連携設定',
    apiKeys: 'APIキー',
    key: 'キー',
    scopes: 'スコープ',
    created: '作成',
    lastUsed: '最終使用',
    revoked: '失効',
    revoke: '失効させる',
    createKey: 'キーを作成',
    keyShownOnce: 'このキーを今すぐコピーしてください。表示は一度だけです。',
    noKeys: 'APIキーはありません。',
    webhooks: 'Webhookエンドポイント',
    url: 'URL',
    eventTypes: 'イベント',
    eventTypesHelp: 'カンマ区切り（例: order.released）。空欄ですべてのイベント',
    description: '説明',
    allEvents: 'すべてのイベント',
    status: '状態',
    createWebhook: 'エンドポイントを追加',
    secretShownOnce: 'この署名シークレットを今すぐコピーしてください。表示は一度だけです。',
    noWebhooks: 'Webhookエンドポイントはありません。',
    deliveries: '最近の配信',
    noDeliveries: '配信はまだありません。',
    event: 'イベント',
    attempts: '試行回数',
    lastHttp: '最終HTTPステータス',
    redeliver: '再配信',
    sendTest: 'テストイベントを送信',
    attemptLog: '試行',
    response: 'レスポンス',
    error: 'エラー',
    latency: '所要時間',
    wallets: '受取ウォレット',
    noWallets: '受取ウォレットはありません。',
    asset: '資産',
    xpub: '拡張公開鍵',
    nextIndex: '次のインデックス',
    lastPaidIndex: '最後に支払われたインデックス',
    unpaidGap: '未払いアドレス数',
    gap: {
      ok: '正常',
      approaching: 'ギャップリミットに近づいています。この鍵から復元したウォレットで支払いが見えなくなる恐れがあります。ウォレットのギャップリミットを上げてください。',
      exceeded: 'ギャップリミットを超えました。ウォレットのギャップリミットを上げないと、以降の支払いが表示されません。',
    },
  },
  users: {
    heading: 'ユーザー',
    email: 'メールアドレス',
    role: '役割',
    status: '状態',
    lastSignIn: '最終サインイン',
    invite: '招待',
    inviteLink: (expires) => `この一回限りのリンクを招待相手に送ってください（有効期限 ${expires} UTC）：`,
    disable: '無効にする',
    you: '（あなた）',
  },
  done: {
    shipped: '発送済みにしました。',
    cancelled: '注文をキャンセルしました。',
    keyRevoked: 'APIキーを失効させました。',
    redelivered: '再配信を予約しました。',
    testQueued: 'テストイベントを予約しました。',
    userDisabled: 'ユーザーを無効にしました。',
  },
  errors: {
    csrf: 'このフォームは期限切れか、このポータル以外から送信されました。ページを再読み込みしてやり直してください。',
    forbidden: 'この操作はあなたの役割では行えません。',
    notFound: '見つかりません。',
    badRequest: 'リクエストが正しくありません。',
    conflict: '現在の状態と矛盾します。',
    back: '注文一覧へ戻る',
  },
  none: '—',
};

export function portalMessages(locale: Locale): PortalMessages {
  switch (locale) {
    case 'en':
      return EN;
    case 'ja':
      return JA;
  }
}
