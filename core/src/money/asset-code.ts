import { CRYPTO_ASSETS, type CryptoAsset, isCryptoAsset } from './crypto-asset';
import { type FiatCurrency, fiatExponent, isFiatCurrency } from './fiat-currency';

/** Anything an amount can be denominated in. Crypto and ISO 4217 codes never collide. */
export type AssetCode = CryptoAsset | FiatCurrency;

export function isAssetCode(value: unknown): value is AssetCode {
  return isCryptoAsset(value) || isFiatCurrency(value);
}

/** Digits after the point: 8 for BTC, 18 for ETH, 2 for USD, 0 for JPY. */
export function assetExponent(asset: AssetCode): number {
  return isCryptoAsset(asset) ? CRYPTO_ASSETS[asset].decimals : fiatExponent(asset);
}
