export * from './access-code';
export * from './shopper-account-service';
export * from './shopper-account-schemas';
export * from './shopper-accounts-router';
export * from './shopper-accounts-openapi';
