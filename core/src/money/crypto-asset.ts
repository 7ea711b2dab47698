/** A chain Coinstile watches. USDC lives on `ethereum` as an ERC-20 token. */
export type Chain = 'bitcoin' | 'litecoin' | 'ethereum';

export type CryptoAsset = 'BTC' | 'LTC' | 'ETH' | 'USDC';

export interface CryptoAssetInfo {
  readonly code: CryptoAsset;
  /** Digits after the point of one major unit: 1 BTC = 10^8 sats. */
  readonly decimals: number;
  readonly chain: Chain;
  /** `native` is the chain's own coin; `erc20` a token contract on an EVM chain. */
  readonly kind: 'native' | 'erc20';
}

export const CRYPTO_ASSETS: Readonly<Record<CryptoAsset, CryptoAssetInfo>> = {
  BTC: { code: 'BTC', decimals: 8, chain: 'bitcoin', kind: 'native' },
  LTC: { code: 'LTC', decimals: 8, chain: 'litecoin', kind: 'native' },
  ETH: { code: 'ETH', decimals: 18, chain: 'ethereum', kind: 'native' },
  USDC: { code: 'USDC', decimals: 6, chain: 'ethereum', kind: 'erc20' },
};

export const CRYPTO_ASSET_CODES: readonly CryptoAsset[] = ['BTC', 'LTC', 'ETH', 'USDC'];

export function isCryptoAsset(value: unknown): value is CryptoAsset {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CRYPTO_ASSETS, value);
}

export function cryptoAssetInfo(asset: CryptoAsset): CryptoAssetInfo {
  return CRYPTO_ASSETS[asset];
}
