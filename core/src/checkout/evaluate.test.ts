import { at, checkout, CHECKOUT_ID, DUE, EXPIRES, MIN, MONITORING_UNTIL, payment, POLICY, STORE_ID, T0 } from './__tests__/checkout-fixtures';
import type { Checkout } from './checkout';
import { evaluate } from './evaluate';
import type { Payment } from './payment';

const BEFORE_EXPIRY = at(T0 + 5 * MIN);
const AFTER_EXPIRY = at(EXPIRES + 5 * MIN);
const types = (r: { events: readonly { type: string }[] }) => r.events.map((e) => e.type);

/** Re-evaluating the result with the same inputs must change nothing: every rule is a fixed point. */
function evaluateStable(c: Checkout, payments: Payment[], now: Date, policy = POLICY) {
  const result = evaluate(c, payments, now, policy);
  const again = evaluate(result.next, payments, now, policy);
  expect(again.next).toBe(result.next);
  expect(again.events).toEqual([]);
  return result;
}

describe('new', () => {
  test('no payment before expiry: nothing changes, same object', () => {
    const c = checkout();
    const r = evaluate(c, [], BEFORE_EXPIRY, POLICY);
    expect(r.next).toBe(c);
    expect(r.events).toEqual([]);
  });

  test('no payment at exactly expiresAt → expired', () => {
    const r = evaluateStable(checkout(), [], at(EXPIRES));
    expect(r.next).toMatchObject({ status: 'expired', exception: 'none', version: 2 });
    expect(types(r)).toEqual(['checkout.expired']);
  });

  test('one millisecond before expiry it is still new', () => {
    expect(evaluate(checkout(), [], at(EXPIRES - 1), POLICY).events).toEqual([]);
  });

  test('no asset chosen yet: expires, ignores stray payments', () => {
    const c = checkout({ asset: null, address: null, amountDueBase: null, quoteId: null, rate: null, quoteExpiresAt: null });
    expect(evaluate(c, [payment(DUE)], BEFORE_EXPIRY, POLICY).next).toBe(c);
    const r = evaluateStable(c, [payment(DUE)], AFTER_EXPIRY);
    expect(r.next).toMatchObject({ status: 'expired', exception: 'none', amountPaidBase: 0n });
  });

  test('partial payment → stays new, paid_partial announced once; a partial top-up announces nothing', () => {
    const p1 = payment(30_000n);
    const r1 = evaluateStable(checkout(), [p1], BEFORE_EXPIRY);
    expect(r1.next).toMatchObject({ status: 'new', exception: 'paid_partial', amountPaidBase: 30_000n, countedPaymentIds: [p1.id] });
    expect(types(r1)).toEqual(['checkout.paid_partial']);
    const p2 = payment(20_000n);
    const r2 = evaluateStable(r1.next, [p1, p2], BEFORE_EXPIRY);
    expect(r2.next).toMatchObject({ status: 'new', exception: 'paid_partial', amountPaidBase: 50_000n, version: 3 });
    expect(r2.events).toEqual([]);
  });

  test('partial then top-up to full → processing, exception cleared', () => {
    const p1 = payment(60_000n);
    const r1 = evaluate(checkout(), [p1], BEFORE_EXPIRY, POLICY);
    const p2 = payment(40_000n);
    const r2 = evaluateStable(r1.next, [p1, p2], BEFORE_EXPIRY);
    expect(r2.next).toMatchObject({ status: 'processing', exception: 'none', amountPaidBase: DUE });
    expect(types(r2)).toEqual(['checkout.processing']);
  });

  test('paid in full with 0 confirmations under medium_speed → processing only', () => {
    const p = payment(DUE);
    const r = evaluateStable(checkout(), [p], BEFORE_EXPIRY);
    expect(r.next).toMatchObject({ status: 'processing', exception: 'none', version: 2, settledAt: null });
    expect(types(r)).toEqual(['checkout.processing']);
  });

  test('paid in full already confirmed → processing and settled in one evaluation, one version', () => {
    const p = payment(DUE, { confirmations: 1, state: 'confirmed' });
    const r = evaluateStable(checkout(), [p], BEFORE_EXPIRY);
    expect(r.next).toMatchObject({ status: 'settled', version: 2, settledAt: BEFORE_EXPIRY });
    expect(types(r)).toEqual(['checkout.processing', 'checkout.settled']);
    expect(r.events.map((e) => e.dedupeKey)).toEqual([`${CHECKOUT_ID}:checkout.processing:2`, `${CHECKOUT_ID}:checkout.settled:2`]);
    expect(r.events.map((e) => e.status)).toEqual(['processing', 'settled']);
  });

  test('over-payment → processing with paid_over', () => {
    const r = evaluateStable(checkout(), [payment(DUE + 1n)], BEFORE_EXPIRY);
    expect(r.next).toMatchObject({ status: 'processing', exception: 'paid_over', amountPaidBase: DUE + 1n });
  });

  test('tolerance boundary: exactly due × (1 − 0.5 %) is paid in full, one unit less is partial', () => {
    const full = evaluate(checkout(), [payment(99_500n)], BEFORE_EXPIRY, POLICY);
    expect(full.next).toMatchObject({ status: 'processing', exception: 'none' });
    const short = evaluate(checkout(), [payment(99_499n)], BEFORE_EXPIRY, POLICY);
    expect(short.next).toMatchObject({ status: 'new', exception: 'paid_partial' });
  });

  test('an unparseable tolerance falls back to none rather than throwing', () => {
    const r = evaluate(checkout(), [payment(99_999n)], BEFORE_EXPIRY, { ...POLICY, paymentTolerancePct: 'lots' });
    expect(r.next).toMatchObject({ status: 'new', exception: 'paid_partial' });
  });

  test('several payments to one address add up', () => {
    const ps = [payment(50_000n), payment(25_000n), payment(25_000n)];
    const r = evaluateStable(checkout(), ps, BEFORE_EXPIRY);
    expect(r.next).toMatchObject({ status: 'processing', amountPaidBase: DUE });
    expect(r.events[0]?.payments.map((p) => p.paymentId)).toEqual(ps.map((p) => p.id));
  });

  test('partial payment, then expiry → expired keeping paid_partial', () => {
    const p = payment(10_000n);
    const r1 = evaluate(checkout(), [p], BEFORE_EXPIRY, POLICY);
    const r2 = evaluateStable(r1.next, [p], AFTER_EXPIRY);
    expect(r2.next).toMatchObject({ status: 'expired', exception: 'paid_partial', amountPaidBase: 10_000n });
    expect(types(r2)).toEqual(['checkout.expired']);
  });

  test('partial payment first evaluated after expiry → paid_partial and expired together', () => {
    const r = evaluateStable(checkout(), [payment(10_000n)], AFTER_EXPIRY);
    expect(types(r)).toEqual(['checkout.paid_partial', 'checkout.expired']);
  });

  test('full payment first seen in time but evaluated after expiry still counts', () => {
    const r = evaluateStable(checkout(), [payment(DUE, { firstSeenAt: at(EXPIRES - 1) })], AFTER_EXPIRY);
    expect(r.next.status).toBe('processing');
  });

  test('paid after expiry: first seen at exactly expiresAt is late → expired with paid_late', () => {
    const late = payment(DUE, { firstSeenAt: at(EXPIRES) });
    const r = evaluateStable(checkout(), [late], AFTER_EXPIRY);
    expect(r.next).toMatchObject({ status: 'expired', exception: 'paid_late', amountPaidBase: 0n });
    expect(types(r)).toEqual(['checkout.expired', 'checkout.paid_late']);
    const lateEvent = r.events[1];
    expect(lateEvent?.type === 'checkout.paid_late' && lateEvent.latePayments.map((p) => p.paymentId)).toEqual([late.id]);
    expect(lateEvent?.type === 'checkout.paid_late' && lateEvent.amountLateBase).toBe(DUE);
  });

  test('payments of other checkouts or in another asset are ignored', () => {
    const other = payment(DUE, { checkoutId: 'co_0000000000000000000000000Z' as Checkout['id'] });
    const eth = payment(DUE, { asset: 'ETH' });
    const c = checkout();
    expect(evaluate(c, [other, eth], BEFORE_EXPIRY, POLICY).next).toBe(c);
  });

  test('an orphaned partial payment clears paid_partial', () => {
    const p = payment(10_000n);
    const r1 = evaluate(checkout(), [p], BEFORE_EXPIRY, POLICY);
    const r2 = evaluateStable(r1.next, [{ ...p, state: 'orphaned' }], BEFORE_EXPIRY);
    expect(r2.next).toMatchObject({ status: 'new', exception: 'none', amountPaidBase: 0n, countedPaymentIds: [] });
    expect(r2.events).toEqual([]);
  });
});

