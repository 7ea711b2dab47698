import { assetExponent, isAssetCode } from './asset-code';
import { CRYPTO_ASSETS } from './crypto-asset';
import { fiatExponent, InvalidCurrencyError, ISO_4217_EXPONENTS, isFiatCurrency, parseFiatCurrency } from './fiat-currency';

test('the ISO 4217 table has the well-known exponents', () => {
  const expected: Record<string, number> = {
    USD: 2, EUR: 2, JPY: 0, GBP: 2, CHF: 2, KRW: 0, BHD: 3, KWD: 3, JOD: 3, OMR: 3, TND: 3, CLP: 0, ISK: 0,
    VND: 0, UYW: 4, XAF: 0, XOF: 0, CNY: 2, INR: 2, BRL: 2,
  };
  for (const [code, exponent] of Object.entries(expected)) expect([code, ISO_4217_EXPONENTS[code]]).toEqual([code, exponent]);
  expect(Object.keys(ISO_4217_EXPONENTS).length).toBeGreaterThanOrEqual(40);
  for (const code of Object.keys(ISO_4217_EXPONENTS)) expect(code).toMatch(/^[A-Z]{3}$/);
});

test('crypto codes are not fiat codes', () => {
  for (const code of Object.keys(CRYPTO_ASSETS)) expect(isFiatCurrency(code)).toBe(false);
});

test('parseFiatCurrency is strict', () => {
  expect(parseFiatCurrency('JPY')).toBe('JPY');
  expect(fiatExponent(parseFiatCurrency('KWD'))).toBe(3);
  for (const bad of ['jpy', 'JPY ', 'XXX', 'BTC', '', 'toString', '__proto__', 1, null]) {
    expect(() => parseFiatCurrency(bad)).toThrow(InvalidCurrencyError);
  }
});

test('asset exponents and chains', () => {
  expect(assetExponent('BTC')).toBe(8);
  expect(assetExponent('LTC')).toBe(8);
  expect(assetExponent('ETH')).toBe(18);
  expect(assetExponent('USDC')).toBe(6);
  expect(assetExponent(parseFiatCurrency('JPY'))).toBe(0);
  expect(CRYPTO_ASSETS.USDC).toMatchObject({ chain: 'ethereum', kind: 'erc20' });
  expect(CRYPTO_ASSETS.LTC.chain).toBe('litecoin');
  expect(CRYPTO_ASSETS.BTC.chain).toBe('bitcoin');
  expect(isAssetCode('USDC')).toBe(true);
  expect(isAssetCode('EUR')).toBe(true);
  expect(isAssetCode('DOGE')).toBe(false);
});
