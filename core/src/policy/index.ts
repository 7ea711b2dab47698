export * from './confirmation-policy';
export * from './store-policy';