describe('processing', () => {
  const paid = payment(DUE);
  const processing = () => evaluate(checkout(), [paid], BEFORE_EXPIRY, POLICY).next;

  test('waits below the required confirmations', () => {
    const c = processing();
    expect(c.status).toBe('processing');
    expect(evaluate(c, [paid], BEFORE_EXPIRY, POLICY).next).toBe(c);
  });

  test('settles when confirmations reach the policy exactly', () => {
    const policy = { ...POLICY, speedPolicy: 'low_medium_speed' as const };
    const c = evaluate(checkout(), [paid], BEFORE_EXPIRY, policy).next;
    const one = { ...paid, confirmations: 1, state: 'confirmed' as const };
    expect(evaluate(c, [one], BEFORE_EXPIRY, policy).next).toBe(c);
    const two = { ...one, confirmations: 2 };
    const r = evaluateStable(c, [two], AFTER_EXPIRY, policy);
    expect(r.next).toMatchObject({ status: 'settled', settledAt: AFTER_EXPIRY, countedPaymentIds: [paid.id], version: c.version + 1 });
    expect(types(r)).toEqual(['checkout.settled']);
  });

  test('high_speed settles at 0 confirmations, but an RBF-signalled payment needs 1', () => {
    const fast = { ...POLICY, speedPolicy: 'high_speed' as const };
    expect(evaluate(checkout(), [paid], BEFORE_EXPIRY, fast).next.status).toBe('settled');
    const rbf = { ...paid, rbfSignalled: true };
    expect(evaluate(checkout(), [rbf], BEFORE_EXPIRY, fast).next.status).toBe('processing');
    expect(evaluate(checkout(), [{ ...rbf, confirmations: 1 }], BEFORE_EXPIRY, fast).next.status).toBe('settled');
  });

  test('an amount threshold raises the confirmations needed', () => {
    const policy = { ...POLICY, amountThresholds: [{ currency: checkout().currency, aboveMinor: 4000n, speedPolicy: 'low_speed' as const }] };
    const five = { ...paid, confirmations: 5 };
    expect(evaluate(checkout(), [five], BEFORE_EXPIRY, policy).next.status).toBe('processing');
    expect(evaluate(checkout(), [{ ...five, confirmations: 6 }], BEFORE_EXPIRY, policy).next.status).toBe('settled');
  });

  test('several payments: settles only when every counted payment is confirmed', () => {
    const a = payment(50_000n, { confirmations: 3 });
    const b = payment(50_000n);
    const c = evaluate(checkout(), [a, b], BEFORE_EXPIRY, POLICY).next;
    expect(c.status).toBe('processing');
    expect(evaluate(c, [a, { ...b, confirmations: 1 }], BEFORE_EXPIRY, POLICY).next.status).toBe('settled');
  });

  test('a top-up during processing turns the exception to paid_over without an event', () => {
    const c = processing();
    const r = evaluateStable(c, [paid, payment(5n)], BEFORE_EXPIRY);
    expect(r.next).toMatchObject({ status: 'processing', exception: 'paid_over', amountPaidBase: DUE + 5n });
    expect(r.events).toEqual([]);
  });

  test('a reorg that lowers confirmations keeps it processing: never settle below policy', () => {
    const policy = { ...POLICY, speedPolicy: 'low_speed' as const };
    const c = evaluate(checkout(), [{ ...paid, confirmations: 5 }], BEFORE_EXPIRY, policy).next;
    expect(c.status).toBe('processing');
    const reorged = { ...paid, confirmations: 0, state: 'pending' as const };
    expect(evaluate(c, [reorged], BEFORE_EXPIRY, policy).next).toBe(c);
  });

  test('payment orphaned before expiry → back to new (checkout.reopened)', () => {
    const c = processing();
    const r = evaluateStable(c, [{ ...paid, state: 'orphaned' }], BEFORE_EXPIRY);
    expect(r.next).toMatchObject({ status: 'new', exception: 'none', amountPaidBase: 0n });
    expect(types(r)).toEqual(['checkout.reopened']);
  });

  test('payment orphaned after expiry → stays processing until monitoringUntil, settles if it is mined again', () => {
    const c = processing();
    const waiting = evaluateStable(c, [{ ...paid, state: 'orphaned' }], AFTER_EXPIRY);
    expect(waiting.next).toMatchObject({ status: 'processing', amountPaidBase: 0n });
    expect(waiting.events).toEqual([]);
    const minedAgain = evaluate(waiting.next, [{ ...paid, confirmations: 1 }], at(MONITORING_UNTIL - 1), POLICY);
    expect(minedAgain.next).toMatchObject({ status: 'settled', amountPaidBase: DUE });
  });

  test('payment orphaned after expiry and not back by monitoringUntil → invalid (payment_orphaned)', () => {
    const c = processing();
    const r = evaluateStable(c, [{ ...paid, state: 'orphaned' }], at(MONITORING_UNTIL));
    expect(r.next).toMatchObject({ status: 'invalid', invalidReason: 'payment_orphaned' });
    expect(r.events[0]).toMatchObject({ type: 'checkout.invalid', reason: 'payment_orphaned' });
  });

  test('double spend → invalid (double_spend) even before expiry', () => {
    const c = processing();
    const r = evaluateStable(c, [{ ...paid, state: 'replaced' }], BEFORE_EXPIRY);
    expect(r.next).toMatchObject({ status: 'invalid', invalidReason: 'double_spend', exception: 'none' });
    expect(r.events[0]).toMatchObject({ type: 'checkout.invalid', reason: 'double_spend' });
  });

  test('one of several payments double-spent, the rest still short → invalid; still full → processing', () => {
    const a = payment(60_000n);
    const b = payment(60_000n);
    const c = evaluate(checkout(), [a, b], BEFORE_EXPIRY, POLICY).next;
    expect(c).toMatchObject({ status: 'processing', exception: 'paid_over' });
    const short = evaluate(c, [a, { ...b, state: 'replaced' }], BEFORE_EXPIRY, POLICY).next;
    expect(short).toMatchObject({ status: 'invalid', invalidReason: 'double_spend', exception: 'paid_partial' });
    const c2 = evaluate(checkout(), [a, b, payment(50_000n)], BEFORE_EXPIRY, POLICY).next;
    const stillFull = evaluate(c2, [a, { ...b, state: 'replaced' }, payment(50_000n)], BEFORE_EXPIRY, POLICY).next;
    expect(stillFull.status).toBe('processing');
  });

  test('a payment replaced before it was ever counted does not turn a later orphaning into a double spend', () => {
    const early = payment(DUE);
    const replacedEarly = { ...early, state: 'replaced' as const };
    const c0 = evaluate(checkout(), [replacedEarly], BEFORE_EXPIRY, POLICY).next;
    const full = payment(DUE);
    const c1 = evaluate(c0, [replacedEarly, full], BEFORE_EXPIRY, POLICY).next;
    expect(c1.status).toBe('processing');
    const r = evaluate(c1, [replacedEarly, { ...full, state: 'orphaned' }], BEFORE_EXPIRY, POLICY);
    expect(r.next.status).toBe('new');
    expect(types(r)).toEqual(['checkout.reopened']);
  });

  test('not confirmed by monitoringUntil → invalid (not_confirmed_in_time)', () => {
    const c = processing();
    expect(evaluate(c, [paid], at(MONITORING_UNTIL - 1), POLICY).next).toBe(c);
    const r = evaluateStable(c, [paid], at(MONITORING_UNTIL));
    expect(r.next).toMatchObject({ status: 'invalid', invalidReason: 'not_confirmed_in_time' });
  });

  test('confirmed at the very end of monitoring still settles', () => {
    const r = evaluate(processing(), [{ ...paid, confirmations: 1 }], at(MONITORING_UNTIL + MIN), POLICY);
    expect(r.next.status).toBe('settled');
  });
});

