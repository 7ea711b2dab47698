import fc from 'fast-check';
import { makeId } from '../ids/id';
import { requiredConfirmations, SPEED_POLICIES } from '../policy/confirmation-policy';
import type { StorePolicy } from '../policy/store-policy';
import { checkout, CHECKOUT_ID, DUE, EXPIRES, MONITORING_UNTIL, POLICY, T0 } from './__tests__/checkout-fixtures';
import { CHECKOUT_STATUSES, type Checkout, isTerminalStatus } from './checkout';
import { evaluate } from './evaluate';
import { PAYMENT_STATES, type Payment } from './payment';

const timeArb = fc.oneof(
  fc.integer({ min: T0, max: MONITORING_UNTIL + 60_000 }),
  fc.constantFrom(EXPIRES - 1, EXPIRES, EXPIRES + 1, MONITORING_UNTIL - 1, MONITORING_UNTIL),
);

const paymentPoolArb = fc
  .array(
    fc.record({
    amountBase: fc.oneof(fc.bigInt({ min: 1n, max: DUE * 2n }), fc.constantFrom(DUE, 99_500n, 99_499n, 1n)),
    confirmations: fc.integer({ min: 0, max: 8 }),
    rbfSignalled: fc.boolean(),
    firstSeenAt: timeArb,
    state: fc.constantFrom(...PAYMENT_STATES),
    asset: fc.constantFrom('BTC' as const, 'BTC' as const, 'LTC' as const),
    }),
    { minLength: 1, maxLength: 10 },
  )
  .map((pool) =>
    pool.map(
      (p, index): Payment => ({
        ...p,
        id: makeId('pay', T0 + index, new Uint8Array(10).fill(index)),
        checkoutId: CHECKOUT_ID,
        txid: `t${index}`,
        outputIndex: 0,
        firstSeenAt: new Date(p.firstSeenAt),
      }),
    ),
  );

/** A payment history: each step may add a payment or change one, then evaluates at a later time. */
const historyArb = fc.array(
  fc.record({
    add: fc.boolean(),
    target: fc.nat(),
    state: fc.constantFrom(...PAYMENT_STATES),
    confirmations: fc.integer({ min: 0, max: 8 }),
    advanceMs: fc.integer({ min: 0, max: 6 * 60 * 60_000 }),
  }),
  { maxLength: 12 },
);

const policyArb = fc.record({
  speedPolicy: fc.constantFrom(...SPEED_POLICIES),
  paymentTolerancePct: fc.constantFrom('0', '0.5', '1', '99.9999', 'junk'),
  expiryMinutes: fc.constant(15),
  monitoringMinutes: fc.constant(1440),
});

function counted(c: Checkout, payments: readonly Payment[]): Payment[] {
  return payments.filter(
    (p) => p.checkoutId === c.id && p.asset === c.asset && (p.state === 'pending' || p.state === 'confirmed') && p.firstSeenAt < c.expiresAt,
  );
}

test('property: evaluate is total, keeps terminal statuses, settles only per policy, and is a fixed point', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...CHECKOUT_STATUSES),
      fc.constantFrom('none', 'paid_partial', 'paid_over', 'paid_late' as const),
      paymentPoolArb,
      fc.integer({ min: 0, max: 3 }),
      historyArb,
      policyArb,
      fc.integer({ min: T0, max: MONITORING_UNTIL }),
      (status, exception, pool, initial, history, policy: StorePolicy, startMs) => {
        // Payments arrive from the pool in order; the first `initial` are there from the start.
        let payments: Payment[] = pool.slice(0, initial);
        const nextPayment = (): Payment | undefined => pool[payments.length];
        let c = checkout({ status, exception, invalidReason: status === 'invalid' ? 'double_spend' : null });
        let nowMs = startMs;
        for (const step of [{ add: false, target: 0, state: 'pending' as const, confirmations: 0, advanceMs: 0 }, ...history]) {
          const arriving = nextPayment();
          if ((step.add || payments.length === 0) && arriving !== undefined) payments.push(arriving);
          else if (payments.length > 0) {
            const i = step.target % payments.length;
            payments = payments.map((p, j) => (j === i ? { ...p, state: step.state, confirmations: step.confirmations } : p));
          }
          nowMs += step.advanceMs;
          const now = new Date(nowMs);
          const before = c;
          const result = evaluate(before, payments, now, policy);
          const next = result.next;
          if (next === before) expect(result.events).toEqual([]);
          else expect(next.version).toBe(before.version + 1);
          if (isTerminalStatus(before.status)) expect(next.status).toBe(before.status);
          if (next.status === 'settled' && before.status !== 'settled') {
            const settledOn = counted(next, payments);
            expect(settledOn.length).toBeGreaterThan(0);
            for (const p of settledOn) {
              expect(p.confirmations).toBeGreaterThanOrEqual(
                requiredConfirmations(policy, { asset: p.asset, priceMinor: next.priceMinor, currency: next.currency, rbfSignalled: p.rbfSignalled }),
              );
            }
          }
          if (next.status === 'invalid') expect(next.invalidReason).not.toBeNull();
          const keys = result.events.map((e) => e.dedupeKey);
          expect(new Set(keys).size).toBe(keys.length);
          const again = evaluate(next, payments, now, policy);
          expect(again.next).toBe(next);
          c = next;
        }
      },
    ),
    { numRuns: 1500 },
  );
});
