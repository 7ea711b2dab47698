import { assertNever } from '@coinstile/core';
import { join } from 'node:path';
import { CoinstileApiError, type CoinstileApiClient, type StoreView } from './coinstile-api-client';
import { demoDir, readJsonFile, writePrivateJsonFile } from './demo-files';
import type { DemoStoreWallets } from './demo-store-wallets';

export type DemoAsset = 'LTC' | 'ETH' | 'USDC';

export interface DemoStore {
  readonly storeId: string;
  /** Store API key with `checkouts:read`, `checkouts:write`, `payouts:read`. */
  readonly apiKey: string;
  readonly assets: readonly DemoAsset[];
  /** False when an earlier run's store was reused. */
  readonly created: boolean;
}

/** The demo store cannot be set up on this Coinstile. */
export class DemoSetupError extends Error {
  override readonly name = 'DemoSetupError';
}

interface SavedDemoStore {
  readonly storeId: string;
  readonly apiKey: string;
  readonly assets: readonly DemoAsset[];
}

const STORE_FILE = 'demo-store.json';
const API_KEY_SCOPES = ['checkouts:read', 'checkouts:write', 'payouts:read'] as const;

/** The demo store's wallets: `fresh` asks for new keys (the kept ones belong to a store this run cannot use). */
export type DemoWalletSource = (fresh: boolean) => DemoStoreWallets;

/**
 * The demo store of this Coinstile: the one an earlier run made (kept with its API key in
 * `<dataDir>/demo/demo-store.json`, mode 0600) when this Coinstile still has it (store ids are unique, so
 * another Coinstile answers 404) and it takes every asset wanted; else a new one with the demo wallets,
 * verified, with a new API key. When the kept wallets belong to a store that cannot be reused, new ones are made.
 */
export async function ensureDemoStore(
  operator: CoinstileApiClient,
  dataDir: string,
  wallets: DemoWalletSource,
  assets: readonly DemoAsset[],
): Promise<DemoStore> {
  const file = join(demoDir(dataDir), STORE_FILE);
  const saved = readJsonFile(file) as Partial<SavedDemoStore> | undefined;
  if (
    typeof saved?.storeId === 'string' &&
    typeof saved.apiKey === 'string' &&
    Array.isArray(saved.assets) &&
    assets.every((a) => saved.assets!.includes(a))
  ) {
    const store = await operator.getStore(saved.storeId).catch((err: unknown) => {
      if (err instanceof CoinstileApiError && err.status === 404) return undefined;
      throw err;
    });
    if (store !== undefined) {
      if (store.status === 'pending_verification') await operator.verifyStore(store.id);
      return { storeId: store.id, apiKey: saved.apiKey, assets, created: false };
    }
  }

  let store;
  try {
    store = await createStore(operator, wallets(false), assets).catch((err: unknown) => {
      if (!(err instanceof CoinstileApiError && err.code === 'wallet_in_use')) throw err;
      return createStore(operator, wallets(true), assets);
    });
  } catch (err) {
    if (err instanceof CoinstileApiError && err.status === 400 && /network|usdc/i.test(`${err.code} ${err.message}`)) {
      throw new DemoSetupError(
        `Coinstile refused the demo store's regtest wallets (${err.code}: ${err.message}). ` +
          'The demo needs Coinstile on the regtest chains: start it without LTC_RPC_URL/ETH_RPC_URL (embedded chains) ' +
          'or with LTC_NETWORK=regtest and a Hardhat node with USDC_CONTRACT.',
      );
    }
    throw err;
  }
  await operator.verifyStore(store.id);
  const { key } = await operator.createApiKey(store.id, API_KEY_SCOPES);
  writePrivateJsonFile(file, { storeId: store.id, apiKey: key, assets } satisfies SavedDemoStore);
  return { storeId: store.id, apiKey: key, assets, created: true };
}

function createStore(operator: CoinstileApiClient, wallets: DemoStoreWallets, assets: readonly DemoAsset[]): Promise<StoreView> {
  const walletFor = (asset: DemoAsset): { xpub: string } => {
    switch (asset) {
      case 'LTC':
        return { xpub: wallets.ltcTpub };
      case 'ETH':
        return { xpub: wallets.ethXpub };
      case 'USDC':
        return { xpub: wallets.usdcXpub };
      default:
        return assertNever(asset, 'demo asset');
    }
  };
  return operator.createStore({
    name: 'Coinstile Demo Tea House',
    payoutCurrency: 'USD',
    payoutAccount: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Coinstile Demo Tea House' },
    wallets: Object.fromEntries(assets.map((a) => [a, walletFor(a)])),
    // Two confirmations: each checkout is seen on chain before it settles.
    policy: { speedPolicy: 'low_medium_speed', expiryMinutes: 30 },
  });
}