describe('settled', () => {
  const a = payment(50_000n, { confirmations: 1 });
  const b = payment(50_000n, { confirmations: 1 });
  const settled = () => evaluate(checkout(), [a, b], BEFORE_EXPIRY, POLICY).next;

  test('stays settled with nothing new', () => {
    const c = settled();
    expect(c.status).toBe('settled');
    expect(evaluate(c, [a, b], AFTER_EXPIRY, POLICY).next).toBe(c);
  });

  test('a payment reorged out after settlement → payment.reversed once, status stays settled', () => {
    const c = settled();
    const gone = { ...b, state: 'orphaned' as const, confirmations: 0 };
    const r = evaluateStable(c, [a, gone], AFTER_EXPIRY);
    expect(r.next).toMatchObject({ status: 'settled', reversedPaymentIds: [b.id], settledAt: c.settledAt });
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({
      type: 'payment.reversed',
      dedupeKey: `${CHECKOUT_ID}:payment.reversed:${c.version + 1}:${b.id}`,
      payment: { paymentId: b.id, amountBase: 50_000n, state: 'orphaned' },
    });
    // The other payment double-spent later is announced on its own, once.
    const r2 = evaluateStable(r.next, [{ ...a, state: 'replaced' }, gone], AFTER_EXPIRY);
    expect(r2.events.map((e) => e.type === 'payment.reversed' && e.payment.paymentId)).toEqual([a.id]);
    expect(r2.next.reversedPaymentIds).toEqual([b.id, a.id]);
  });

  test('a payment that was never counted does not produce payment.reversed', () => {
    const c = settled();
    const late = payment(1n, { firstSeenAt: at(EXPIRES + 1), state: 'replaced' });
    expect(evaluate(c, [a, b, late], AFTER_EXPIRY, POLICY).next).toBe(c);
  });
});

