import { parseFiatCurrency } from '@coinstile/core';
import { formatCountdown, formatCrypto, formatFiat } from './format';

describe('formatFiat', () => {
  it.each([
    [4980n, 'JPY', 'en', '¥4,980'],
    [4980n, 'JPY', 'ja', '￥4,980'],
    [1250n, 'USD', 'en', '$12.50'],
    [1250n, 'USD', 'ja', '$12.50'],
    [5n, 'EUR', 'en', '€0.05'],
    [100n, 'KWD', 'en', 'KWD 0.100'],
    // Beyond a double's precision: still exact, as the decimal string goes to Intl.
    [9_007_199_254_740_993n, 'USD', 'en', '$90,071,992,547,409.93'],
  ])('%p minor units of %s in %s → %s', (minor, currency, locale, expected) => {
    expect(formatFiat(minor, parseFiatCurrency(currency), locale as 'en' | 'ja').replace(/\u00a0/g, ' ')).toBe(expected);
  });
});

describe('formatCrypto', () => {
  it('writes the exact amount wallets take, without grouping', () => {
    expect(formatCrypto(55_312n, 'BTC')).toBe('0.00055312 BTC');
    expect(formatCrypto(1_234_567_000_000_000_000_000n, 'ETH')).toBe('1234.567 ETH');
    expect(formatCrypto(1n, 'USDC')).toBe('0.000001 USDC');
  });
});

describe('formatCountdown', () => {
  it.each([
    [0, '0:00'],
    [-5_000, '0:00'],
    [1, '0:01'],
    [59_001, '1:00'],
    [15 * 60_000, '15:00'],
    [3_600_000 + 61_000, '1:01:01'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatCountdown(ms)).toBe(text);
  });
});
