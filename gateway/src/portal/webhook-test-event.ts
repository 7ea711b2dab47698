import { type Clock, nextId, type RandomSource, type StoreId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { webhookBody } from '../webhooks/webhook-store';
import { webhookKysely } from '../webhooks/webhook-schema';
import type { WebhookEndpointView } from '../webhooks/webhook-views';

/** The event type of a test delivery; stores can recognise and ignore it. */
export const TEST_EVENT_TYPE = 'webhook.test';

/**
 * Queues one `webhook.test` delivery to `endpoint` (already checked to be the store's): signed and
 * retried like any event, listed with the endpoint's deliveries. Its ordering key is its own, so it
 * neither waits for nor holds up the endpoint's real events.
 */
export async function queueTestEvent(db: Database, clock: Clock, random: RandomSource, storeId: StoreId, endpoint: WebhookEndpointView): Promise<string> {
  const now = clock.now();
  const id = nextId('whd', clock, random);
  const eventId = nextId('evt', clock, random);
  const body = webhookBody({
    eventId,
    eventType: TEST_EVENT_TYPE,
    aggregateType: 'webhook_endpoint',
    aggregateId: endpoint.id,
    sequence: '0',
    payload: { storeId, endpointId: endpoint.id, test: true },
    createdAt: now.toISOString(),
  });
  await webhookKysely(db)
    .insertInto('webhook_deliveries')
    .values({
      id,
      endpoint_id: endpoint.id,
      store_id: storeId,
      event_id: eventId,
      event_type: TEST_EVENT_TYPE,
      sequence: '0',
      ordering_key: `test:${id}`,
      body,
      attempts: 0,
      status: 'pending',
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}
