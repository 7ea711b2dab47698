export * from './id';
export * from './next-id';
