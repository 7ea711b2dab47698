import { type CryptoAsset, type FiatCurrency, fiatExponent, formatAmount } from '@coinstile/core';
import { intlTag, type Locale } from './locale';

/**
 * A fiat price for people, in the page's language: `$12.50`, `¥4,980`, `￥4,980` (ja). Exact: the minor
 * units go to `Intl` as a decimal string, never through a float, with exactly the currency's ISO 4217
 * digits (JPY none, USD two).
 */
export function formatFiat(priceMinor: bigint, currency: FiatCurrency, locale: Locale): string {
  const digits = fiatExponent(currency);
  const decimal = formatAmount(priceMinor, currency) as `${number}`;
  return new Intl.NumberFormat(intlTag(locale), {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(decimal);
}

/**
 * A crypto amount as wallets take it: the exact decimal in major units, no grouping (so what is read is
 * what is copied), then the asset code.
 */
export function formatCrypto(amountBase: bigint, asset: CryptoAsset): string {
  return `${formatAmount(amountBase, asset)} ${asset}`;
}

/** `m:ss` or `h:mm:ss` for a countdown; the client script formats the same way. */
export function formatCountdown(remainingMs: number): string {
  const total = Math.max(0, Math.ceil(remainingMs / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${ss}` : `${minutes}:${ss}`;
}
