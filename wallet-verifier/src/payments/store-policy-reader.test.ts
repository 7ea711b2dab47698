import { DEFAULT_STORE_POLICY } from '@coinstile/core';
import { storePolicyFromJson } from './store-policy-reader';

test('reads the policy the gateway writes (threshold amounts as decimal strings)', () => {
  expect(
    storePolicyFromJson({
      speedPolicy: 'low_speed',
      perAssetSpeedPolicy: { LTC: 'medium_speed' },
      amountThresholds: [{ currency: 'JPY', aboveMinor: '100000', speedPolicy: 'low_speed' }],
      paymentTolerancePct: '0.5',
      expiryMinutes: 30,
      monitoringMinutes: 60,
      spreadBps: 100,
    }),
  ).toEqual({
    speedPolicy: 'low_speed',
    perAssetSpeedPolicy: { LTC: 'medium_speed' },
    amountThresholds: [{ currency: 'JPY', aboveMinor: 100_000n, speedPolicy: 'low_speed' }],
    paymentTolerancePct: '0.5',
    expiryMinutes: 30,
    monitoringMinutes: 60,
  });
});

test('missing fields take the defaults; unreadable ones the strictest value, never a laxer one', () => {
  expect(storePolicyFromJson({})).toEqual(DEFAULT_STORE_POLICY);
  expect(storePolicyFromJson(null)).toEqual(DEFAULT_STORE_POLICY);
  expect(
    storePolicyFromJson({
      speedPolicy: 'instant',
      perAssetSpeedPolicy: { BTC: 7 },
      amountThresholds: [{ currency: 'USD', aboveMinor: 'lots', speedPolicy: 'fast' }],
      paymentTolerancePct: '150',
    }),
  ).toMatchObject({
    speedPolicy: 'low_speed',
    perAssetSpeedPolicy: { BTC: 'low_speed' },
    amountThresholds: [{ currency: 'USD', aboveMinor: 0n, speedPolicy: 'low_speed' }],
    paymentTolerancePct: '0',
  });
});
