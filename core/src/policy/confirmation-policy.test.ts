import { parseFiatCurrency } from '../money/fiat-currency';
import { type ConfirmationPolicy, confirmationsForSpeed, requiredConfirmations, type SpeedPolicy } from './confirmation-policy';

const JPY = parseFiatCurrency('JPY');
const USD = parseFiatCurrency('USD');

test.each<[SpeedPolicy, boolean, number]>([
  ['high_speed', false, 0],
  ['high_speed', true, 1],
  ['medium_speed', false, 1],
  ['medium_speed', true, 1],
  ['low_medium_speed', false, 2],
  ['low_medium_speed', true, 2],
  ['low_speed', false, 6],
  ['low_speed', true, 6],
])('%s rbf=%s → %i', (speed, rbf, n) => {
  expect(confirmationsForSpeed(speed, rbf)).toBe(n);
  expect(requiredConfirmations({ speedPolicy: speed }, { asset: 'BTC', priceMinor: 1n, currency: USD, rbfSignalled: rbf })).toBe(n);
});

const policy: ConfirmationPolicy = {
  speedPolicy: 'medium_speed',
  perAssetSpeedPolicy: { ETH: 'low_medium_speed', LTC: 'high_speed' },
  amountThresholds: [
    { currency: JPY, aboveMinor: 100_000n, speedPolicy: 'low_speed' },
    { currency: JPY, aboveMinor: 10_000n, speedPolicy: 'low_medium_speed' },
  ],
};

test('per-asset overrides replace the default', () => {
  const ctx = { priceMinor: 500n, currency: USD, rbfSignalled: false };
  expect(requiredConfirmations(policy, { ...ctx, asset: 'BTC' })).toBe(1);
  expect(requiredConfirmations(policy, { ...ctx, asset: 'ETH' })).toBe(2);
  expect(requiredConfirmations(policy, { ...ctx, asset: 'LTC' })).toBe(0);
  expect(requiredConfirmations(policy, { ...ctx, asset: 'LTC', rbfSignalled: true })).toBe(1);
  expect(requiredConfirmations(policy, { ...ctx, asset: 'USDC' })).toBe(1);
});

test('thresholds apply strictly above, in their own currency, and only raise', () => {
  const at = (priceMinor: bigint, asset: 'BTC' | 'LTC' = 'BTC', currency = JPY) =>
    requiredConfirmations(policy, { asset, priceMinor, currency, rbfSignalled: false });
  expect(at(10_000n)).toBe(1);
  expect(at(10_001n)).toBe(2);
  expect(at(100_000n)).toBe(2);
  expect(at(100_001n)).toBe(6);
  expect(at(100_001n, 'LTC')).toBe(6);
  expect(at(10_000_000n, 'BTC', USD)).toBe(1);
  const lenient: ConfirmationPolicy = {
    speedPolicy: 'low_speed',
    amountThresholds: [{ currency: JPY, aboveMinor: 0n, speedPolicy: 'high_speed' }],
  };
  expect(requiredConfirmations(lenient, { asset: 'BTC', priceMinor: 5n, currency: JPY, rbfSignalled: false })).toBe(6);
});
