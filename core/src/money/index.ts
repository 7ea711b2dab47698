export * from './crypto-asset';
export * from './fiat-currency';
export * from './asset-code';
export * from './amount';
export * from './rate';
