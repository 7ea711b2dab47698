export * from './escrow-hold';
export * from './decide-escrow';
