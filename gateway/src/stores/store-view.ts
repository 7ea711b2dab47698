import { DEFAULT_ESCROW_POLICY, formatAmount } from '@coinstile/core';
import { payoutTermsView } from './payout-terms';
import type { GatewayStorePolicy, Store } from './store';

export function policyView(policy: GatewayStorePolicy): Record<string, unknown> {
  return {
    speedPolicy: policy.speedPolicy,
    perAssetSpeedPolicy: policy.perAssetSpeedPolicy ?? {},
    amountThresholds: (policy.amountThresholds ?? []).map((t) => ({
      currency: t.currency,
      above: formatAmount(t.aboveMinor, t.currency),
      speedPolicy: t.speedPolicy,
    })),
    paymentTolerancePct: policy.paymentTolerancePct,
    expiryMinutes: policy.expiryMinutes,
    monitoringMinutes: policy.monitoringMinutes,
    spreadBps: policy.spreadBps,
    fxPreferredSources: policy.fxPreferredSources ?? [],
    fxFallbackSources: policy.fxFallbackSources ?? [],
    escrow: policy.escrow ?? DEFAULT_ESCROW_POLICY,
  };
}

/** A store as the API returns it. Wallets show their public keys (never anything secret: none is stored). */
export function storeView(store: Store): Record<string, unknown> {
  const wallets: Record<string, unknown> = {};
  for (const [asset, wallet] of Object.entries(store.wallets)) {
    if (!wallet) continue;
    wallets[asset] =
      wallet.kind === 'p2wpkh'
        ? { kind: wallet.kind, chain: wallet.chain, network: wallet.network, extendedPublicKey: wallet.extendedPublicKey, descriptor: wallet.descriptor }
        : { kind: wallet.kind, chain: wallet.chain, extendedPublicKey: wallet.extendedPublicKey };
  }
  return {
    id: store.id,
    object: 'store',
    name: store.name,
    status: store.status,
    payoutCurrency: store.payoutCurrency,
    payoutAccount: store.payoutAccount,
    wallets,
    policy: policyView(store.policy),
    payoutTerms: payoutTermsView(store.payoutTerms, store.payoutCurrency),
    createdAt: store.createdAt.toISOString(),
    updatedAt: store.updatedAt.toISOString(),
  };
}
