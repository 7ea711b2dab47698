import { checkout, JPY, STORE_ID, T0, at, EXPIRES } from '../checkout/__tests__/checkout-fixtures';
import { makeId } from '../ids/id';
import { balances, trialBalance } from '../ledger/balances';
import { storePayable } from '../ledger/accounts';
import { cryptoDueForFiat } from '../money/rate';
import { applyTenders } from './apply-tenders';
import type { Tender } from './tender';
import { assertTenderApplicable, cryptoDueForRemainder, fiatStillDueMinor, TenderNotApplicableError, tenderAmountToApply, tenderedMinor } from './tender-arithmetic';
import { storeVoucherCashDue, tenderedSettlementPosting, voucherActivationPosting, voucherBreakagePosting, voucherLiability } from './tender-postings';

const held = (amountMinor: bigint, status: Tender['status'] = 'held') => ({ amountMinor, status });
const meta = (key: string) => ({ postingId: makeId('lp', T0, new Uint8Array(10).fill(9)), dedupeKey: key, occurredAt: at(T0) });

describe('tender arithmetic', () => {
  test('held and captured tenders count, released ones do not', () => {
    expect(tenderedMinor([held(1000n), held(500n, 'captured'), held(700n, 'released')])).toBe(1500n);
    expect(fiatStillDueMinor(4980n, [held(1000n), held(700n, 'released')])).toBe(3980n);
    expect(fiatStillDueMinor(4980n, [held(3000n), held(3000n)])).toBe(0n);
  });

  test('a tender takes min(available, still due)', () => {
    expect(tenderAmountToApply(3000n, 4980n)).toBe(3000n);
    expect(tenderAmountToApply(3000n, 1980n)).toBe(1980n);
    expect(tenderAmountToApply(0n, 1980n)).toBe(0n);
    expect(tenderAmountToApply(3000n, 0n)).toBe(0n);
  });

  test('the crypto due for the remainder rounds up as cryptoDueForFiat does; nothing when covered', () => {
    expect(cryptoDueForRemainder(1980n, JPY, 'BTC', '4980000')).toBe(cryptoDueForFiat(1980n, JPY, 'BTC', '4980000'));
    // 1 JPY at 3 JPY per LTC is 1/3 LTC: rounded up to the next litoshi.
    expect(cryptoDueForRemainder(1n, JPY, 'LTC', '3')).toBe(33_333_334n);
    expect(cryptoDueForRemainder(0n, JPY, 'LTC', '3')).toBe(0n);
  });

  test('only a new, unexpired, unpaid checkout in the same currency that is not yet covered takes a tender', () => {
    const now = at(T0 + 1000);
    const reason = (c: ReturnType<typeof checkout>, tenders: { amountMinor: bigint; status: Tender['status'] }[] = [], when = now, currency = JPY): string => {
      try {
        assertTenderApplicable(c, tenders, currency, when);
        return 'ok';
      } catch (err) {
        expect(err).toBeInstanceOf(TenderNotApplicableError);
        return (err as TenderNotApplicableError).reason;
      }
    };
    expect(reason(checkout())).toBe('ok');
    expect(reason(checkout({ status: 'processing' }))).toBe('not_new');
    expect(reason(checkout(), [], at(EXPIRES))).toBe('expired');
    expect(reason(checkout({ amountPaidBase: 1n }))).toBe('has_payment');
    expect(reason(checkout(), [held(4980n)])).toBe('fully_covered');
    expect(reason(checkout(), [], now, 'USD' as typeof JPY)).toBe('currency_mismatch');
  });
});

