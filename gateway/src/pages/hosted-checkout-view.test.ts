import { type CheckoutId, createCheckout, parseFiatCurrency, parseId, type PaymentId, type QuoteId, type StoreId } from '@coinstile/core';
import type { CheckoutRecord, PaymentRecord } from '@coinstile/platform';
import {
  type HostedCheckoutSnapshot,
  isFinalView,
  nextTimeBoundary,
  pageKind,
  type RenderContext,
  renderCheckoutSection,
  viewKey,
} from './hosted-checkout-view';
import { messagesFor } from './messages';

const T0 = new Date('2026-11-21T07:00:00Z');
const MIN = 60_000;
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * MIN);

function record(patch: Partial<CheckoutRecord> = {}, withAsset = true): CheckoutRecord {
  const checkout = createCheckout({
    id: parseId('co', 'co_01JD0000000000000000000000') as CheckoutId,
    storeId: parseId('st', 'st_01JD0000000000000000000000') as StoreId,
    orderId: 'A-1042',
    priceMinor: 4980n,
    currency: parseFiatCurrency('JPY'),
    createdAt: T0,
    policy: { expiryMinutes: 15, monitoringMinutes: 24 * 60 },
    ...(withAsset
      ? {
          payment: {
            asset: 'BTC' as const,
            address: 'bcrt1qexampleaddress',
            quote: {
              id: 'qt_01JD0000000000000000000000' as QuoteId,
              asset: 'BTC' as const,
              currency: parseFiatCurrency('JPY'),
              priceMinor: 4980n,
              rate: '9000000',
              amountDueBase: 55_334n,
              expiresAt: at(10),
            },
          },
        }
      : {}),
  });
  return { ...checkout, assetsOffered: [], derivationIndex: 0, escrow: false, metadata: {}, items: [], cancelledAt: null, ...patch };
}

function snapshot(checkout: CheckoutRecord, payments: PaymentRecord[] = []): HostedCheckoutSnapshot {
  return { checkout, payments, storeName: 'Kobe <Tea> House', assetsOffered: ['BTC', 'LTC'] };
}

function ctx(now: Date, locale: 'en' | 'ja' = 'en'): RenderContext {
  return { locale, messages: messagesFor(locale), now, paymentUri: (asset, address, amount) => `${asset}:${address}?base=${amount}` };
}

const payment: PaymentRecord = {
  id: 'pay_01JD0000000000000000000000' as PaymentId,
  checkoutId: 'co_01JD0000000000000000000000' as CheckoutId,
  chain: 'bitcoin',
  asset: 'BTC',
  txid: 'ab'.repeat(32),
  outputIndex: 0,
  amountBase: 20_000n,
  confirmations: 1,
  rbfSignalled: false,
  firstSeenAt: at(1),
  state: 'confirmed',
  blockHash: null,
  blockHeight: null,
  updatedAt: at(1),
};

describe('pageKind', () => {
  it.each<[string, CheckoutRecord, Date, string]>([
    ['no asset yet', record({}, false), at(1), 'choose_asset'],
    ['an open quote', record(), at(1), 'pay'],
    ['the quote past its expiry, nothing paid', record(), at(11), 'quote_expired'],
    ['the quote past its expiry after a partial payment', record({ amountPaidBase: 1n, exception: 'paid_partial' }), at(11), 'pay'],
    ['new but past the checkout expiry (not yet evaluated)', record(), at(15), 'expired'],
    ['processing', record({ status: 'processing' }), at(1), 'processing'],
    ['settled', record({ status: 'settled' }), at(1), 'settled'],
    ['expired', record({ status: 'expired' }), at(20), 'expired'],
    ['invalid', record({ status: 'invalid', invalidReason: 'double_spend' }), at(20), 'invalid'],
    ['cancelled', record({ status: 'cancelled' }), at(2), 'cancelled'],
  ])('%s → %s', (_what, checkout, now, kind) => {
    expect(pageKind(checkout, now)).toBe(kind);
    expect(viewKey(checkout, now)).toBe(`${checkout.version}.${kind}`);
  });
});

