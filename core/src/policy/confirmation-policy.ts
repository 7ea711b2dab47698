import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';

/** BTCPay Server's speed policies, by name. */
export type SpeedPolicy = 'high_speed' | 'medium_speed' | 'low_medium_speed' | 'low_speed';

export const SPEED_POLICIES: readonly SpeedPolicy[] = ['high_speed', 'medium_speed', 'low_medium_speed', 'low_speed'];

export function isSpeedPolicy(value: unknown): value is SpeedPolicy {
  return typeof value === 'string' && (SPEED_POLICIES as readonly string[]).includes(value);
}

/**
 * "Above this fiat price, require at least this speed policy." Thresholds only ever raise the
 * confirmations required, never lower them.
 */
export interface AmountThreshold {
  /** The threshold applies only to checkouts priced in this currency: core converts no fiat to fiat. */
  readonly currency: FiatCurrency;
  /** Applies when the checkout price is strictly greater than this, in minor units. */
  readonly aboveMinor: bigint;
  readonly speedPolicy: SpeedPolicy;
}

export interface ConfirmationPolicy {
  /** The default for every asset. */
  readonly speedPolicy: SpeedPolicy;
  /** Per-asset replacements of the default (e.g. ETH needs more blocks than BTC for the same safety). */
  readonly perAssetSpeedPolicy?: Readonly<Partial<Record<CryptoAsset, SpeedPolicy>>>;
  readonly amountThresholds?: readonly AmountThreshold[];
}

/** What the required confirmations of one payment depend on. */
export interface ConfirmationContext {
  readonly asset: CryptoAsset;
  /** The checkout's price, the fiat value thresholds are evaluated on. */
  readonly priceMinor: bigint;
  readonly currency: FiatCurrency;
  /** The payment's transaction signals BIP-125 replace-by-fee. */
  readonly rbfSignalled: boolean;
}

/**
 * Confirmations one speed policy asks for. `high_speed` accepts a mempool transaction, unless it
 * signals RBF: such a transaction is trivially replaceable, so it must be mined once.
 */
export function confirmationsForSpeed(speed: SpeedPolicy, rbfSignalled: boolean): number {
  switch (speed) {
    case 'high_speed':
      return rbfSignalled ? 1 : 0;
    case 'medium_speed':
      return 1;
    case 'low_medium_speed':
      return 2;
    case 'low_speed':
      return 6;
  }
}

/**
 * Confirmations a payment needs before its checkout may settle: the asset's speed policy (its override,
 * else the default), raised by every amount threshold the checkout's price exceeds in the threshold's
 * currency. The strictest requirement wins.
 */
export function requiredConfirmations(policy: ConfirmationPolicy, context: ConfirmationContext): number {
  const base = policy.perAssetSpeedPolicy?.[context.asset] ?? policy.speedPolicy;
  let required = confirmationsForSpeed(base, context.rbfSignalled);
  for (const threshold of policy.amountThresholds ?? []) {
    if (threshold.currency === context.currency && context.priceMinor > threshold.aboveMinor) {
      required = Math.max(required, confirmationsForSpeed(threshold.speedPolicy, context.rbfSignalled));
    }
  }
  return required;
}
