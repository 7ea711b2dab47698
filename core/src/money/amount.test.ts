import fc from 'fast-check';
import { formatAmount, InvalidAmountError, MAX_FIAT_MINOR, parseAmount, type InvalidAmountReason } from './amount';
import type { AssetCode } from './asset-code';
import { CRYPTO_ASSET_CODES } from './crypto-asset';
import { parseFiatCurrency } from './fiat-currency';

const USD = parseFiatCurrency('USD');
const JPY = parseFiatCurrency('JPY');
const BHD = parseFiatCurrency('BHD');

function reasonOf(text: unknown, asset: AssetCode): InvalidAmountReason | 'accepted' {
  try {
    parseAmount(text, asset);
    return 'accepted';
  } catch (err) {
    if (err instanceof InvalidAmountError) return err.reason;
    throw err;
  }
}

describe('parseAmount accepts exact decimal strings', () => {
  test.each<[string, AssetCode, bigint]>([
    ['0', 'BTC', 0n],
    ['1', 'BTC', 100_000_000n],
    ['0.00055312', 'BTC', 55_312n],
    ['0.5', 'LTC', 50_000_000n],
    ['21000000', 'BTC', 2_100_000_000_000_000n],
    ['1.000000000000000001', 'ETH', 1_000_000_000_000_000_001n],
    ['12.5', 'USDC', 12_500_000n],
    ['12.50', USD, 1250n],
    ['12.5', USD, 1250n],
    ['0.00', USD, 0n],
    ['4980', JPY, 4980n],
    ['1.234', BHD, 1234n],
    ['9223372036854775807', JPY, MAX_FIAT_MINOR],
  ])('%s %s → %s', (text, asset, expected) => {
    expect(parseAmount(text, asset)).toBe(expected);
  });

  test('78 digits is the limit for crypto', () => {
    expect(parseAmount('9'.repeat(60) + '.' + '9'.repeat(18), 'ETH')).toBe(10n ** 78n - 1n);
  });
});

describe('parseAmount refuses every other spelling, saying why', () => {
  test.each<[unknown, AssetCode, InvalidAmountReason]>([
    [12.5, USD, 'not_a_string'],
    [12n, USD, 'not_a_string'],
    [null, USD, 'not_a_string'],
    [undefined, USD, 'not_a_string'],
    [{}, USD, 'not_a_string'],
    ['', USD, 'empty'],
    [' 1', USD, 'whitespace'],
    ['1 ', USD, 'whitespace'],
    ['1 000', USD, 'whitespace'],
    ['1\n', USD, 'whitespace'],
    ['\t', USD, 'whitespace'],
    ['1\u00a0000', USD, 'whitespace'],
    ['-1', USD, 'sign'],
    ['+1', USD, 'sign'],
    ['\u22121', USD, 'sign'],
    ['1e3', USD, 'exponent'],
    ['1E3', USD, 'exponent'],
    ['Infinity', USD, 'invalid_character'],
    ['NaN', USD, 'invalid_character'],
    ['0x10', USD, 'invalid_character'],
    ['1,000', USD, 'invalid_character'],
    ['1.2.3', USD, 'invalid_character'],
    ['１２', JPY, 'invalid_character'],
    ['١٢', JPY, 'invalid_character'],
    ['1_000', USD, 'invalid_character'],
    ['.', USD, 'missing_integer_digits'],
    ['.5', USD, 'missing_integer_digits'],
    ['5.', USD, 'missing_fraction_digits'],
    ['007', USD, 'leading_zero'],
    ['00.5', USD, 'leading_zero'],
    ['00', USD, 'leading_zero'],
    ['12.345', USD, 'too_many_decimals'],
    ['4980.0', JPY, 'too_many_decimals'],
    ['0.000000001', 'BTC', 'too_many_decimals'],
    ['0.0000001', 'USDC', 'too_many_decimals'],
    ['1.0000000000000000001', 'ETH', 'too_many_decimals'],
    ['1'.repeat(79), 'BTC', 'too_long'],
    ['1'.repeat(70) + '.' + '1'.repeat(9), 'ETH', 'too_long'],
    ['1'.repeat(10_000), 'BTC', 'too_long'],
    ['1'.repeat(71), 'BTC', 'too_large'],
    ['9223372036854775808', JPY, 'too_large'],
    ['92233720368547758.08', USD, 'too_large'],
  ])('%p %s → %s', (text, asset, reason) => {
    expect(reasonOf(text, asset)).toBe(reason);
  });

  test('the error is a 400 invalid_amount with the reason in details', () => {
    const err = (() => {
      try {
        parseAmount('5.', USD);
      } catch (e) {
        return e;
      }
      return undefined;
    })() as InvalidAmountError;
    expect(err).toBeInstanceOf(InvalidAmountError);
    expect(err.httpStatus).toBe(400);
    expect(err.code).toBe('invalid_amount');
    expect(err.details).toEqual({ reason: 'missing_fraction_digits', asset: 'USD' });
  });
});

describe('formatAmount', () => {
  test.each<[bigint, AssetCode, string]>([
    [1250n, USD, '12.50'],
    [5n, USD, '0.05'],
    [0n, USD, '0.00'],
    [4980n, JPY, '4980'],
    [0n, JPY, '0'],
    [1234n, BHD, '1.234'],
    [55_312n, 'BTC', '0.00055312'],
    [100_000_000n, 'BTC', '1'],
    [0n, 'BTC', '0'],
    [150_000_000n, 'LTC', '1.5'],
    [1n, 'ETH', '0.000000000000000001'],
    [12_500_000n, 'USDC', '12.5'],
    [-1250n, USD, '-12.50'],
  ])('%s %s → %s', (base, asset, text) => {
    expect(formatAmount(base, asset)).toBe(text);
  });
});

describe('parseAmount(formatAmount(x)) = x', () => {
  const assets: AssetCode[] = [...CRYPTO_ASSET_CODES, USD, JPY, BHD, parseFiatCurrency('UYW')];
  test.each(assets)('%s', (asset) => {
    const max = typeof asset === 'string' && CRYPTO_ASSET_CODES.includes(asset as never) ? 10n ** 78n - 1n : MAX_FIAT_MINOR;
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: 0n, max }), fc.bigInt({ min: 0n, max: 10n ** 12n })), (x) => {
        expect(parseAmount(formatAmount(x, asset), asset)).toBe(x);
      }),
      { numRuns: 500 },
    );
  });
});
