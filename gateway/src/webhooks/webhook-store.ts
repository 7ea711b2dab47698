import { NotFoundError, nextId, parseId, ValidationError, type Clock, type RandomSource, type StoreId } from '@coinstile/core';
import type { Database, OutboxEventJob } from '@coinstile/platform';
import { sql, type Selectable } from 'kysely';
import type { DeliveryPolicy } from './delivery-policy';
import { retryDelayMs } from './delivery-policy';
import type { WebhookAttemptResult } from './webhook-sender';
import { webhookKysely, type WebhookDB } from './webhook-schema';
import type { WebhookAttemptView, WebhookDeliveryView, WebhookEndpointView } from './webhook-views';

/** A delivery claimed for sending, with what is needed to send it. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly endpointId: string;
  readonly storeId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly body: string;
  /** Attempts made before this one. */
  readonly attempts: number;
  readonly createdAt: Date;
  readonly url: string;
  readonly secret: string;
}

const MAX_ENDPOINTS_PER_STORE = 20;
const MAX_PAGE = 100;
/** Delivery rows per fan-out statement. */
const FANOUT_ROWS_PER_STATEMENT = 2_000;

type EndpointRow = Selectable<WebhookDB['webhook_endpoints']>;
type DeliveryRow = Selectable<WebhookDB['webhook_deliveries']>;

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

function endpointView(row: EndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description ?? '',
    eventTypes: row.event_types,
    status: row.status,
    disabledReason: row.disabled_reason,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

function deliveryView(row: DeliveryRow, lastHttpStatus: number | null, attemptLog?: WebhookAttemptView[]): WebhookDeliveryView {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts ?? 0,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    lastAttemptAt: iso(row.last_attempt_at),
    lastHttpStatus,
    createdAt: new Date(row.created_at).toISOString(),
    ...(attemptLog ? { attemptLog } : {}),
  };
}

/** The store id an outbox event concerns, if it concerns one. */
function storeIdOf(payload: unknown): string | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const storeId = (payload as { storeId?: unknown }).storeId;
  return typeof storeId === 'string' && storeId.startsWith('st_') ? storeId : null;
}

/** The key one checkout's events are ordered by: the same rule as the outbox's generated `ordering_key` (migration 0023). */
function orderingKeyOf(event: OutboxEventJob): string {
  const checkoutId = typeof event.payload === 'object' && event.payload !== null ? (event.payload as { checkoutId?: unknown }).checkoutId : undefined;
  return typeof checkoutId === 'string' ? checkoutId : `${event.aggregateType}:${event.aggregateId}`;
}

/** The JSON body a store receives for an event: the same bytes on every attempt. */
export function webhookBody(event: OutboxEventJob): string {
  return JSON.stringify({ id: event.eventId, type: event.eventType, createdAt: event.createdAt, data: event.payload });
}

/**
 * Webhook endpoints and deliveries in Postgres. A delivery is one row per (endpoint, event), created by
 * the fan-out with its frozen body; senders claim due rows with a lease (`FOR UPDATE SKIP LOCKED`, then
 * `lease_until`), so any number of dispatchers share the work and a crashed one's claims simply lapse.
 */
