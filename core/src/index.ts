export * from './errors';
export * from './ids';
export * from './money';
export * from './policy';
export * from './checkout';
export * from './ledger';
export * from './ports';
