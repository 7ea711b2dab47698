import { makeId, type CheckoutId, type PaymentId, type StoreId } from '../../ids/id';
import { parseFiatCurrency } from '../../money/fiat-currency';
import { parseRate } from '../../money/rate';
import { DEFAULT_STORE_POLICY, type StorePolicy } from '../../policy/store-policy';
import type { Checkout } from '../checkout';
import type { Payment } from '../payment';

export const T0 = Date.parse('2026-03-01T10:00:00Z');
export const MIN = 60_000;
export const EXPIRES = T0 + 15 * MIN;
export const MONITORING_UNTIL = EXPIRES + 1440 * MIN;
export const at = (ms: number): Date => new Date(ms);

export const JPY = parseFiatCurrency('JPY');
export const CHECKOUT_ID: CheckoutId = makeId('co', T0, new Uint8Array(10).fill(1));
export const STORE_ID: StoreId = makeId('st', T0, new Uint8Array(10).fill(2));

export const POLICY: StorePolicy = { ...DEFAULT_STORE_POLICY, speedPolicy: 'medium_speed', paymentTolerancePct: '0.5' };

export const DUE = 100_000n;

export function checkout(overrides: Partial<Checkout> = {}): Checkout {
  return {
    id: CHECKOUT_ID,
    storeId: STORE_ID,
    orderId: 'A-1042',
    priceMinor: 4980n,
    currency: JPY,
    asset: 'BTC',
    address: 'bcrt1qexampleaddress',
    amountDueBase: DUE,
    quoteId: makeId('qt', T0, new Uint8Array(10).fill(3)),
    rate: parseRate('4980000'),
    quoteExpiresAt: at(EXPIRES),
    status: 'new',
    exception: 'none',
    invalidReason: null,
    amountPaidBase: 0n,
    countedPaymentIds: [],
    reversedPaymentIds: [],
    version: 1,
    createdAt: at(T0),
    expiresAt: at(EXPIRES),
    monitoringUntil: at(MONITORING_UNTIL),
    settledAt: null,
    ...overrides,
  };
}

let serial = 0;
export function paymentId(n: number): PaymentId {
  const bytes = new Uint8Array(10);
  bytes[9] = n;
  return makeId('pay', T0 + n, bytes);
}

export function payment(amountBase: bigint, overrides: Partial<Payment> = {}): Payment {
  serial += 1;
  return {
    id: paymentId(serial),
    checkoutId: CHECKOUT_ID,
    asset: 'BTC',
    txid: `tx${serial}`.padEnd(64, '0'),
    outputIndex: 0,
    amountBase,
    confirmations: 0,
    rbfSignalled: false,
    firstSeenAt: at(T0 + MIN),
    state: 'pending',
    ...overrides,
  };
}
