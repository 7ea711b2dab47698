import { bullmqWorkerComponent, createWorker, PIPELINE_QUEUES, type OutboxEventBatchJob, type ServiceRuntime } from '@coinstile/platform';
import type { Worker } from 'bullmq';
import type { DeliveryPolicy } from './delivery-policy';
import { systemResolver, type HostResolver } from './ssrf-guard';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookStore } from './webhook-store';

export interface StartWebhookDeliveryOptions {
  readonly policy?: Partial<DeliveryPolicy>;
  /** Defaults to the runtime's `WEBHOOK_ALLOW_PRIVATE`. */
  readonly allowPrivateTargets?: boolean;
  readonly resolver?: HostResolver;
  /** Fan-out jobs (batches) at once; default 4. */
  readonly fanoutConcurrency?: number;
  /** Requests in flight at once; default 128. */
  readonly sendConcurrency?: number;
  readonly pollIntervalMs?: number;
  /** Fan-out job lock; default 30 s. */
  readonly lockDurationMs?: number;
  /** How often the fan-out worker looks for jobs whose worker died; default 30 s. */
  readonly stalledIntervalMs?: number;
}

export interface RunningWebhookDelivery {
  readonly dispatcher: WebhookDispatcher;
  readonly fanoutWorker: Worker<OutboxEventBatchJob, number>;
  readonly store: WebhookStore;
}

/**
 * Starts webhook delivery in this process: the `webhook-fanout` worker (a batch of outbox events → one
 * delivery row per event and subscribed endpoint of its store) and the Postgres-driven dispatcher, both registered with
 * `runtime.lifecycle`. Pass `dispatcher.wake` as the router's `onRedeliver`.
 */
export function startWebhookDelivery(runtime: ServiceRuntime, opts: StartWebhookDeliveryOptions = {}): RunningWebhookDelivery {
  const store = new WebhookStore(runtime.db, runtime.clock, runtime.random);
  const dispatcher = new WebhookDispatcher({
    store,
    logger: runtime.logger.child({ component: 'webhooks' }),
    ssrf: {
      allowPrivate: opts.allowPrivateTargets ?? runtime.config.webhookAllowPrivate,
      resolver: opts.resolver ?? systemResolver,
    },
    ...(opts.policy ? { policy: opts.policy } : {}),
    ...(opts.sendConcurrency === undefined ? {} : { concurrency: opts.sendConcurrency }),
    ...(opts.pollIntervalMs === undefined ? {} : { pollIntervalMs: opts.pollIntervalMs }),
  });
  dispatcher.start();
  runtime.lifecycle.register({ name: 'webhook-dispatcher', stop: () => dispatcher.stop() });
  const fanoutWorker = createWorker<OutboxEventBatchJob, number>(
    PIPELINE_QUEUES.webhookFanout,
    async (job) => {
      const created = await store.fanOutMany(job.data.events);
      // Even with no row created: events of these checkouts that waited for this fan-out may go now.
      dispatcher.wake();
      return created;
    },
    runtime.redisConnection('worker', 'webhook-fanout'),
    {
      logger: runtime.logger,
      concurrency: opts.fanoutConcurrency ?? 4,
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      // The fan-out is idempotent (one row per endpoint and event), so it may run again safely.
      maxStalledCount: 10,
    },
  );
  runtime.lifecycle.register(bullmqWorkerComponent(fanoutWorker));
  return { dispatcher, fanoutWorker, store };
}