export class WebhookStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  get #k() {
    return webhookKysely(this.db);
  }

  async createEndpoint(storeId: StoreId, input: { url: string; eventTypes: readonly string[]; description: string }): Promise<{ view: WebhookEndpointView; secret: string }> {
    const count = await this.#k
      .selectFrom('webhook_endpoints')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('store_id', '=', storeId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_ENDPOINTS_PER_STORE) {
      throw new ValidationError(`A store may have at most ${MAX_ENDPOINTS_PER_STORE} webhook endpoints`, { limit: MAX_ENDPOINTS_PER_STORE }, 'too_many_webhooks');
    }
    const secret = `whsec_${Buffer.from(this.random.bytes(32)).toString('base64url')}`;
    const now = this.clock.now();
    const row = await this.#k
      .insertInto('webhook_endpoints')
      .values({
        id: nextId('wh', this.clock, this.random),
        store_id: storeId,
        url: input.url,
        secret,
        event_types: [...new Set(input.eventTypes)],
        description: input.description,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { view: endpointView(row), secret };
  }

  async listEndpoints(storeId: StoreId): Promise<WebhookEndpointView[]> {
    const rows = await this.#k.selectFrom('webhook_endpoints').selectAll().where('store_id', '=', storeId).where('deleted_at', 'is', null).orderBy('id', 'desc').execute();
    return rows.map(endpointView);
  }

  async #endpoint(storeId: StoreId, idText: string): Promise<EndpointRow> {
    const id = parseId('wh', idText);
    const row = await this.#k.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).where('store_id', '=', storeId).where('deleted_at', 'is', null).executeTakeFirst();
    if (!row) throw new NotFoundError('webhook', idText);
    return row;
  }

  async getEndpoint(storeId: StoreId, idText: string): Promise<WebhookEndpointView> {
    return endpointView(await this.#endpoint(storeId, idText));
  }

  /** Soft-deletes the endpoint: its delivery history stays, nothing more is sent to it. */
  async deleteEndpoint(storeId: StoreId, idText: string): Promise<void> {
    const row = await this.#endpoint(storeId, idText);
    const now = this.clock.now();
    await this.#k.updateTable('webhook_endpoints').set({ deleted_at: now, updated_at: now }).where('id', '=', row.id).execute();
  }

  /** Re-enables a disabled endpoint; its pending deliveries resume. */
  async enableEndpoint(storeId: StoreId, idText: string): Promise<WebhookEndpointView> {
    const row = await this.#endpoint(storeId, idText);
    const now = this.clock.now();
    const updated = await this.#k
      .updateTable('webhook_endpoints')
      .set({ status: 'enabled', disabled_reason: null, disabled_at: null, consecutive_failures: 0, updated_at: now })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return endpointView(updated);
  }

  async listDeliveries(
    storeId: StoreId,
    endpointIdText: string,
    query: { status?: 'pending' | 'succeeded' | 'failed'; limit?: number; cursor?: string | null },
  ): Promise<{ data: WebhookDeliveryView[]; nextCursor: string | null }> {
    const endpoint = await this.#endpoint(storeId, endpointIdText);
    const limit = query.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new ValidationError(`limit must be an integer from 1 to ${MAX_PAGE}`, { field: 'limit' });
    let q = this.#k.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpoint.id);
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    if (query.cursor) {
      let cursor: string;
      try {
        cursor = parseId('whd', Buffer.from(query.cursor, 'base64url').toString('utf8'));
      } catch {
        throw new ValidationError('The cursor is not one this API issued', { field: 'cursor' }, 'invalid_cursor');
      }
      q = q.where('id', '<', cursor);
    }
    const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = await this.#lastStatuses(page.map((r) => r.id));
    const tail = page[page.length - 1];
    return {
      data: page.map((r) => deliveryView(r, last.get(r.id) ?? null)),
      nextCursor: rows.length > limit && tail ? Buffer.from(tail.id, 'utf8').toString('base64url') : null,
    };
  }

  async #lastStatuses(ids: readonly string[]): Promise<Map<string, number | null>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#k
      .selectFrom('webhook_delivery_attempts')
      .select(['delivery_id', 'http_status'])
      .distinctOn('delivery_id')
      .where('delivery_id', 'in', [...ids])
      .orderBy('delivery_id')
      .orderBy('attempt', 'desc')
      .execute();
    return new Map(rows.map((r) => [r.delivery_id, r.http_status]));
  }

  async #delivery(storeId: StoreId, endpointIdText: string, deliveryIdText: string): Promise<DeliveryRow> {
    const endpoint = await this.#endpoint(storeId, endpointIdText);
    const id = parseId('whd', deliveryIdText);
    const row = await this.#k.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).where('endpoint_id', '=', endpoint.id).executeTakeFirst();
    if (!row) throw new NotFoundError('webhook_delivery', deliveryIdText);
    return row;
  }

  /** A delivery with every attempt. */
  async getDelivery(storeId: StoreId, endpointIdText: string, deliveryIdText: string): Promise<WebhookDeliveryView> {
    const row = await this.#delivery(storeId, endpointIdText, deliveryIdText);
    const attempts = await this.#k.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', '=', row.id).orderBy('attempt').execute();
    const log: WebhookAttemptView[] = attempts.map((a) => ({
      attempt: a.attempt,
      startedAt: new Date(a.started_at).toISOString(),
      outcome: a.outcome,
      httpStatus: a.http_status,
      latencyMs: a.latency_ms,
      responseBody: a.response_body,
      error: a.error,
    }));
    return deliveryView(row, log[log.length - 1]?.httpStatus ?? null, log);
  }

  /**
   * Sends the delivery again as soon as possible (same event id and body), whatever its status. Its
   * give-up window restarts (`created_at` becomes now); the attempts made so far stay in its log.
   */
  async redeliver(storeId: StoreId, endpointIdText: string, deliveryIdText: string): Promise<WebhookDeliveryView> {
    const row = await this.#delivery(storeId, endpointIdText, deliveryIdText);
    const now = this.clock.now();
    const updated = await this.#k
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: now, lease_until: null, created_at: now, updated_at: now })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return deliveryView(updated, null);
  }

  /**
   * One delivery row per subscribed, live endpoint of the event's store (none for events without a
   * store). Idempotent: (endpoint, event) is unique. Returns how many rows were created.
   */
  fanOut(event: OutboxEventJob): Promise<number> {
    return this.fanOutMany([event]);
  }

  /**
   * `fanOut` for a batch of events: one endpoint query and one insert for all of them. In the same
   * transaction the events' outbox rows are marked fanned out, including those no endpoint takes, so the
   * later events of their checkouts may go (see `claimDue`).
   */
  async fanOutMany(events: readonly OutboxEventJob[]): Promise<number> {
    if (events.length === 0) return 0;
    const storeIds = [...new Set(events.map((e) => storeIdOf(e.payload)).filter((id): id is string => id !== null))];
    const endpoints =
      storeIds.length === 0
        ? []
        : await this.#k.selectFrom('webhook_endpoints').select(['id', 'store_id', 'event_types']).where('store_id', 'in', storeIds).where('deleted_at', 'is', null).execute();
    const now = this.clock.now();
    const rows = events.flatMap((event) => {
      const storeId = storeIdOf(event.payload);
      const targets = endpoints.filter((e) => e.store_id === storeId && (e.event_types.length === 0 || e.event_types.includes(event.eventType)));
      if (storeId === null || targets.length === 0) return [];
      const body = webhookBody(event);
      const orderingKey = orderingKeyOf(event);
      return targets.map((e) => ({
        id: nextId('whd', this.clock, this.random),
        endpoint_id: e.id,
        store_id: storeId,
        event_id: event.eventId,
        event_type: event.eventType,
        sequence: event.sequence,
        ordering_key: orderingKey,
        body,
      }));
    });
    const sequences = events.map((e) => e.sequence);
    return this.db.transaction(async (trx) => {
      let created = 0;
      // One JSON document per statement: a block's burst fans out thousands of rows of 13 columns.
      for (let i = 0; i < rows.length; i += FANOUT_ROWS_PER_STATEMENT) {
        const inserted = await sql<{ id: string }>`
          INSERT INTO webhook_deliveries (id, endpoint_id, store_id, event_id, event_type, sequence, ordering_key, body, attempts, status, next_attempt_at, created_at, updated_at)
          SELECT r.id, r.endpoint_id, r.store_id, r.event_id, r.event_type, r.sequence, r.ordering_key, r.body, 0, 'pending', ${now}, ${now}, ${now}
            FROM jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + FANOUT_ROWS_PER_STATEMENT))}::jsonb)
              AS r(id text, endpoint_id text, store_id text, event_id text, event_type text, sequence bigint, ordering_key text, body text)
          ON CONFLICT (endpoint_id, event_id) DO NOTHING
          RETURNING id`.execute(trx);
        created += inserted.rows.length;
      }
      // Locked in id order, so two fan-outs of overlapping batches (a re-publish) queue on these rows rather than deadlock.
      await sql`
        UPDATE outbox SET fanned_out_at = ${now}
         WHERE id IN (SELECT id FROM outbox WHERE id = ANY(${sequences}::bigint[]) AND fanned_out_at IS NULL ORDER BY id FOR UPDATE)`.execute(trx);
      return created;
    });
  }

  /**
   * Claims up to `limit` due deliveries of enabled endpoints for `leaseMs`. A delivery waits while an
   * earlier event of the same checkout for the same endpoint is still pending and has failed fewer than
   * `headOfLineAttempts` times, and while an earlier outbox event of its checkout, written less than
   * `fanOutWaitMs` ago, is not fanned out yet (order without one bad event blocking the rest forever).
   */
  async claimDue(limit: number, leaseMs: number, order: Pick<DeliveryPolicy, 'headOfLineAttempts' | 'fanOutWaitMs'>): Promise<ClaimedDelivery[]> {
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const fanOutWaitSince = new Date(now.getTime() - order.fanOutWaitMs);
    const result = await sql<{
      id: string;
      endpoint_id: string;
      store_id: string;
      event_id: string;
      event_type: string;
      body: string;
      attempts: number;
      created_at: Date;
      url: string;
      secret: string;
    }>`
      UPDATE webhook_deliveries d
         SET lease_until = ${leaseUntil}
        FROM webhook_endpoints e
       WHERE e.id = d.endpoint_id
         AND d.id IN (
           SELECT c.id FROM webhook_deliveries c
             JOIN webhook_endpoints ce ON ce.id = c.endpoint_id
            WHERE c.status = 'pending'
              AND c.next_attempt_at <= ${now}
              AND (c.lease_until IS NULL OR c.lease_until < ${now})
              AND ce.status = 'enabled' AND ce.deleted_at IS NULL
              AND NOT EXISTS (
                SELECT 1 FROM webhook_deliveries o
                 WHERE o.endpoint_id = c.endpoint_id
                   AND o.ordering_key = c.ordering_key
                   AND o.status = 'pending'
                   AND o.sequence < c.sequence
                   AND o.attempts < ${order.headOfLineAttempts})
              AND NOT EXISTS (
                SELECT 1 FROM outbox ob
                 WHERE ob.fanned_out_at IS NULL
                   AND ob.ordering_key = c.ordering_key
                   AND ob.id < c.sequence
                   AND ob.created_at > ${fanOutWaitSince})
            ORDER BY c.next_attempt_at
            LIMIT ${limit}
              FOR UPDATE OF c SKIP LOCKED)
      RETURNING d.id, d.endpoint_id, d.store_id, d.event_id, d.event_type, d.body, d.attempts, d.created_at, e.url, e.secret`.execute(this.#k);
    return result.rows.map((r) => ({
      id: r.id,
      endpointId: r.endpoint_id,
      storeId: r.store_id,
      eventId: r.event_id,
      eventType: r.event_type,
      body: r.body,
      attempts: r.attempts,
      createdAt: new Date(r.created_at),
      url: r.url,
      secret: r.secret,
    }));
  }

  /** Lets claimed deliveries that were never attempted go at once (a stopping dispatcher), instead of when their lease lapses. */
  async releaseClaims(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#k.updateTable('webhook_deliveries').set({ lease_until: null }).where('id', 'in', [...ids]).where('status', '=', 'pending').execute();
  }

  /**
   * Records many successful attempts in one transaction (three statements, whatever their number): the
   * dispatcher's group commit. The same rows as `recordAttempt` writes for a success.
   */
  async recordSuccesses(successes: readonly { delivery: ClaimedDelivery; startedAt: Date; result: WebhookAttemptResult }[]): Promise<void> {
    if (successes.length === 0) return;
    const now = this.clock.now();
    const rows = successes.map(({ delivery, startedAt, result }) => ({
      id: delivery.id,
      attempt: delivery.attempts + 1,
      started_at: startedAt.toISOString(),
      outcome: result.outcome,
      http_status: result.httpStatus,
      latency_ms: result.latencyMs,
      response_body: result.responseBody === null ? null : result.responseBody.slice(0, 2048),
    }));
    const endpointIds = [...new Set(successes.map((s) => s.delivery.endpointId))];
    await this.db.transaction(async (trx) => {
      const values = sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(
        id text, attempt integer, started_at timestamptz, outcome text, http_status integer, latency_ms integer, response_body text)`;
      await sql`
        INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, outcome, http_status, latency_ms, response_body, error)
        SELECT v.id, v.attempt, v.started_at, v.outcome, v.http_status, v.latency_ms, v.response_body, NULL FROM ${values}
        ON CONFLICT (delivery_id, attempt) DO NOTHING`.execute(trx);
      await sql`
        UPDATE webhook_deliveries d SET
          status = 'succeeded', attempts = v.attempt, lease_until = NULL, next_attempt_at = NULL, last_attempt_at = v.started_at,
          http_status = v.http_status, latency_ms = v.latency_ms, response_body = v.response_body, error = NULL, updated_at = ${now}
        FROM ${values}
        WHERE d.id = v.id`.execute(trx);
      await webhookKysely(trx).updateTable('webhook_endpoints').set({ consecutive_failures: 0 }).where('id', 'in', endpointIds).where('consecutive_failures', '>', 0).execute();
    });
  }

  /**
   * Records one attempt and decides what follows: success ends the delivery and resets the endpoint's
   * failure count; a failure schedules the next attempt (backoff with jitter) or, past the give-up
   * window, marks the delivery `failed`. An endpoint failing `disableAfterConsecutiveFailures` times in
   * a row, or whose delivery exhausted its retries, is disabled with an operator notice.
   */
  async recordAttempt(delivery: ClaimedDelivery, startedAt: Date, result: WebhookAttemptResult, policy: DeliveryPolicy): Promise<'succeeded' | 'retrying' | 'failed'> {
    const now = this.clock.now();
    const attempt = delivery.attempts + 1;
    return this.db.transaction(async (trx) => {
      const k = webhookKysely(trx);
      await k
        .insertInto('webhook_delivery_attempts')
        .values({
          delivery_id: delivery.id,
          attempt,
          started_at: startedAt,
          outcome: result.outcome,
          http_status: result.httpStatus,
          latency_ms: result.latencyMs,
          response_body: result.responseBody === null ? null : result.responseBody.slice(0, 2048),
          error: result.error === null ? null : result.error.slice(0, 1000),
        })
        .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
        .execute();
      const common = {
        attempts: attempt,
        lease_until: null,
        last_attempt_at: startedAt,
        http_status: result.httpStatus,
        latency_ms: result.latencyMs,
        response_body: result.responseBody === null ? null : result.responseBody.slice(0, 2048),
        error: result.error === null ? null : result.error.slice(0, 1000),
        updated_at: now,
      };
      if (result.outcome === 'succeeded') {
        await k.updateTable('webhook_deliveries').set({ ...common, status: 'succeeded', next_attempt_at: null }).where('id', '=', delivery.id).execute();
        await k.updateTable('webhook_endpoints').set({ consecutive_failures: 0 }).where('id', '=', delivery.endpointId).where('consecutive_failures', '>', 0).execute();
        return 'succeeded';
      }
      const nextAt = new Date(now.getTime() + retryDelayMs(attempt, policy));
      const givesUp = nextAt.getTime() - delivery.createdAt.getTime() > policy.giveUpAfterMs;
      await k
        .updateTable('webhook_deliveries')
        .set({ ...common, status: givesUp ? 'failed' : 'pending', next_attempt_at: givesUp ? null : nextAt })
        .where('id', '=', delivery.id)
        .execute();
      const endpoint = await k
        .updateTable('webhook_endpoints')
        .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) }))
        .where('id', '=', delivery.endpointId)
        .returning(['consecutive_failures', 'status', 'url'])
        .executeTakeFirstOrThrow();
      const failures = endpoint.consecutive_failures ?? 0;
      if (endpoint.status === 'enabled' && (givesUp || failures >= policy.disableAfterConsecutiveFailures)) {
        const reason = givesUp
          ? `event ${delivery.eventId} could not be delivered for ${Math.round(policy.giveUpAfterMs / 3600_000)} h`
          : `${failures} consecutive failed attempts`;
        await k.updateTable('webhook_endpoints').set({ status: 'disabled', disabled_reason: reason, disabled_at: now, updated_at: now }).where('id', '=', delivery.endpointId).execute();
        await k
          .insertInto('operator_notices')
          .values({
            kind: 'webhook_endpoint_disabled',
            subject_type: 'webhook_endpoint',
            subject_id: delivery.endpointId,
            message: `Webhook endpoint ${delivery.endpointId} of store ${delivery.storeId} was disabled: ${reason}`,
            details: JSON.stringify({ storeId: delivery.storeId, url: endpoint.url, lastError: result.error, lastHttpStatus: result.httpStatus }),
            created_at: now,
          })
          .execute();
      }
      return givesUp ? 'failed' : 'retrying';
    });
  }
}
