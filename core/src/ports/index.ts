export * from './clock';
export * from './random-source';
export * from './outbox-writer';
export * from './checkout-repository';
export * from './ledger-repository';
export * from './quote-service';
export * from './payout-provider';
