import fc from 'fast-check';
import { makeId } from '../ids/id';
import { balances, trialBalance } from '../ledger/balances';
import { escrowReleasePosting, refundOwedPosting, refundSentPosting, settlementPosting } from '../ledger/posting-builders';
import { fxConversion, mallCryptoHoldings, mallFeeRevenue, shopperRefundsPayable, storeEscrow, storePayable } from '../ledger/accounts';
import type { Posting } from '../ledger/posting';
import { parseFiatCurrency } from '../money/fiat-currency';
import { decideEscrow, type EscrowCommand, type EscrowDecision } from './decide-escrow';
import { DAY_MS, type EscrowHold, type InspectionDestination, isFinalEscrowStatus, newEscrowHold } from './escrow-hold';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (ms: number): Date => new Date(ms);
const JPY = parseFiatCurrency('JPY');
const STORE = makeId('st', T0, new Uint8Array(10).fill(2));

function hold(inspection: InspectionDestination = 'shopper', overrides: Partial<EscrowHold> = {}): EscrowHold {
  return {
    ...newEscrowHold({
      id: makeId('esc', T0, new Uint8Array(10).fill(1)),
      checkoutId: makeId('co', T0, new Uint8Array(10).fill(3)),
      storeId: STORE,
      currency: JPY,
      priceMinor: 10_000n,
      feeMinor: 160n,
      inspection,
      autoAcceptDays: 7,
    }),
    ...overrides,
  };
}

