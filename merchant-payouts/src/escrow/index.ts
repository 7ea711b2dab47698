export * from './escrow-service';
export * from './escrow-errors';
export * from './escrow-events';
export * from './escrow-links';
export * from './escrow-sweeper';
