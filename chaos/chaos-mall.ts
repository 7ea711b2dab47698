import { HDNodeWallet } from 'ethers';
import type { SpeedPolicy } from '@coinstile/core';
import { CoinstileApiClient, CoinstileApiError, CoinstileUnreachableError, type CheckoutView } from '../cli/src/demo/coinstile-api-client';
import { asTestNetworkKey } from '../cli/src/demo/demo-store-wallets';
import type { SeededRandom } from './seeded-random';
import { sleep } from './serial-queue';

export type ChaosAsset = 'LTC' | 'ETH' | 'USDC';

/** A store of the run: `double-spend` takes only the payments the run double-spends (6 confirmations). */
export interface ChaosStore {
  readonly id: string;
  readonly role: 'regular' | 'double-spend';
  readonly speedPolicy: SpeedPolicy;
  readonly apiKey: string;
  readonly webhookEndpointId: string;
  readonly webhookSecret: string;
}

export interface CreatedCheckout {
  readonly id: string;
  readonly storeId: string;
  readonly asset: ChaosAsset;
  readonly address: string;
  /** In the asset's major unit, as the API gives it. */
  readonly amountDue: string;
}

const STORE_PLAN: readonly { role: ChaosStore['role']; speedPolicy: SpeedPolicy }[] = [
  { role: 'regular', speedPolicy: 'medium_speed' },
  { role: 'regular', speedPolicy: 'medium_speed' },
  { role: 'regular', speedPolicy: 'low_medium_speed' },
  { role: 'double-spend', speedPolicy: 'low_speed' },
];

const CATALOGUE_PRICES_MINOR = [990, 1250, 1800, 2400, 3200, 4500, 6800] as const;

/**
 * The mall as its users drive it over the public API: the operator creates and verifies stores (each with
 * its own LTC, ETH and USDC keys) and gives each an API key; each store registers its webhook endpoint;
 * stores create checkouts through either gateway. Calls that meet a dead gateway (killed, restarting, a
 * 5xx while its database restarts, 429) go to the other one with the same Idempotency-Key, as a shop's
 * retrying client would.
 */
export class ChaosMall {
  readonly apiErrors = new Map<string, number>();
  readonly stores: ChaosStore[] = [];

  constructor(
    private readonly gatewayUrls: readonly string[],
    private readonly operatorToken: string,
    private readonly random: SeededRandom,
  ) {}

  async createStores(webhookUrl: string): Promise<void> {
    const operator = new CoinstileApiClient(this.gatewayUrls[0]!, this.operatorToken);
    for (const [i, plan] of STORE_PLAN.entries()) {
      const root = HDNodeWallet.fromSeed(this.random.bytes(32));
      const store = await operator.createStore({
        name: `Chaos Tea House ${i + 1}`,
        payoutCurrency: 'USD',
        payoutAccount: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: `Chaos Tea House ${i + 1}` },
        wallets: {
          LTC: { xpub: asTestNetworkKey(root.derivePath("m/84'/1'/0'").neuter().extendedKey) },
          ETH: { xpub: root.derivePath("m/44'/60'/0'/0").neuter().extendedKey },
          USDC: { xpub: root.derivePath("m/44'/60'/1'/0").neuter().extendedKey },
        },
        policy: { speedPolicy: plan.speedPolicy, expiryMinutes: 60 },
      });
      await operator.verifyStore(store.id);
      const { key } = await operator.createApiKey(store.id, ['checkouts:read', 'checkouts:write', 'payouts:read', 'webhooks:write']);
      const endpoint = await this.#createWebhook(key, webhookUrl);
      this.stores.push({ id: store.id, role: plan.role, speedPolicy: plan.speedPolicy, apiKey: key, webhookEndpointId: endpoint.id, webhookSecret: endpoint.secret });
    }
  }

  regularStores(): ChaosStore[] {
    return this.stores.filter((s) => s.role === 'regular');
  }

  doubleSpendStore(): ChaosStore {
    const store = this.stores.find((s) => s.role === 'double-spend');
    if (store === undefined) throw new Error('no double-spend store');
    return store;
  }

  /**
   * A checkout for a random order through a random gateway, failing over until `deadlineMs`. Undefined when
   * the API refused it (a 4xx other than 409/429) or no gateway took it in time.
   */
  async createCheckout(store: ChaosStore, asset: ChaosAsset, orderId: string, deadlineMs: number): Promise<CreatedCheckout | undefined> {
    const priceMinor = this.random.pick(CATALOGUE_PRICES_MINOR) * this.random.int(1, 3);
    const amount = `${Math.floor(priceMinor / 100)}.${String(priceMinor % 100).padStart(2, '0')}`;
    const body = {
      orderId,
      amount,
      currency: 'USD',
      asset,
      items: [{ name: 'Chaos order', quantity: 1, unitPrice: amount, sku: 'CHAOS-1' }],
      metadata: { source: 'coinstile chaos' },
    };
    let gateway = this.random.int(0, this.gatewayUrls.length - 1);
    for (;;) {
      const api = new CoinstileApiClient(this.gatewayUrls[gateway]!, store.apiKey, 10_000);
      let checkout: CheckoutView;
      try {
        checkout = await api.createCheckout(body, `chaos-${orderId}`);
      } catch (err) {
        const retry = this.#retryable(err);
        if (!retry || Date.now() > deadlineMs) return undefined;
        gateway = (gateway + 1) % this.gatewayUrls.length;
        await sleep(250);
        continue;
      }
      if (checkout.payment === null) {
        this.#count('201 without payment instructions');
        return undefined;
      }
      return { id: checkout.id, storeId: store.id, asset, address: checkout.payment.address, amountDue: checkout.payment.amountDue };
    }
  }

  /** Counts the failure; true when another try (maybe on the other gateway) may succeed. */
  #retryable(err: unknown): boolean {
    if (err instanceof CoinstileUnreachableError) {
      this.#count('unreachable');
      return true;
    }
    if (err instanceof CoinstileApiError) {
      this.#count(`${err.status} ${err.code}`);
      return err.status >= 500 || err.status === 409 || err.status === 429;
    }
    throw err;
  }

  #count(key: string): void {
    this.apiErrors.set(key, (this.apiErrors.get(key) ?? 0) + 1);
  }

  async #createWebhook(apiKey: string, url: string): Promise<{ id: string; secret: string }> {
    const response = await fetch(`${this.gatewayUrls[0]}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url, description: 'chaos receiver' }),
    });
    const body = (await response.json()) as { id?: string; secret?: string };
    if (response.status !== 201 || body.id === undefined || body.secret === undefined) {
      throw new Error(`POST /v1/webhooks answered ${response.status}: ${JSON.stringify(body)}`);
    }
    return { id: body.id, secret: body.secret };
  }
}
