import type { PayoutTerms } from './payout-terms';
import {
  type AmountThreshold,
  type EscrowPolicy,
  escrowPolicyFromJson,
  type CryptoAsset,
  type FiatCurrency,
  type SpeedPolicy,
  type StoreId,
  type StorePolicy,
} from '@coinstile/core';
import type { FxSourceName } from '@coinstile/platform';
import type { ReceivingWallet } from '@coinstile/wallet-verifier';
import type { PayoutAccount } from '../payout-accounts';

/** `pending_verification` until the operator verifies it; only `active` stores open checkouts. */
export type StoreStatus = 'pending_verification' | 'active' | 'suspended';

/** A store's policy: core's checkout rules plus the mall's FX rules for it. */
export interface GatewayStorePolicy extends StorePolicy {
  readonly spreadBps: number;
  /** Rate sources this store's quotes are priced from; absent: every configured source. */
  readonly fxPreferredSources?: readonly FxSourceName[];
  /** Sources added when the preferred ones alone give no fresh rate. */
  readonly fxFallbackSources?: readonly FxSourceName[];
  /** Escrow until acceptance (absent: core's `DEFAULT_ESCROW_POLICY`). */
  readonly escrow?: EscrowPolicy;
}

export const DEFAULT_SPREAD_BPS = 0;

export interface Store {
  readonly id: StoreId;
  readonly name: string;
  readonly status: StoreStatus;
  readonly payoutCurrency: FiatCurrency;
  readonly payoutAccount: PayoutAccount;
  /** Receiving wallets by asset (validated for the configured network when stored). */
  readonly wallets: Readonly<Partial<Record<CryptoAsset, ReceivingWallet>>>;
  readonly policy: GatewayStorePolicy;
  /** The mall's fee and the payout schedule. */
  readonly payoutTerms: PayoutTerms;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * The `stores.policy` jsonb as written by the gateway (and read by the other services): amounts as decimal
 * strings of minor units, everything else as in `GatewayStorePolicy`.
 */
export interface StoredPolicyJson {
  readonly speedPolicy: SpeedPolicy;
  readonly perAssetSpeedPolicy?: Partial<Record<CryptoAsset, SpeedPolicy>>;
  readonly amountThresholds?: readonly { currency: string; aboveMinor: string; speedPolicy: SpeedPolicy }[];
  readonly paymentTolerancePct: string;
  readonly expiryMinutes: number;
  readonly monitoringMinutes: number;
  readonly spreadBps: number;
  readonly fxPreferredSources?: readonly FxSourceName[];
  readonly fxFallbackSources?: readonly FxSourceName[];
  readonly escrow?: EscrowPolicy;
}

export function policyToJson(policy: GatewayStorePolicy): StoredPolicyJson {
  return {
    speedPolicy: policy.speedPolicy,
    ...(policy.perAssetSpeedPolicy ? { perAssetSpeedPolicy: { ...policy.perAssetSpeedPolicy } } : {}),
    ...(policy.amountThresholds
      ? {
          amountThresholds: policy.amountThresholds.map((t) => ({ currency: t.currency, aboveMinor: t.aboveMinor.toString(), speedPolicy: t.speedPolicy })),
        }
      : {}),
    paymentTolerancePct: policy.paymentTolerancePct,
    expiryMinutes: policy.expiryMinutes,
    monitoringMinutes: policy.monitoringMinutes,
    spreadBps: policy.spreadBps,
    ...(policy.fxPreferredSources ? { fxPreferredSources: [...policy.fxPreferredSources] } : {}),
    ...(policy.fxFallbackSources ? { fxFallbackSources: [...policy.fxFallbackSources] } : {}),
    ...(policy.escrow ? { escrow: { ...policy.escrow } } : {}),
  };
}

export function policyFromJson(json: StoredPolicyJson): GatewayStorePolicy {
  return {
    speedPolicy: json.speedPolicy,
    ...(json.perAssetSpeedPolicy ? { perAssetSpeedPolicy: json.perAssetSpeedPolicy } : {}),
    ...(json.amountThresholds
      ? {
          amountThresholds: json.amountThresholds.map(
            (t): AmountThreshold => ({ currency: t.currency as FiatCurrency, aboveMinor: BigInt(t.aboveMinor), speedPolicy: t.speedPolicy }),
          ),
        }
      : {}),
    paymentTolerancePct: json.paymentTolerancePct,
    expiryMinutes: json.expiryMinutes,
    monitoringMinutes: json.monitoringMinutes,
    spreadBps: json.spreadBps ?? DEFAULT_SPREAD_BPS,
    ...(json.fxPreferredSources ? { fxPreferredSources: json.fxPreferredSources } : {}),
    ...(json.fxFallbackSources ? { fxFallbackSources: json.fxFallbackSources } : {}),
    ...(json.escrow ? { escrow: escrowPolicyFromJson(json.escrow) } : {}),
  };
}
