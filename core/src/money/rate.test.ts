import fc from 'fast-check';
import { InvalidAmountError, MAX_FIAT_MINOR } from './amount';
import { CRYPTO_ASSET_CODES, CRYPTO_ASSETS, type CryptoAsset } from './crypto-asset';
import { fiatExponent, parseFiatCurrency, type FiatCurrency } from './fiat-currency';
import { cryptoDueForFiat, fiatValueOfCrypto, InvalidRateError, parseRate } from './rate';

const JPY = parseFiatCurrency('JPY');
const USD = parseFiatCurrency('USD');
const FIATS: FiatCurrency[] = ['USD', 'JPY', 'BHD', 'UYW', 'EUR', 'KRW'].map(parseFiatCurrency);

/** Exact rational oracle: rate = num / 10^scale. */
function rational(rate: string): { num: bigint; den: bigint } {
  const [i = '', f = ''] = rate.split('.');
  return { num: BigInt(i + f), den: 10n ** BigInt(f.length) };
}
function exactDue(priceMinor: bigint, fiat: FiatCurrency, asset: CryptoAsset, rate: string): bigint {
  const { num, den } = rational(rate);
  const n = priceMinor * 10n ** BigInt(CRYPTO_ASSETS[asset].decimals) * den;
  const d = 10n ** BigInt(fiatExponent(fiat)) * num;
  return (n + d - 1n) / d;
}

describe('parseRate', () => {
  test.each(['9003412.5', '1', '0.5', '0.00000000000000000001', '60000', '1'.repeat(40)])('accepts %s', (r) => {
    expect(parseRate(r)).toBe(r);
  });
  test.each<[unknown, string]>([
    [60000, 'not_a_string'],
    ['1'.repeat(41), 'too_long'],
    ['', 'malformed'],
    ['.5', 'malformed'],
    ['5.', 'malformed'],
    ['1e6', 'malformed'],
    ['-3', 'malformed'],
    ['+3', 'malformed'],
    [' 3', 'malformed'],
    ['03', 'malformed'],
    ['Infinity', 'malformed'],
    ['NaN', 'malformed'],
    ['1,5', 'malformed'],
    ['０.5', 'malformed'],
    ['0.000000000000000000001', 'too_many_decimals'],
    ['0', 'not_positive'],
    ['0.000', 'not_positive'],
  ])('refuses %p (%s)', (r, reason) => {
    expect(() => parseRate(r)).toThrow(InvalidRateError);
    try {
      parseRate(r);
    } catch (e) {
      expect((e as InvalidRateError).reason).toBe(reason);
      expect((e as InvalidRateError).httpStatus).toBe(400);
    }
  });
});

describe('cryptoDueForFiat rounds up, fiatValueOfCrypto rounds down', () => {
  test('the design example: 4980 JPY at 9003412 JPY/BTC', () => {
    // 4980 / 9003412 BTC = 0.000553122… → rounded up to 0.00055313
    expect(cryptoDueForFiat(4980n, JPY, 'BTC', '9003412')).toBe(55_313n);
    expect(fiatValueOfCrypto(55_313n, 'BTC', JPY, '9003412')).toBe(4980n);
    expect(fiatValueOfCrypto(55_312n, 'BTC', JPY, '9003412')).toBe(4979n);
  });
  test('exact divisions are not rounded', () => {
    expect(cryptoDueForFiat(600_000n, USD, 'BTC', '60000')).toBe(10_000_000n);
    expect(cryptoDueForFiat(1250n, USD, 'USDC', '1')).toBe(12_500_000n);
    expect(cryptoDueForFiat(1n, USD, 'ETH', '3000')).toBe(3_333_333_333_334n);
    expect(fiatValueOfCrypto(10_000_000n, 'BTC', USD, '60000')).toBe(600_000n);
  });
  test('zero price is zero crypto', () => {
    expect(cryptoDueForFiat(0n, USD, 'BTC', '60000')).toBe(0n);
  });
  test('bad inputs are typed errors', () => {
    expect(() => cryptoDueForFiat(-1n, USD, 'BTC', '60000')).toThrow(expect.objectContaining({ reason: 'sign' }));
    expect(() => cryptoDueForFiat(MAX_FIAT_MINOR + 1n, USD, 'BTC', '60000')).toThrow(InvalidAmountError);
    expect(() => cryptoDueForFiat(100n, USD, 'BTC', '1e5')).toThrow(InvalidRateError);
    expect(() => fiatValueOfCrypto(-1n, 'BTC', USD, '60000')).toThrow(InvalidAmountError);
    expect(() => fiatValueOfCrypto(10n ** 77n, 'ETH', USD, '1'.repeat(40))).toThrow(InvalidAmountError);
  });
  test('extreme but valid inputs stay exact', () => {
    const tiny = '0.' + '0'.repeat(19) + '1';
    expect(cryptoDueForFiat(MAX_FIAT_MINOR, parseFiatCurrency('JPY'), 'ETH', tiny)).toBe(
      exactDue(MAX_FIAT_MINOR, JPY, 'ETH', tiny),
    );
  });

  const rateArb = fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 20 }))
    .map(([n, scale]) => {
      const digits = (n === 0n ? 1n : n).toString().padStart(scale + 1, '0');
      const rate = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
      return rate.replace(/^0+(?=\d)/, '');
    })
    .filter((r) => r.length <= 40);
  const priceArb = fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 7n }), fc.bigInt({ min: 1n, max: MAX_FIAT_MINOR }));

  test('property: due is exact ceil, worth at least the price, and minimal', () => {
    fc.assert(
      fc.property(priceArb, fc.constantFrom(...FIATS), fc.constantFrom(...CRYPTO_ASSET_CODES), rateArb, (p, fiat, asset, rate) => {
        const due = cryptoDueForFiat(p, fiat, asset, rate);
        expect(due).toBe(exactDue(p, fiat, asset, rate));
        let worth: bigint;
        try {
          worth = fiatValueOfCrypto(due, asset, fiat, rate);
        } catch (e) {
          // Only a value beyond BIGINT may refuse, and it is then certainly ≥ p.
          expect(e).toBeInstanceOf(InvalidAmountError);
          return;
        }
        expect(worth >= p).toBe(true);
        if (due > 0n) expect(fiatValueOfCrypto(due - 1n, asset, fiat, rate) < p).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
