import { assertNever } from '../errors/assert-never';
import type { PaymentId } from '../ids/id';
import { requiredConfirmations } from '../policy/confirmation-policy';
import { isPaidInFull, parseTolerancePct, type StorePolicy, type TolerancePct } from '../policy/store-policy';
import type { Checkout } from './checkout';
import { type CheckoutEvent, type CheckoutEventBase, checkoutEventDedupeKey, type PaymentRef } from './checkout-event';
import { isLivePayment, type Payment } from './payment';

/** What `evaluate` and `cancel` return: the checkout to write (compare-and-set) and the events to publish with it. */
export interface Transition {
  /** Identical (`===`) to the input checkout when nothing changed; otherwise `version` is one higher. */
  readonly next: Checkout;
  readonly events: readonly CheckoutEvent[];
}

type EventBody = CheckoutEvent extends infer E ? (E extends CheckoutEvent ? Omit<E, keyof CheckoutEventBase> : never) : never;

interface Step {
  readonly next: Checkout;
  readonly events: readonly EventBody[];
}

/** The payments of one checkout, classified once per evaluation. */
interface PaymentView {
  /** This checkout's payments in its chosen asset, by id. */
  readonly byId: ReadonlyMap<PaymentId, Payment>;
  /** Live payments first seen before `expiresAt`, sorted by id (so by first sighting). */
  readonly counted: readonly Payment[];
  readonly totalBase: bigint;
  readonly paidInFull: boolean;
  /** Payments first seen before `expiresAt` that are no longer live. */
  readonly lostInTime: readonly Payment[];
}

const STRICT_TOLERANCE: TolerancePct = { numerator: 0n, denominator: 1n };

/** An unparseable tolerance must not make `evaluate` throw; it falls back to none, the safe side. */
function toleranceOf(policy: StorePolicy): TolerancePct {
  try {
    return parseTolerancePct(policy.paymentTolerancePct);
  } catch {
    return STRICT_TOLERANCE;
  }
}

function viewPayments(checkout: Checkout, payments: readonly Payment[], policy: StorePolicy): PaymentView {
  const expiresAtMs = checkout.expiresAt.getTime();
  const byId = new Map<PaymentId, Payment>();
  const counted: Payment[] = [];
  const lostInTime: Payment[] = [];
  for (const payment of payments) {
    if (payment.checkoutId !== checkout.id || checkout.asset === null || payment.asset !== checkout.asset) continue;
    byId.set(payment.id, payment);
    if (!(payment.firstSeenAt.getTime() < expiresAtMs)) continue;
    (isLivePayment(payment) ? counted : lostInTime).push(payment);
  }
  counted.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const totalBase = counted.reduce((sum, p) => sum + p.amountBase, 0n);
  const due = checkout.amountDueBase;
  const paidInFull = due !== null && counted.length > 0 && isPaidInFull(totalBase, due, toleranceOf(policy));
  return { byId, counted, totalBase, paidInFull, lostInTime };
}

