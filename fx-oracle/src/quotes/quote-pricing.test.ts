import { CRYPTO_ASSET_CODES, fiatValueOfCrypto, parseFiatCurrency } from '@coinstile/core';
import fc from 'fast-check';
import { FxDecimal } from '../fx-decimal';
import { applySpread, priceQuote } from './quote-pricing';

/** JPY has no minor unit, USD two digits, BHD three. */
const FIATS = ['JPY', 'USD', 'BHD'].map((code) => parseFiatCurrency(code));

/** Rates from 10^-6 to 10^10 fiat per asset with 15 significant digits, as aggregation publishes them. */
const rateArbitrary = fc
  .tuple(fc.bigInt({ min: 10n ** 14n, max: 10n ** 15n - 1n }), fc.integer({ min: -5, max: 10 }))
  .map(([digits, exponent]) => new FxDecimal(digits.toString()).div(new FxDecimal(10).pow(15)).times(new FxDecimal(10).pow(exponent)).toString());

describe('priceQuote', () => {
  it('the crypto amount due never converts back to less than the fiat price (every asset, JPY/USD/BHD)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CRYPTO_ASSET_CODES),
        fc.constantFrom(...FIATS),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        rateArbitrary,
        fc.integer({ min: 0, max: 2_000 }),
        (asset, currency, priceMinor, marketRate, spreadBps) => {
          const { rate, amountDueBase } = priceQuote({ asset, currency, priceMinor, marketRate, spreadBps });
          // Worth at least the price at the quoted rate, and at the market rate too (the spread only adds).
          expect(fiatValueOfCrypto(amountDueBase, asset, currency, rate)).toBeGreaterThanOrEqual(priceMinor);
          expect(fiatValueOfCrypto(amountDueBase, asset, currency, marketRate)).toBeGreaterThanOrEqual(priceMinor);
          // And it is the least such amount: one base unit less is short.
          if (amountDueBase > 0n) expect(fiatValueOfCrypto(amountDueBase - 1n, asset, currency, rate)).toBeLessThan(priceMinor);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('applies the spread so the shopper pays more crypto', () => {
    const currency = parseFiatCurrency('JPY');
    const plain = priceQuote({ asset: 'BTC', currency, priceMinor: 4980n, marketRate: '9003412', spreadBps: 0 });
    const withSpread = priceQuote({ asset: 'BTC', currency, priceMinor: 4980n, marketRate: '9003412', spreadBps: 100 });
    // 4980 / 9003412 BTC = 55312.3… sats, rounded up.
    expect(plain).toEqual({ rate: '9003412', amountDueBase: 55313n });
    expect(withSpread.rate).toBe('8913377.88');
    expect(withSpread.amountDueBase).toBeGreaterThan(plain.amountDueBase);
  });

  it('rounds the spread rate down (never in the shopper’s favour)', () => {
    expect(applySpread('1', 3)).toBe('0.9997');
    // 3.33333333333333 × 0.9999 = 3.332999999999996667, cut (not rounded) to 15 digits.
    expect(applySpread('3.33333333333333', 1)).toBe('3.33299999999999');
    expect(new FxDecimal(applySpread('7', 1)).lte(new FxDecimal('6.9993'))).toBe(true);
  });
});
