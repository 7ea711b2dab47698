import { at, checkout, CHECKOUT_ID, DUE, EXPIRES, payment, T0 } from './__tests__/checkout-fixtures';
import { cancel, CheckoutNotCancellableError } from './cancel';
import type { CheckoutStatus } from './checkout';

const NOW = at(T0 + 60_000);

function refusal(fn: () => unknown): CheckoutNotCancellableError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CheckoutNotCancellableError) return e;
    throw e;
  }
  throw new Error('cancel was accepted');
}

test('a new checkout without payment is cancelled', () => {
  const c = checkout({ version: 4 });
  const r = cancel(c, [], NOW);
  expect(r.next).toMatchObject({ status: 'cancelled', version: 5 });
  expect(r.events).toHaveLength(1);
  expect(r.events[0]).toMatchObject({
    type: 'checkout.cancelled',
    dedupeKey: `${CHECKOUT_ID}:checkout.cancelled:5`,
    status: 'cancelled',
    version: 5,
    occurredAt: NOW,
  });
});

test('a payment that was orphaned or replaced does not prevent cancelling', () => {
  expect(cancel(checkout(), [payment(DUE, { state: 'orphaned' }), payment(DUE, { state: 'replaced' })], NOW).next.status).toBe('cancelled');
});

test('a live payment, in any asset, prevents cancelling', () => {
  const err = refusal(() => cancel(checkout(), [payment(1n, { asset: 'ETH' })], NOW));
  expect(err).toMatchObject({ reason: 'has_payment', httpStatus: 422, code: 'checkout_not_cancellable' });
});

test.each<CheckoutStatus>(['processing', 'settled', 'expired', 'invalid', 'cancelled'])('a %s checkout cannot be cancelled', (status) => {
  expect(refusal(() => cancel(checkout({ status }), [], NOW)).reason).toBe('not_new');
});

test('a new checkout past its expiry cannot be cancelled', () => {
  expect(refusal(() => cancel(checkout(), [], at(EXPIRES))).reason).toBe('expired');
});