function sameIds(a: readonly PaymentId[], b: readonly PaymentId[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** A step, or null when it would change nothing and announce nothing. */
function step(checkout: Checkout, patch: Partial<Checkout>, events: readonly EventBody[]): Step | null {
  const next: Checkout = { ...checkout, ...patch };
  const changed =
    next.status !== checkout.status ||
    next.exception !== checkout.exception ||
    next.invalidReason !== checkout.invalidReason ||
    next.amountPaidBase !== checkout.amountPaidBase ||
    next.settledAt?.getTime() !== checkout.settledAt?.getTime() ||
    !sameIds(next.countedPaymentIds, checkout.countedPaymentIds) ||
    !sameIds(next.reversedPaymentIds, checkout.reversedPaymentIds);
  return changed || events.length > 0 ? { next, events } : null;
}

function stepNew(checkout: Checkout, view: PaymentView, nowMs: number): Step | null {
  const paid = { amountPaidBase: view.totalBase, countedPaymentIds: view.counted.map((p) => p.id) };
  if (view.paidInFull) {
    const due = checkout.amountDueBase ?? 0n;
    return step(checkout, { ...paid, status: 'processing', exception: view.totalBase > due ? 'paid_over' : 'none' }, [
      { type: 'checkout.processing' },
    ]);
  }
  const exception = view.totalBase > 0n ? 'paid_partial' : 'none';
  const events: EventBody[] =
    exception === 'paid_partial' && checkout.exception !== 'paid_partial' ? [{ type: 'checkout.paid_partial' }] : [];
  if (nowMs >= checkout.expiresAt.getTime()) {
    return step(checkout, { ...paid, exception, status: 'expired' }, [...events, { type: 'checkout.expired' }]);
  }
  return step(checkout, { ...paid, exception }, events);
}

function stepProcessing(checkout: Checkout, view: PaymentView, nowMs: number, policy: StorePolicy): Step | null {
  const paid = { amountPaidBase: view.totalBase, countedPaymentIds: view.counted.map((p) => p.id) };
  if (!view.paidInFull) {
    const exception = view.totalBase > 0n ? 'paid_partial' : 'none';
    // Only a payment this checkout was counting can make it a double spend; one replaced earlier never paid it.
    if (view.lostInTime.some((p) => p.state === 'replaced' && checkout.countedPaymentIds.includes(p.id))) {
      return step(checkout, { ...paid, exception, status: 'invalid', invalidReason: 'double_spend' }, [
        { type: 'checkout.invalid', reason: 'double_spend' },
      ]);
    }
    if (nowMs < checkout.expiresAt.getTime()) {
      return step(checkout, { ...paid, exception, status: 'new' }, [{ type: 'checkout.reopened' }]);
    }
    // Sent in time and reorged out after expiry: a node may keep a disconnected transaction out of its
    // mempool for a while and mine it again later, so the checkout waits for it until `monitoringUntil`.
    if (nowMs < checkout.monitoringUntil.getTime()) return step(checkout, { ...paid, exception }, []);
    return step(checkout, { ...paid, exception, status: 'invalid', invalidReason: 'payment_orphaned' }, [
      { type: 'checkout.invalid', reason: 'payment_orphaned' },
    ]);
  }
  const due = checkout.amountDueBase ?? 0n;
  const exception = view.totalBase > due ? 'paid_over' : 'none';
  const confirmed = view.counted.every(
    (p) =>
      p.confirmations >=
      requiredConfirmations(policy, {
        asset: p.asset,
        priceMinor: checkout.priceMinor,
        currency: checkout.currency,
        rbfSignalled: p.rbfSignalled,
      }),
  );
  if (confirmed) {
    return step(checkout, { ...paid, exception, status: 'settled', settledAt: new Date(nowMs) }, [{ type: 'checkout.settled' }]);
  }
  if (nowMs >= checkout.monitoringUntil.getTime()) {
    return step(checkout, { ...paid, exception, status: 'invalid', invalidReason: 'not_confirmed_in_time' }, [
      { type: 'checkout.invalid', reason: 'not_confirmed_in_time' },
    ]);
  }
  return step(checkout, { ...paid, exception }, []);
}

function stepSettled(checkout: Checkout, view: PaymentView): Step | null {
  const reversed: (Payment & { state: 'orphaned' | 'replaced' })[] = [];
  for (const id of checkout.countedPaymentIds) {
    const payment = view.byId.get(id);
    if (payment === undefined || checkout.reversedPaymentIds.includes(id)) continue;
    if (payment.state === 'orphaned' || payment.state === 'replaced') reversed.push({ ...payment, state: payment.state });
  }
  if (reversed.length === 0) return null;
  return step(
    checkout,
    { reversedPaymentIds: [...checkout.reversedPaymentIds, ...reversed.map((p) => p.id)] },
    reversed.map((p) => ({ type: 'payment.reversed', payment: { ...paymentRef(p), state: p.state } })),
  );
}

function stepExpired(checkout: Checkout, view: PaymentView): Step | null {
  if (checkout.exception === 'paid_late') return null;
  const monitoringUntilMs = checkout.monitoringUntil.getTime();
  const late = [...view.byId.values()].filter(
    (p) => isLivePayment(p) && p.firstSeenAt.getTime() < monitoringUntilMs && !checkout.countedPaymentIds.includes(p.id),
  );
  if (late.length === 0) return null;
  late.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return step(checkout, { exception: 'paid_late' }, [
    {
      type: 'checkout.paid_late',
      latePayments: late.map(paymentRef),
      amountLateBase: late.reduce((sum, p) => sum + p.amountBase, 0n),
    },
  ]);
}

function nextStep(checkout: Checkout, view: PaymentView, nowMs: number, policy: StorePolicy): Step | null {
  switch (checkout.status) {
    case 'new':
      return stepNew(checkout, view, nowMs);
    case 'processing':
      return stepProcessing(checkout, view, nowMs, policy);
    case 'settled':
      return stepSettled(checkout, view);
    case 'expired':
      return stepExpired(checkout, view);
    case 'invalid':
    case 'cancelled':
      return null;
  }
  return assertNever(checkout.status, 'checkout status');
}

function paymentRef(p: Payment): PaymentRef {
  return { paymentId: p.id, txid: p.txid, outputIndex: p.outputIndex, amountBase: p.amountBase, confirmations: p.confirmations };
}

/** Turns event bodies into events stamped with the snapshot they describe and the version written. */
export function stampEvents(
  drafts: readonly { body: EventBody; snapshot: Checkout }[],
  version: number,
  payments: ReadonlyMap<PaymentId, Payment>,
  occurredAt: Date,
): CheckoutEvent[] {
  return drafts.map(({ body, snapshot }) => {
    const base: CheckoutEventBase = {
      dedupeKey: checkoutEventDedupeKey(
        snapshot.id,
        body.type,
        version,
        body.type === 'payment.reversed' ? body.payment.paymentId : undefined,
      ),
      checkoutId: snapshot.id,
      storeId: snapshot.storeId,
      orderId: snapshot.orderId,
      version,
      occurredAt,
      status: snapshot.status,
      exception: snapshot.exception,
      priceMinor: snapshot.priceMinor,
      currency: snapshot.currency,
      asset: snapshot.asset,
      amountDueBase: snapshot.amountDueBase,
      amountPaidBase: snapshot.amountPaidBase,
      payments: snapshot.countedPaymentIds.flatMap((id) => {
        const p = payments.get(id);
        return p === undefined ? [] : [paymentRef(p)];
      }),
    };
    return { ...base, ...body } as CheckoutEvent;
  });
}

/**
 * The checkout's next state given every payment seen for it, at `now`, under the store's policy.
 * Pure and total: no I/O, no clock, never throws for any input. Several transitions may happen in one
 * call (a 0-confirmation policy goes `new` → `processing` → `settled` at once); `next.version` then
 * rises by one and each transition's event is returned, in order.
 *
 * Rules (BTCPay-like):
 * - Only this checkout's payments in its chosen asset matter. A payment **counts** when it is live
 *   (`pending`/`confirmed`) and was first seen strictly before `expiresAt`; `amountPaidBase` is the
 *   sum of the counted payments, whatever their confirmations.
 * - **Paid in full**: at least one counted payment and `amountPaidBase ≥ amountDueBase × (1 − tolerance %)`,
 *   exact (paying exactly the tolerated amount is enough). An unparseable tolerance counts as 0 %.
 * - `new`, paid in full → `processing` (`checkout.processing`); exception `paid_over` when the total
 *   exceeds the amount due by anything, else `none`.
 * - `new`, some payment but not in full → stays `new`, exception `paid_partial`; `checkout.paid_partial`
 *   when the exception becomes `paid_partial` (a top-up that stays partial announces nothing new).
 * - `new`, not paid in full and `now ≥ expiresAt` → `expired` (`checkout.expired`), exception kept
 *   (`paid_partial` or `none`).
 * - `processing` → `settled` (`checkout.settled`, `settledAt = now`) once every counted payment has
 *   the confirmations `requiredConfirmations` asks for it (its asset, the price, its RBF flag). A reorg
 *   that lowers confirmations simply keeps it `processing`: it never settles below policy.
 * - `processing` no longer paid in full because counted payments stopped being live: → `invalid`
 *   (`double_spend`) if one of them was `replaced`; else (merely `orphaned`) back to `new`
 *   (`checkout.reopened`) before `expiresAt`; after it, it stays `processing` (the payment was sent in time
 *   and may be mined again) until `monitoringUntil`, then `invalid` (`payment_orphaned`).
 * - `processing` still unconfirmed at `now ≥ monitoringUntil` → `invalid` (`not_confirmed_in_time`).
 * - `settled` stays `settled`. A settled-on payment that becomes `orphaned`/`replaced` is announced
 *   once as `payment.reversed` (the ledger books the loss elsewhere); it is not un-announced if it
 *   later returns to the chain.
 * - `expired` is terminal, except that a live payment first seen before `monitoringUntil` and not
 *   counted at expiry (sent late, or recorded only after the expiry was evaluated) sets exception
 *   `paid_late` and announces `checkout.paid_late` once.
 * - `invalid` and `cancelled` are terminal: nothing changes.
 */
export function evaluate(checkout: Checkout, payments: readonly Payment[], now: Date, policy: StorePolicy): Transition {
  const view = viewPayments(checkout, payments, policy);
  const nowMs = now.getTime();
  const drafts: { body: EventBody; snapshot: Checkout }[] = [];
  let current = checkout;
  // new → processing → settled is the longest chain; the bound only guards against a rule bug.
  for (let i = 0; i < 6; i++) {
    const result = nextStep(current, view, nowMs, policy);
    if (result === null) break;
    current = result.next;
    for (const body of result.events) drafts.push({ body, snapshot: current });
  }
  if (current === checkout) return { next: checkout, events: [] };
  const next: Checkout = { ...current, version: checkout.version + 1 };
  return { next, events: stampEvents(drafts, next.version, view.byId, new Date(nowMs)) };
}