describe('isFinalView and nextTimeBoundary', () => {
  it('an expired checkout stays live until its monitoring window ends or a late payment is known', () => {
    const expired = record({ status: 'expired' });
    expect(isFinalView(expired, at(20))).toBe(false);
    expect(nextTimeBoundary(expired, at(20))).toEqual(expired.monitoringUntil);
    expect(isFinalView(expired, expired.monitoringUntil)).toBe(true);
    expect(isFinalView({ ...expired, exception: 'paid_late' }, at(20))).toBe(true);
  });

  it('settled, invalid and cancelled are final; new and processing are not', () => {
    expect(isFinalView(record({ status: 'settled' }), at(1))).toBe(true);
    expect(isFinalView(record({ status: 'invalid' }), at(1))).toBe(true);
    expect(isFinalView(record({ status: 'cancelled' }), at(1))).toBe(true);
    expect(isFinalView(record(), at(1))).toBe(false);
    expect(isFinalView(record({ status: 'processing' }), at(1))).toBe(false);
  });

  it('a payable checkout changes at the quote expiry, then at the checkout expiry', () => {
    expect(nextTimeBoundary(record(), at(1))).toEqual(at(10));
    expect(nextTimeBoundary(record(), at(10))).toEqual(at(15));
    expect(nextTimeBoundary(record({ status: 'processing' }), at(1))).toBeNull();
  });
});

describe('renderCheckoutSection', () => {
  it('escapes what the store wrote and shows the price in the page language', async () => {
    const html = (await renderCheckoutSection(snapshot(record({ orderId: '<b>A-1</b>' }, false)), ctx(at(1), 'ja'))).value;
    expect(html).toContain('&lt;b&gt;A-1&lt;/b&gt;');
    expect(html).toContain('￥4,980');
    expect(html).toContain('ビットコインで支払う');
  });

  it('asks for what remains after a partial payment, in the QR too', async () => {
    const partial = record({ amountPaidBase: 20_000n, exception: 'paid_partial', countedPaymentIds: [payment.id] });
    const html = (await renderCheckoutSection(snapshot(partial, [payment]), ctx(at(2)))).value;
    expect(html).toContain('Partial payment received');
    expect(html).toContain('We received 0.0002 BTC. Send the remaining 0.00035334 BTC');
    expect(html).toContain('data-testid="amount-due">0.00035334<');
    expect(html).toContain('href="BTC:bcrt1qexampleaddress?base=35334"');
    // Counts down to the checkout expiry: a paid quote is not renewed.
    expect(html).toContain(`data-countdown-ms="${13 * MIN}"`);
  });

  it('counts down to the quote expiry and offers a new quote once it passed', async () => {
    expect((await renderCheckoutSection(snapshot(record()), ctx(at(1)))).value).toContain(`data-countdown-ms="${9 * MIN}"`);
    const expired = (await renderCheckoutSection(snapshot(record()), ctx(at(11)))).value;
    expect(expired).toContain('The price has expired');
    expect(expired).toContain('action="/pay/co_01JD0000000000000000000000/quote?lang=en"');
    expect(expired).not.toContain('bcrt1qexampleaddress');
  });

  it.each<[string, Partial<CheckoutRecord>, Date, string[]]>([
    ['settled and overpaid', { status: 'settled', exception: 'paid_over', amountPaidBase: 60_000n }, at(3), ['Paid — thank you', 'Kobe &lt;Tea&gt; House has your order', 'You sent 0.0006 BTC, more than the 0.00055334 BTC due']],
    ['expired after a partial payment', { status: 'expired', exception: 'paid_partial', amountPaidBase: 20_000n }, at(16), ['This checkout has expired', 'We received 0.0002 BTC before it expired']],
    ['expired and paid late', { status: 'expired', exception: 'paid_late' }, at(16), ['A payment arrived after the checkout expired']],
    ['invalid: double spend', { status: 'invalid', invalidReason: 'double_spend' }, at(5), ['could not be accepted', 'double spend', 'Do not send another payment']],
    ['invalid: not confirmed in time', { status: 'invalid', invalidReason: 'not_confirmed_in_time' }, at(5), ['not confirmed by the network in time']],
    ['cancelled', { status: 'cancelled' }, at(5), ['This checkout was cancelled']],
  ])('%s', async (_what, patch, now, texts) => {
    const html = (await renderCheckoutSection(snapshot(record(patch), [payment]), ctx(now))).value;
    for (const text of texts) expect(html).toContain(text);
  });
});
