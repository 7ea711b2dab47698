import { startPayouts } from '@coinstile/merchant-payouts';
import { startLitecoind, type LitecoinRegtest } from '@coinstile/testkit';
import { startVerifier } from '@coinstile/wallet-verifier';
import { startWebhookReceiver, type WebhookReceiver } from '../../../merchant-payouts/test/support/pipeline-fixtures';
import { startWebhookDelivery } from '../../src';
import { type GatewayHarness, type HarnessOptions, startHarness } from './gateway-harness';

/** The gateway with the verifier, the settlement pipeline and webhook delivery on litecoind regtest, and a store webhook receiver. */
export interface RegtestStack {
  readonly node: LitecoinRegtest;
  readonly h: GatewayHarness;
  readonly receiver: WebhookReceiver;
  stop(): Promise<void>;
}

/**
 * Starts what an end-to-end payment test needs, as `npm start` composes it: litecoind regtest, the gateway
 * harness on it (rate limits out of the way), the verifier, the pipeline and webhook delivery polling
 * quickly, and a local receiver for the store's webhooks. `stop` stops all of it.
 */
export async function startRegtestStack(options: HarnessOptions = {}): Promise<RegtestStack> {
  const [node, receiver] = await Promise.all([startLitecoind(), startWebhookReceiver()]);
  let h: GatewayHarness | undefined;
  try {
    h = await startHarness({
      rateLimits: { key: 1_000_000, operator: 1_000_000, ip: 1_000_000 },
      ...options,
      env: { LTC_RPC_URL: node.rpcUrl, LTC_NETWORK: 'regtest', WEBHOOK_ALLOW_PRIVATE: 'true', ...options.env },
    });
    await startVerifier(h.runtime, { service: { pollIntervalMs: 100 } });
    startPayouts(h.runtime, { relayPollIntervalMs: 50 });
    startWebhookDelivery(h.runtime, { allowPrivateTargets: true, pollIntervalMs: 100 });
  } catch (err) {
    await h?.stop();
    await Promise.allSettled([node.stop(), receiver.close()]);
    throw err;
  }
  const harness = h;
  return {
    node,
    h: harness,
    receiver,
    async stop() {
      await harness.stop();
      await Promise.allSettled([node.stop(), receiver.close()]);
    },
  };
}
