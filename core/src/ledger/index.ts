export * from './posting';
export * from './accounts';
export * from './posting-builders';
export * from './balances';