describe('expired', () => {
  const expired = () => evaluate(checkout(), [], AFTER_EXPIRY, POLICY).next;

  test('a late payment within monitoring → paid_late, announced once; later ones add nothing', () => {
    const c = expired();
    const late = payment(DUE, { firstSeenAt: at(EXPIRES + 2 * MIN) });
    const r = evaluateStable(c, [late], at(EXPIRES + 3 * MIN));
    expect(r.next).toMatchObject({ status: 'expired', exception: 'paid_late' });
    expect(types(r)).toEqual(['checkout.paid_late']);
    const another = payment(5n, { firstSeenAt: at(EXPIRES + 4 * MIN) });
    expect(evaluate(r.next, [late, another], at(EXPIRES + 5 * MIN), POLICY).next).toBe(r.next);
  });

  test('a payment first seen after monitoringUntil is not flagged', () => {
    const c = expired();
    expect(evaluate(c, [payment(DUE, { firstSeenAt: at(MONITORING_UNTIL) })], at(MONITORING_UNTIL + 1), POLICY).next).toBe(c);
  });

  test('a payment seen in time but recorded after the expiry was evaluated is flagged late, not lost', () => {
    const c = expired();
    const r = evaluate(c, [payment(DUE, { firstSeenAt: at(EXPIRES - 1) })], AFTER_EXPIRY, POLICY);
    expect(r.next).toMatchObject({ status: 'expired', exception: 'paid_late' });
  });

  test('the partial payments counted at expiry are not late; dead late payments are ignored', () => {
    const p = payment(10_000n);
    const c = evaluate(checkout(), [p], AFTER_EXPIRY, POLICY).next;
    expect(c).toMatchObject({ status: 'expired', exception: 'paid_partial' });
    const dead = payment(DUE, { firstSeenAt: at(EXPIRES + MIN), state: 'replaced' });
    expect(evaluate(c, [p, dead], AFTER_EXPIRY, POLICY).next).toBe(c);
  });
});

