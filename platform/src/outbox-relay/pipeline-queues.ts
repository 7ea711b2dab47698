/**
 * Names of the queues the outbox feeds, shared by the producers (the relay's routes) and the workers,
 * which may live in different workspaces and processes.
 */
export const PIPELINE_QUEUES = {
  /** `checkout.settled` → release the order once and schedule its one payout. */
  releaseOrder: 'release-order',
  /** Store-facing events → one webhook delivery row per subscribed endpoint (jobs carry a batch of events). */
  webhookFanout: 'webhook-fanout',
} as const;

export type PipelineQueueName = (typeof PIPELINE_QUEUES)[keyof typeof PIPELINE_QUEUES];
