export * from './config';
export * from './db';
export * from './http';
export * from './lifecycle';
export * from './logging';
export * from './metrics';
export * from './redis';
