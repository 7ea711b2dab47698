import fc from 'fast-check';
import { makeId, type StoreId } from '../ids/id';
import { parseFiatCurrency } from '../money/fiat-currency';
import { fxConversion, fxSpreadRevenue, mallCryptoHoldings, mallFeeRevenue, mallFiatCash, paymentReversalLosses, payoutsInTransit, storeEscrow, storePayable } from './accounts';
import { balances, trialBalance } from './balances';
import { buildPosting, InvalidPostingError, type PostingMeta, UnbalancedPostingError } from './posting';
import {
  escrowReleasePosting,
  paymentReversalPosting,
  payoutFailedPosting,
  payoutPaidPosting,
  payoutScheduledPosting,
  settlementPosting,
} from './posting-builders';

const JPY = parseFiatCurrency('JPY');
const USD = parseFiatCurrency('USD');
const STORE: StoreId = makeId('st', 1, new Uint8Array(10));
let n = 0;
const meta = (): PostingMeta => ({ postingId: makeId('lp', 1, new Uint8Array(10).fill(++n % 256)), dedupeKey: `test:${n}`, occurredAt: new Date(0) });

describe('buildPosting', () => {
  test('accepts a posting balanced per currency', () => {
    const p = buildPosting(
      'settlement',
      [
        { account: 'a:x', currency: 'BTC', amount: 5n },
        { account: 'b:y', currency: 'BTC', amount: -5n },
        { account: 'a:x', currency: JPY, amount: 7n },
        { account: 'c:z', currency: JPY, amount: -3n },
        { account: 'd:w', currency: JPY, amount: -4n },
      ],
      meta(),
    );
    expect(p.entries).toHaveLength(5);
    expect(p.kind).toBe('settlement');
  });

  test('refuses a posting that balances overall but not per currency', () => {
    const entries = [
      { account: 'a:x', currency: 'BTC' as const, amount: 5n },
      { account: 'b:y', currency: USD, amount: -5n },
    ];
    try {
      buildPosting('settlement', entries, meta());
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(UnbalancedPostingError);
      expect((e as UnbalancedPostingError).imbalances).toEqual(new Map<string, bigint>([['BTC', 5n], ['USD', -5n]]));
    }
  });

  test.each([
    ['empty', []],
    ['zero_entry', [{ account: 'a:x', currency: 'BTC', amount: 0n }]],
    ['bad_account', [{ account: 'nocolon', currency: 'BTC', amount: 1n }, { account: 'b:y', currency: 'BTC', amount: -1n }]],
    ['bad_account', [{ account: 'a: x', currency: 'BTC', amount: 1n }, { account: 'b:y', currency: 'BTC', amount: -1n }]],
    ['unbalanced', [{ account: 'a:x', currency: 'BTC', amount: 1n }]],
  ] as const)('refuses %s', (reason, entries) => {
    expect(() => buildPosting('settlement', entries, meta())).toThrow(InvalidPostingError);
    try {
      buildPosting('settlement', entries, meta());
    } catch (e) {
      expect((e as InvalidPostingError).reason).toBe(reason);
    }
  });

  test('refuses an empty dedupe key', () => {
    expect(() =>
      buildPosting('settlement', [{ account: 'a:x', currency: 'BTC', amount: 1n }, { account: 'b:x', currency: 'BTC', amount: -1n }], { ...meta(), dedupeKey: '' }),
    ).toThrow(InvalidPostingError);
  });

  test('copies its entries', () => {
    const entries = [
      { account: 'a:x', currency: 'BTC' as const, amount: 1n },
      { account: 'b:x', currency: 'BTC' as const, amount: -1n },
    ];
    const p = buildPosting('settlement', entries, meta());
    entries[0] = { account: 'a:x', currency: 'BTC', amount: 99n };
    expect(p.entries[0]?.amount).toBe(1n);
  });

  test('property: random balanced entries build, any perturbation is refused', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: 10n ** 30n }), { minLength: 1, maxLength: 6 }), fc.bigInt({ min: 1n, max: 100n }), (debits, delta) => {
        const total = debits.reduce((a, b) => a + b, 0n);
        const entries = [...debits.map((d, i) => ({ account: `a:${i}`, currency: 'ETH' as const, amount: d })), { account: 'b:sink', currency: 'ETH' as const, amount: -total }];
        expect(buildPosting('settlement', entries, meta()).entries).toHaveLength(entries.length);
        // Perturbed away from zero in both places: a zero entry is refused for another reason (zero_entry).
        const sinkShort = [...entries.slice(0, -1), { account: 'b:sink', currency: 'ETH' as const, amount: -total - delta }];
        expect(() => buildPosting('settlement', sinkShort, meta())).toThrow(UnbalancedPostingError);
        const debitLong = [{ ...entries[0]!, amount: debits[0]! + delta }, ...entries.slice(1)];
        expect(() => buildPosting('settlement', debitLong, meta())).toThrow(UnbalancedPostingError);
      }),
    );
  });
});