describe('applyTenders', () => {
  test('a partial tender re-quotes the crypto due for the remainder, no event', () => {
    const c = checkout();
    const { next, events } = applyTenders(c, [held(3000n)], at(T0 + 1000));
    expect(next.amountDueBase).toBe(cryptoDueForFiat(1980n, JPY, 'BTC', '4980000'));
    expect(next.status).toBe('new');
    expect(next.version).toBe(c.version + 1);
    expect(events).toEqual([]);
  });

  test('a checkout without an asset keeps amountDueBase null until one is chosen', () => {
    const c = checkout({ asset: null, address: null, amountDueBase: null, rate: null, quoteId: null, quoteExpiresAt: null });
    expect(applyTenders(c, [held(1000n)], at(T0)).next.amountDueBase).toBeNull();
  });

  test('tenders covering the price settle it without crypto: processing then settled', () => {
    const c = checkout();
    const now = at(T0 + 5000);
    const { next, events } = applyTenders(c, [held(3000n), held(1980n)], now);
    expect(next).toMatchObject({ status: 'settled', settledAt: now, amountDueBase: 0n, exception: 'none', version: c.version + 1 });
    expect(events.map((e) => e.type)).toEqual(['checkout.processing', 'checkout.settled']);
    expect(events.map((e) => e.status)).toEqual(['processing', 'settled']);
    expect(new Set(events.map((e) => e.dedupeKey)).size).toBe(2);
  });
});

describe('tender postings', () => {
  test('activation: the POS store owes the cash, the mall owes the holder; balanced', () => {
    const p = voucherActivationPosting({ meta: meta('voucher_activation:vch_1'), storeId: STORE_ID, currency: JPY, faceValueMinor: 3000n });
    const b = balances([p]);
    expect(b.get(storeVoucherCashDue(STORE_ID))?.get(JPY)).toBe(3000n);
    expect(b.get(voucherLiability())?.get(JPY)).toBe(-3000n);
    expect([...trialBalance(b).values()].every((v) => v === 0n)).toBe(true);
    expect(() => voucherActivationPosting({ meta: meta('x'), storeId: STORE_ID, currency: JPY, faceValueMinor: 0n })).toThrow();
  });

  test('breakage: an unspent balance leaves the liability for revenue; balanced', () => {
    const p = voucherBreakagePosting({ meta: meta('voucher_breakage:vch_1:expired'), currency: JPY, amountMinor: 700n });
    const b = balances([p]);
    expect(b.get(voucherLiability())?.get(JPY)).toBe(700n);
    expect(b.get('mall:revenue:voucher_breakage')?.get(JPY)).toBe(-700n);
    expect(() => voucherBreakagePosting({ meta: meta('y'), currency: JPY, amountMinor: 0n })).toThrow();
  });

  test('mixed settlement: crypto for the remainder, the voucher liability for the rest; the store gets price − fee; balanced per currency', () => {
    const p = tenderedSettlementPosting({
      meta: meta('settlement:co_1'),
      storeId: STORE_ID,
      asset: 'LTC',
      amountReceivedBase: 16_500_000n,
      currency: JPY,
      priceMinor: 4980n,
      feeMinor: 50n,
      spreadMinor: 20n,
      escrow: false,
      tenders: [
        { kind: 'voucher', sourceId: 'vch_a', amountMinor: 2000n },
        { kind: 'voucher', sourceId: 'vch_b', amountMinor: 1000n },
      ],
    });
    const b = balances([p]);
    expect(b.get(voucherLiability())?.get(JPY)).toBe(3000n);
    expect(b.get(storePayable(STORE_ID))?.get(JPY)).toBe(-4930n);
    expect(b.get('mall:fx_conversion')?.get(JPY)).toBe(1980n + 20n);
    expect([...trialBalance(b).values()].every((v) => v === 0n)).toBe(true);
  });

  test('covered entirely by tenders: no crypto lines; crypto with nothing left due is refused', () => {
    const base = {
      meta: meta('settlement:co_2'),
      storeId: STORE_ID,
      currency: JPY,
      priceMinor: 3000n,
      feeMinor: 30n,
      spreadMinor: 0n,
      escrow: true,
      tenders: [{ kind: 'voucher' as const, sourceId: 'vch_a', amountMinor: 3000n }],
    };
    const p = tenderedSettlementPosting({ ...base, asset: null, amountReceivedBase: 0n });
    expect(p.entries.map((e) => e.currency)).toEqual([JPY, JPY, JPY]);
    expect([...trialBalance(balances([p])).values()].every((v) => v === 0n)).toBe(true);
    expect(() => tenderedSettlementPosting({ ...base, asset: 'LTC', amountReceivedBase: 5n })).toThrow();
    expect(() => tenderedSettlementPosting({ ...base, tenders: [{ kind: 'voucher', sourceId: 'v', amountMinor: 2000n }], asset: null, amountReceivedBase: 0n })).toThrow();
  });
});
