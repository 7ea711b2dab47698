export * from './voucher-pin';
export * from './voucher';