function changedOf(decision: EscrowDecision): Extract<EscrowDecision, { outcome: 'changed' }> {
  if (decision.outcome !== 'changed') throw new Error(`expected a change, got ${JSON.stringify(decision, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  return decision;
}

/** Runs commands in order, each a minute after the previous, keeping only the changes. */
function run(start: EscrowHold, commands: readonly (EscrowCommand | { wait: number })[]): { hold: EscrowHold; decisions: EscrowDecision[] } {
  let current = start;
  let now = T0;
  const decisions: EscrowDecision[] = [];
  for (const command of commands) {
    if ('wait' in command) {
      now += command.wait;
      continue;
    }
    now += 60_000;
    const decision = decideEscrow(current, command, at(now));
    decisions.push(decision);
    if (decision.outcome === 'changed') current = decision.next;
  }
  return { hold: current, decisions };
}

describe('decideEscrow', () => {
  test('shopper inspection: shipped → delivered → confirmed by the shopper releases everything held', () => {
    const { hold: h, decisions } = run(hold(), [{ type: 'register_shipment' }, { type: 'carrier_update', status: 'in_transit' }, { type: 'carrier_update', status: 'delivered' }, { type: 'confirm_receipt' }]);
    expect(decisions.map((d) => (d.outcome === 'changed' ? d.events : d.outcome))).toEqual([['escrow.shipped'], 'unchanged', ['escrow.delivered'], ['escrow.accepted']]);
    expect(h).toMatchObject({ status: 'accepted', acceptedBy: 'shopper', releasedMinor: 9_840n, refundFromEscrowMinor: 0n, refundFeeMinor: 0n, version: 3 });
    expect(h.acceptanceDeadline?.getTime()).toBe(T0 + 3 * 60_000 + 7 * DAY_MS);
  });

  test('carrier inspection: the delivery report is the acceptance; the shopper link cannot accept', () => {
    const shipped = changedOf(decideEscrow(hold('carrier'), { type: 'register_shipment' }, at(T0))).next;
    expect(decideEscrow(shipped, { type: 'confirm_receipt' }, at(T0))).toEqual({ outcome: 'refused', refusal: { reason: 'carrier_inspects' } });
    const delivered = changedOf(decideEscrow(shipped, { type: 'carrier_update', status: 'delivered' }, at(T0 + 1)));
    expect(delivered.events).toEqual(['escrow.delivered', 'escrow.accepted']);
    expect(delivered.next).toMatchObject({ status: 'accepted', acceptedBy: 'carrier', releasedMinor: 9_840n });
    expect(delivered.money).toEqual({ releaseMinor: 9_840n, refundFromEscrowMinor: 0n, refundFeeMinor: 0n });
    expect(decideEscrow(delivered.next, { type: 'carrier_update', status: 'delivered' }, at(T0 + 2))).toEqual({ outcome: 'unchanged' });
  });

  test('a gift recipient accepts as its inspector', () => {
    expect(changedOf(decideEscrow(hold('gift_recipient'), { type: 'confirm_receipt' }, at(T0))).next.acceptedBy).toBe('gift_recipient');
  });

  test('the deadline auto-accepts a delivered order, not a moment before; disputes close with it', () => {
    const { hold: delivered } = run(hold(), [{ type: 'register_shipment' }, { type: 'carrier_update', status: 'delivered' }]);
    const deadline = delivered.acceptanceDeadline!.getTime();
    expect(decideEscrow(delivered, { type: 'tick' }, at(deadline - 1))).toEqual({ outcome: 'unchanged' });
    expect(decideEscrow(delivered, { type: 'open_dispute' }, at(deadline - 1)).outcome).toBe('changed');
    expect(decideEscrow(delivered, { type: 'open_dispute' }, at(deadline))).toEqual({ outcome: 'refused', refusal: { reason: 'dispute_window_closed', deadline: at(deadline) } });
    const accepted = changedOf(decideEscrow(delivered, { type: 'tick' }, at(deadline)));
    expect(accepted.next).toMatchObject({ status: 'accepted', acceptedBy: 'deadline', acceptedAt: at(deadline) });
    expect(accepted.money.releaseMinor).toBe(9_840n);
  });

  test('ticks never accept an order that was not delivered', () => {
    const shipped = changedOf(decideEscrow(hold(), { type: 'register_shipment' }, at(T0))).next;
    expect(decideEscrow(shipped, { type: 'tick' }, at(T0 + 365 * DAY_MS))).toEqual({ outcome: 'unchanged' });
  });

  test.each([
    [{ type: 'resolve_dispute', resolution: 'release' } as const, { releaseMinor: 9_840n, refundFromEscrowMinor: 0n, refundFeeMinor: 0n }],
    [{ type: 'resolve_dispute', resolution: 'refund_full' } as const, { releaseMinor: 0n, refundFromEscrowMinor: 9_840n, refundFeeMinor: 160n }],
    [{ type: 'resolve_dispute', resolution: 'refund_partial', refundMinor: 3_000n } as const, { releaseMinor: 6_840n, refundFromEscrowMinor: 3_000n, refundFeeMinor: 0n }],
  ])('a dispute resolved %p moves %p', (command, money) => {
    const disputed = changedOf(decideEscrow(hold(), { type: 'open_dispute' }, at(T0))).next;
    expect(decideEscrow(disputed, { type: 'confirm_receipt' }, at(T0)).outcome).toBe('refused');
    const resolved = changedOf(decideEscrow(disputed, command, at(T0 + 1)));
    expect(resolved.events).toEqual(['dispute.resolved']);
    expect(resolved.money).toEqual(money);
    expect(resolved.next).toMatchObject({ status: 'resolved', resolution: command.resolution });
  });

  test.each([0n, -1n, 9_840n, 9_841n])('a partial refund of %p is out of range', (refundMinor) => {
    const disputed = changedOf(decideEscrow(hold(), { type: 'open_dispute' }, at(T0))).next;
    expect(decideEscrow(disputed, { type: 'resolve_dispute', resolution: 'refund_partial', refundMinor }, at(T0))).toEqual({
      outcome: 'refused',
      refusal: { reason: 'refund_out_of_range', heldMinor: 9_840n },
    });
  });

  test('the store cancels before acceptance (even during a dispute) with a full refund, never after', () => {
    for (const status of ['reserved', 'shipped', 'delivered', 'disputed'] as const) {
      const cancelled = changedOf(decideEscrow(hold('shopper', { status }), { type: 'cancel_by_store' }, at(T0)));
      expect(cancelled.events).toEqual(['order.cancelled_by_store']);
      expect(cancelled.money).toEqual({ releaseMinor: 0n, refundFromEscrowMinor: 9_840n, refundFeeMinor: 160n });
    }
    for (const status of ['accepted', 'resolved', 'cancelled'] as const) {
      expect(decideEscrow(hold('shopper', { status }), { type: 'cancel_by_store' }, at(T0))).toEqual({ outcome: 'refused', refusal: { reason: 'not_allowed_in_status', status } });
    }
  });

  test('a second shipment, or a dispute not in dispute, is refused', () => {
    const shipped = changedOf(decideEscrow(hold(), { type: 'register_shipment' }, at(T0))).next;
    expect(decideEscrow(shipped, { type: 'register_shipment' }, at(T0)).outcome).toBe('refused');
    expect(decideEscrow(shipped, { type: 'resolve_dispute', resolution: 'release' }, at(T0)).outcome).toBe('refused');
  });
});

const commandArb: fc.Arbitrary<EscrowCommand | { wait: number }> = fc.oneof(
  fc.constant({ type: 'register_shipment' } as const),
  fc.constantFrom('in_transit' as const, 'delivered' as const).map((status) => ({ type: 'carrier_update', status }) as const),
  fc.constant({ type: 'confirm_receipt' } as const),
  fc.constant({ type: 'open_dispute' } as const),
  fc.constant({ type: 'resolve_dispute', resolution: 'release' } as const),
  fc.constant({ type: 'resolve_dispute', resolution: 'refund_full' } as const),
  fc.bigInt({ min: -5n, max: 20_000n }).map((refundMinor) => ({ type: 'resolve_dispute', resolution: 'refund_partial', refundMinor }) as const),
  fc.constant({ type: 'cancel_by_store' } as const),
  fc.constant({ type: 'tick' } as const),
  fc.integer({ min: 0, max: 30 }).map((days) => ({ wait: days * DAY_MS })),
);

describe('decideEscrow properties', () => {
  test('money is conserved, moved once, and never both released and fully refunded; the ledger balances', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<InspectionDestination>('shopper', 'gift_recipient', 'carrier'),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        fc.array(commandArb, { maxLength: 25 }),
        (inspection, netMinor, feeMinor, commands) => {
          const start = hold(inspection, { priceMinor: netMinor + feeMinor, feeMinor, heldMinor: netMinor });
          const { hold: end, decisions } = run(start, commands);
          const changes = decisions.filter((d): d is Extract<EscrowDecision, { outcome: 'changed' }> => d.outcome === 'changed');
          // Money moves in exactly one change, the one that makes the hold final.
          const moving = changes.filter((c) => c.money.releaseMinor + c.money.refundFromEscrowMinor + c.money.refundFeeMinor > 0n);
          expect(moving.length).toBe(isFinalEscrowStatus(end.status) ? 1 : 0);
          if (isFinalEscrowStatus(end.status)) expect(end.releasedMinor + end.refundFromEscrowMinor).toBe(netMinor);
          else expect([end.releasedMinor, end.refundFromEscrowMinor, end.refundFeeMinor]).toEqual([0n, 0n, 0n]);
          // Never both paid out in full and refunded; the fee goes back only with a full refund.
          if (end.releasedMinor === netMinor) expect(end.refundFromEscrowMinor + end.refundFeeMinor).toBe(0n);
          if (end.refundFeeMinor > 0n) expect(end.releasedMinor).toBe(0n);
          expect(end.version).toBe(changes.length);
          // The postings the changes imply balance per currency and leave the escrow empty once final.
          const meta = (n: number) => ({ postingId: makeId('lp', T0, new Uint8Array(10).fill(n)), dedupeKey: `k${n}`, occurredAt: at(T0) });
          const postings: Posting[] = [];
          postings.push(settlementPosting({ meta: meta(1), storeId: STORE, asset: 'LTC', amountReceivedBase: 1_000n, currency: JPY, priceMinor: netMinor + feeMinor, feeMinor, spreadMinor: 0n, escrow: true }));
          for (const c of moving) {
            if (c.money.releaseMinor > 0n) postings.push(escrowReleasePosting({ meta: meta(2), storeId: STORE, currency: JPY, amountMinor: c.money.releaseMinor }));
            if (c.money.refundFromEscrowMinor + c.money.refundFeeMinor > 0n) {
              postings.push(refundOwedPosting({ meta: meta(3), storeId: STORE, currency: JPY, fromEscrowMinor: c.money.refundFromEscrowMinor, fromFeeMinor: c.money.refundFeeMinor }));
            }
          }
          const b = balances(postings);
          for (const total of trialBalance(b).values()) expect(total).toBe(0n);
          if (isFinalEscrowStatus(end.status)) expect(b.get(storeEscrow(STORE))?.get(JPY) ?? 0n).toBe(0n);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('final statuses stay final', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 30 }), (commands) => {
        const { decisions } = run(hold(), commands);
        let final = false;
        for (const d of decisions) {
          if (final) expect(d.outcome).not.toBe('changed');
          if (d.outcome === 'changed' && isFinalEscrowStatus(d.next.status)) final = true;
        }
      }),
    );
  });
});

describe('refund postings', () => {
  test('a full refund sent back in crypto leaves the store, the escrow and the refund debt at zero, and the fee reversed', () => {
    const meta = (n: number) => ({ postingId: makeId('lp', T0, new Uint8Array(10).fill(n)), dedupeKey: `k${n}`, occurredAt: at(T0) });
    const b = balances([
      settlementPosting({ meta: meta(1), storeId: STORE, asset: 'LTC', amountReceivedBase: 83_334_000n, currency: JPY, priceMinor: 10_000n, feeMinor: 160n, spreadMinor: 0n, escrow: true }),
      refundOwedPosting({ meta: meta(2), storeId: STORE, currency: JPY, fromEscrowMinor: 9_840n, fromFeeMinor: 160n }),
      refundSentPosting({ meta: meta(3), asset: 'LTC', amountBase: 83_334_000n, currency: JPY, refundMinor: 10_000n }),
    ]);
    for (const total of trialBalance(b).values()) expect(total).toBe(0n);
    expect(b.get(storeEscrow(STORE))?.get(JPY)).toBe(0n);
    expect(b.get(storePayable(STORE))).toBeUndefined();
    expect(b.get(mallFeeRevenue())?.get(JPY)).toBe(0n);
    expect(b.get(shopperRefundsPayable())?.get(JPY)).toBe(0n);
    expect(b.get(mallCryptoHoldings('LTC'))?.get('LTC')).toBe(0n);
    expect(b.get(fxConversion())?.get('LTC')).toBe(0n);
    expect(b.get(fxConversion())?.get(JPY)).toBe(0n);
  });

  test('refuses empty or negative refunds', () => {
    const meta = { postingId: makeId('lp', T0, new Uint8Array(10).fill(1)), dedupeKey: 'k', occurredAt: at(T0) };
    expect(() => refundOwedPosting({ meta, storeId: STORE, currency: JPY, fromEscrowMinor: 0n, fromFeeMinor: 0n })).toThrow();
    expect(() => refundOwedPosting({ meta, storeId: STORE, currency: JPY, fromEscrowMinor: -1n, fromFeeMinor: 5n })).toThrow();
    expect(() => refundSentPosting({ meta, asset: 'LTC', amountBase: 0n, currency: JPY, refundMinor: 1n })).toThrow();
  });
});
