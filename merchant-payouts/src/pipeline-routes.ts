import { PIPELINE_QUEUES, type OutboxRouter } from '@coinstile/platform';

/**
 * Where each outbox event goes. Every event is offered to the webhook fan-out (it drops events no
 * endpoint subscribes to); `checkout.settled` also releases the order and schedules its payout.
 */
export const pipelineRoute: OutboxRouter = (entry) => {
  switch (entry.eventType) {
    case 'checkout.settled':
      return [PIPELINE_QUEUES.releaseOrder, PIPELINE_QUEUES.webhookFanout];
    default:
      return [PIPELINE_QUEUES.webhookFanout];
  }
};
