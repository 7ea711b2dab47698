import { ValidationError } from '../errors/api-errors';
import {
  checkoutDeadlines,
  DEFAULT_STORE_POLICY,
  InvalidToleranceError,
  isPaidInFull,
  parseTolerancePct,
  validateStorePolicy,
} from './store-policy';

test('defaults: 15 minutes expiry, 24 hours monitoring, no tolerance', () => {
  expect(DEFAULT_STORE_POLICY).toMatchObject({ expiryMinutes: 15, monitoringMinutes: 1440, paymentTolerancePct: '0' });
  expect(validateStorePolicy(DEFAULT_STORE_POLICY)).toBe(DEFAULT_STORE_POLICY);
});

test.each([
  ['0', 0n, 1n],
  ['0.5', 5n, 10n],
  ['2', 2n, 1n],
  ['99.9999', 999_999n, 10_000n],
])('tolerance %s = %i/%i %%', (text, n, d) => {
  expect(parseTolerancePct(text)).toEqual({ numerator: n, denominator: d });
});

test.each([['100'], ['-1'], ['.5'], ['5.'], ['0.12345'], ['1e1'], [' 1'], ['01'], [0.5], ['']])('tolerance %p refused', (bad) => {
  expect(() => parseTolerancePct(bad)).toThrow(InvalidToleranceError);
});

test('paid in full at exactly the tolerance boundary, not one unit below', () => {
  const half = parseTolerancePct('0.5');
  // due 100000, 0.5 % → 99500 is the least amount paid in full.
  expect(isPaidInFull(99_500n, 100_000n, half)).toBe(true);
  expect(isPaidInFull(99_499n, 100_000n, half)).toBe(false);
  // Non-integral boundary: due 1001 at 0.5 % → 995.995, so 996 is needed.
  expect(isPaidInFull(995n, 1001n, half)).toBe(false);
  expect(isPaidInFull(996n, 1001n, half)).toBe(true);
  const none = parseTolerancePct('0');
  expect(isPaidInFull(100n, 100n, none)).toBe(true);
  expect(isPaidInFull(99n, 100n, none)).toBe(false);
});

test('validateStorePolicy refuses impossible windows and negative thresholds', () => {
  expect(() => validateStorePolicy({ ...DEFAULT_STORE_POLICY, expiryMinutes: 0 })).toThrow(ValidationError);
  expect(() => validateStorePolicy({ ...DEFAULT_STORE_POLICY, expiryMinutes: 1.5 })).toThrow(ValidationError);
  expect(() => validateStorePolicy({ ...DEFAULT_STORE_POLICY, monitoringMinutes: 0 })).toThrow(ValidationError);
  expect(() => validateStorePolicy({ ...DEFAULT_STORE_POLICY, paymentTolerancePct: '100' })).toThrow(InvalidToleranceError);
  expect(() =>
    validateStorePolicy({
      ...DEFAULT_STORE_POLICY,
      amountThresholds: [{ currency: 'JPY' as never, aboveMinor: -1n, speedPolicy: 'low_speed' }],
    }),
  ).toThrow(ValidationError);
});

test('deadlines: expiry after creation, monitoring after expiry', () => {
  const created = new Date('2026-01-01T00:00:00Z');
  expect(checkoutDeadlines(created, DEFAULT_STORE_POLICY)).toEqual({
    expiresAt: new Date('2026-01-01T00:15:00Z'),
    monitoringUntil: new Date('2026-01-02T00:15:00Z'),
  });
});