describe('terminal statuses', () => {
  test.each(['invalid', 'cancelled'] as const)('%s never changes', (status) => {
    const c = checkout({ status, invalidReason: status === 'invalid' ? 'double_spend' : null });
    const ps = [payment(DUE, { confirmations: 10 }), payment(DUE, { firstSeenAt: at(EXPIRES + MIN) })];
    expect(evaluate(c, ps, AFTER_EXPIRY, POLICY).next).toBe(c);
    expect(evaluate(c, ps, at(MONITORING_UNTIL + MIN), POLICY).next).toBe(c);
  });
});

test('events carry the checkout ids, amounts and counted payments', () => {
  const p = payment(DUE, { confirmations: 1, txid: 'ab'.repeat(32), outputIndex: 3 });
  const [processingEvent] = evaluate(checkout({ version: 7 }), [p], BEFORE_EXPIRY, POLICY).events;
  expect(processingEvent).toEqual({
    type: 'checkout.processing',
    dedupeKey: `${CHECKOUT_ID}:checkout.processing:8`,
    checkoutId: CHECKOUT_ID,
    storeId: STORE_ID,
    orderId: 'A-1042',
    version: 8,
    occurredAt: BEFORE_EXPIRY,
    status: 'processing',
    exception: 'none',
    priceMinor: 4980n,
    currency: 'JPY',
    asset: 'BTC',
    amountDueBase: DUE,
    amountPaidBase: DUE,
    payments: [{ paymentId: p.id, txid: 'ab'.repeat(32), outputIndex: 3, amountBase: DUE, confirmations: 1 }],
  });
});
