export * from './domain-error';
export * from './api-errors';
export * from './domain-rule-errors';
export * from './error-body';
export * from './assert-never';
