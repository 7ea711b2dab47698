/*
 * One pipeline worker process for the fault test: the service runtime, the settlement pipeline (relay,
 * workers, sweeper) and webhook delivery, configured from the environment like a real deployment. The
 * parent kills it with SIGKILL at random; it exits by itself if the parent goes away.
 */
import { createServiceRuntime, loadConfig } from '@coinstile/platform';
import { startWebhookDelivery } from '../../../gateway/src/webhooks';
import { startPayouts } from '../../src';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { cwd: process.env['COINSTILE_DATA_DIR'] ?? process.cwd() });
  const runtime = await createServiceRuntime(config, { service: `fault-worker-${process.pid}`, migrate: false });
  startPayouts(runtime, {
    concurrency: 8,
    relayPollIntervalMs: 50,
    lockDurationMs: 4_000,
    stalledIntervalMs: 2_000,
    sweepIntervalMs: 2_000,
    sweepGraceMs: 4_000,
  });
  startWebhookDelivery(runtime, {
    pollIntervalMs: 100,
    lockDurationMs: 4_000,
    stalledIntervalMs: 2_000,
    policy: { baseDelayMs: 200, maxDelayMs: 2_000, timeoutMs: 3_000, disableAfterConsecutiveFailures: 1_000_000 },
  });
  process.send?.({ ready: true });
}

process.on('disconnect', () => process.exit(0));
main().catch((err: unknown) => {
  console.error('fault worker failed to start', err);
  process.exit(1);
});
