export * from './escrow-hold';
export * from './decide-escrow';
export * from './escrow-policy';
export * from './refund-destination';
