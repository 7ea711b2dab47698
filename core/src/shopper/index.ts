export * from './shopper-account';
export * from './shopper-errors';
export * from './credit-level';
export * from './top-up-repayment';
export * from './shopper-ledger-accounts';
export * from './shopper-postings';
export * from './shopper-events';
export * from './refund-to-balance';
