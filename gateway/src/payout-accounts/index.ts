export * from './payout-account-error';
export * from './iban';
export * from './bic';
export * from './holder-name';
export * from './jp-zengin';
export * from './payout-account';
