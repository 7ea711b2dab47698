import { ValidationError } from '../errors/api-errors';
import { makeId } from '../ids/id';
import { parseRate } from '../money/rate';
import { DEFAULT_STORE_POLICY } from '../policy/store-policy';
import { at, CHECKOUT_ID, EXPIRES, JPY, MIN, STORE_ID, T0 } from './__tests__/checkout-fixtures';
import { CheckoutNotPayableError, choosePaymentAsset, createCheckout, type PaymentInstructions } from './create-checkout';

const quote = {
  id: makeId('qt', T0, new Uint8Array(10)),
  asset: 'BTC' as const,
  currency: JPY,
  priceMinor: 4980n,
  rate: parseRate('9003412'),
  amountDueBase: 55_313n,
  expiresAt: at(T0 + 15 * MIN),
};
const instructions: PaymentInstructions = { asset: 'BTC', address: 'bcrt1qexample', quote };
const input = { id: CHECKOUT_ID, storeId: STORE_ID, orderId: 'A-1042', priceMinor: 4980n, currency: JPY, createdAt: at(T0), policy: DEFAULT_STORE_POLICY };

test('createCheckout without an asset', () => {
  const c = createCheckout(input);
  expect(c).toMatchObject({ status: 'new', exception: 'none', version: 1, asset: null, amountDueBase: null, amountPaidBase: 0n });
  expect(c.expiresAt).toEqual(at(EXPIRES));
  expect(c.monitoringUntil).toEqual(at(EXPIRES + 1440 * MIN));
});

test('createCheckout with payment instructions', () => {
  const c = createCheckout({ ...input, payment: instructions });
  expect(c).toMatchObject({ asset: 'BTC', address: 'bcrt1qexample', amountDueBase: 55_313n, quoteId: quote.id, rate: '9003412' });
});

test('createCheckout refuses bad prices, order ids and mismatched quotes', () => {
  expect(() => createCheckout({ ...input, priceMinor: 0n })).toThrow(ValidationError);
  expect(() => createCheckout({ ...input, orderId: '' })).toThrow(ValidationError);
  expect(() => createCheckout({ ...input, payment: { ...instructions, asset: 'LTC' } })).toThrow(ValidationError);
  expect(() => createCheckout({ ...input, priceMinor: 4981n, payment: instructions })).toThrow(ValidationError);
  expect(() => createCheckout({ ...input, payment: { ...instructions, address: '' } })).toThrow(ValidationError);
});

test('choosePaymentAsset attaches instructions once, while new and unexpired', () => {
  const c = createCheckout(input);
  const chosen = choosePaymentAsset(c, instructions, at(T0 + MIN));
  expect(chosen).toMatchObject({ asset: 'BTC', amountDueBase: 55_313n, version: 2 });
  expect(() => choosePaymentAsset(chosen, instructions, at(T0 + MIN))).toThrow(CheckoutNotPayableError);
  expect(() => choosePaymentAsset(c, instructions, at(EXPIRES))).toThrow(CheckoutNotPayableError);
  expect(() => choosePaymentAsset({ ...c, status: 'cancelled' }, instructions, at(T0))).toThrow(CheckoutNotPayableError);
});

test('a quote with an invalid rate is refused', () => {
  expect(() => createCheckout({ ...input, payment: { ...instructions, quote: { ...quote, rate: '1e6' } } })).toThrow(ValidationError);
});
