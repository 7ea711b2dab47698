export * from './checkout';
export * from './payment';
export * from './checkout-event';
export { evaluate, type Transition } from './evaluate';
export * from './cancel';
export * from './quote';
export * from './create-checkout';
