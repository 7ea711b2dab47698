import {
  DEFAULT_STORE_POLICY,
  isSpeedPolicy,
  parseTolerancePct,
  type AmountThreshold,
  type CryptoAsset,
  type FiatCurrency,
  type SpeedPolicy,
  type StorePolicy,
} from '@coinstile/core';

/**
 * A store's policy from its `stores.policy` jsonb (as the gateway writes it: threshold amounts as decimal
 * strings). Read defensively: a field that does not parse falls back to the **strictest** value, never to
 * a laxer one — an order must not be released on fewer confirmations than the store asked for.
 */
export function storePolicyFromJson(json: unknown): StorePolicy {
  const o = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const strictest: SpeedPolicy = 'low_speed';
  const speed = (value: unknown, fallback: SpeedPolicy): SpeedPolicy => (isSpeedPolicy(value) ? value : fallback);
  const speedPolicy = o['speedPolicy'] === undefined ? DEFAULT_STORE_POLICY.speedPolicy : speed(o['speedPolicy'], strictest);

  let perAssetSpeedPolicy: Partial<Record<CryptoAsset, SpeedPolicy>> | undefined;
  const perAsset = o['perAssetSpeedPolicy'];
  if (perAsset !== null && typeof perAsset === 'object') {
    perAssetSpeedPolicy = {};
    for (const [asset, value] of Object.entries(perAsset)) perAssetSpeedPolicy[asset as CryptoAsset] = speed(value, strictest);
  }

  let amountThresholds: AmountThreshold[] | undefined;
  if (Array.isArray(o['amountThresholds'])) {
    amountThresholds = [];
    for (const t of o['amountThresholds'] as unknown[]) {
      const r = (t ?? {}) as Record<string, unknown>;
      let aboveMinor = 0n;
      try {
        aboveMinor = BigInt(String(r['aboveMinor']));
      } catch {
        // An unreadable threshold applies from zero: the strict side.
      }
      amountThresholds.push({ currency: String(r['currency']) as FiatCurrency, aboveMinor, speedPolicy: speed(r['speedPolicy'], strictest) });
    }
  }

  let paymentTolerancePct = DEFAULT_STORE_POLICY.paymentTolerancePct;
  try {
    parseTolerancePct(o['paymentTolerancePct']);
    paymentTolerancePct = o['paymentTolerancePct'] as string;
  } catch {
    // No tolerance is the strict side.
  }
  const minutes = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback);
  return {
    speedPolicy,
    ...(perAssetSpeedPolicy ? { perAssetSpeedPolicy } : {}),
    ...(amountThresholds ? { amountThresholds } : {}),
    paymentTolerancePct,
    expiryMinutes: minutes(o['expiryMinutes'], DEFAULT_STORE_POLICY.expiryMinutes),
    monitoringMinutes: minutes(o['monitoringMinutes'], DEFAULT_STORE_POLICY.monitoringMinutes),
  };
}