describe('posting builders', () => {
  const settlement = (escrow: boolean) =>
    settlementPosting({ meta: meta(), storeId: STORE, asset: 'BTC', amountReceivedBase: 55_313n, currency: JPY, priceMinor: 4980n, feeMinor: 50n, spreadMinor: 25n, escrow });

  test('settlement balances in the asset and in fiat, through the FX conversion account', () => {
    const b = balances([settlement(false)]);
    expect(b.get(mallCryptoHoldings('BTC'))).toEqual(new Map([['BTC', 55_313n]]));
    expect(b.get(fxConversion())).toEqual(new Map<string, bigint>([['BTC', -55_313n], ['JPY', 5005n]]));
    expect(b.get(storePayable(STORE))).toEqual(new Map([['JPY', -4930n]]));
    expect(b.get(mallFeeRevenue())).toEqual(new Map([['JPY', -50n]]));
    expect(b.get(fxSpreadRevenue())).toEqual(new Map([['JPY', -25n]]));
    expect(b.has(storeEscrow(STORE))).toBe(false);
  });

  test('settlement without fee or spread omits those entries; escrow credits the escrow account', () => {
    const p = settlementPosting({ meta: meta(), storeId: STORE, asset: 'ETH', amountReceivedBase: 1n, currency: USD, priceMinor: 100n, feeMinor: 0n, spreadMinor: 0n, escrow: true });
    expect(p.entries.map((e) => e.account)).toEqual([mallCryptoHoldings('ETH'), fxConversion(), fxConversion(), storeEscrow(STORE)]);
  });

  test.each([
    { amountReceivedBase: 0n },
    { priceMinor: 0n },
    { feeMinor: -1n },
    { feeMinor: 4980n },
    { spreadMinor: -1n },
  ])('settlement refuses out-of-range amounts %p', (bad) => {
    expect(() =>
      settlementPosting({ meta: meta(), storeId: STORE, asset: 'BTC', amountReceivedBase: 1n, currency: JPY, priceMinor: 4980n, feeMinor: 0n, spreadMinor: 0n, escrow: false, ...bad }),
    ).toThrow(InvalidPostingError);
  });

  test('the lifecycle escrow → payable → in transit → paid leaves the store owed nothing', () => {
    const movement = () => ({ meta: meta(), storeId: STORE, currency: JPY, amountMinor: 4930n });
    const postings = [settlement(true), escrowReleasePosting(movement()), payoutScheduledPosting(movement()), payoutPaidPosting(movement())];
    const b = balances(postings);
    expect(b.get(storeEscrow(STORE))?.get(JPY)).toBe(0n);
    expect(b.get(storePayable(STORE))?.get(JPY)).toBe(0n);
    expect(b.get(payoutsInTransit())?.get(JPY)).toBe(0n);
    expect(b.get(mallFiatCash())?.get(JPY)).toBe(-4930n);
    for (const total of trialBalance(b).values()) expect(total).toBe(0n);
  });

  test('a failed payout makes the amount payable again', () => {
    const movement = () => ({ meta: meta(), storeId: STORE, currency: JPY, amountMinor: 4930n });
    const b = balances([settlement(false), payoutScheduledPosting(movement()), payoutFailedPosting(movement())]);
    expect(b.get(storePayable(STORE))?.get(JPY)).toBe(-4930n);
    expect(b.get(payoutsInTransit())?.get(JPY)).toBe(0n);
  });

  test('a payment reversal moves the crypto from holdings to losses', () => {
    const b = balances([settlement(false), paymentReversalPosting({ meta: meta(), asset: 'BTC', amountBase: 55_313n })]);
    expect(b.get(mallCryptoHoldings('BTC'))?.get('BTC')).toBe(0n);
    expect(b.get(paymentReversalLosses())?.get('BTC')).toBe(55_313n);
    for (const total of trialBalance(b).values()) expect(total).toBe(0n);
  });
});
