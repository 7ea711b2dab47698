import { createLogger, migrateToLatest, openDatabase, OutboxRepository, outboxEventJob, type Database } from '@coinstile/platform';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';
import { sql } from 'kysely';
import { retryDelayMs, verifyWebhookSignature, WebhookDispatcher, WebhookStore, DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from '../../src/webhooks';
import { webhookKysely } from '../../src/webhooks/webhook-schema';
import { event, insertStore, ManualClock, newId, random, startReceiver, type Receiver } from './webhook-fixtures';

const logger = createLogger({ logLevel: 'silent' });

describe('webhook delivery (Postgres-driven)', () => {
  let postgres: PostgresServer;
  let db: Database;
  let receiver: Receiver;

  beforeAll(async () => {
    postgres = await startPostgres();
    db = await openDatabase({ url: await postgres.createDatabase(), poolSize: 10 });
    await migrateToLatest(db);
    receiver = await startReceiver();
  }, 60_000);

  afterAll(async () => {
    await receiver?.close();
    await db?.close();
    await postgres?.stop();
  });

  function setup(policy: Partial<DeliveryPolicy> = {}) {
    const clock = new ManualClock();
    const store = new WebhookStore(db, clock, random);
    const dispatcher = new WebhookDispatcher({ store, logger, ssrf: { allowPrivate: true, resolver: async () => [] }, policy: { timeoutMs: 500, ...policy } });
    return { clock, store, dispatcher };
  }

  test('backoff: exponential, capped, jittered within ±20 %', () => {
    const p = DEFAULT_DELIVERY_POLICY;
    expect(retryDelayMs(1, p, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(2, p, () => 0.5)).toBe(60_000);
    expect(retryDelayMs(5, p, () => 0.5)).toBe(480_000);
    expect(retryDelayMs(40, p, () => 0.5)).toBe(6 * 3600_000);
    expect(retryDelayMs(1, p, () => 0)).toBe(24_000);
    expect(retryDelayMs(1, p, () => 0.999999)).toBeCloseTo(36_000, -1);
    // The default schedule spans about three days before giving up.
    let total = 0;
    let attempts = 0;
    while (total + retryDelayMs(attempts + 1, p, () => 0.5) <= p.giveUpAfterMs) total += retryDelayMs(++attempts, p, () => 0.5);
    expect(attempts).toBeGreaterThanOrEqual(15);
    expect(total).toBeGreaterThan(2.5 * 24 * 3600_000);
  });

  test('500s and a timeout are retried with backoff; every attempt is stored; the same event id and body each time', async () => {
    const { clock, store, dispatcher } = setup();
    const storeId = await insertStore(db);
    const { view, secret } = await store.createEndpoint(storeId, { url: receiver.url, eventTypes: [], description: '' });
    const checkoutId = newId('co');
    expect(await store.fanOut(event(storeId, checkoutId, 'order.released'))).toBe(1);
    expect(await store.fanOut(event(storeId, checkoutId, 'order.released'))).toBe(0);

    receiver.received.length = 0;
    const answers: (number | 'hang')[] = [500, 'hang', 503, 200];
    receiver.respond = () => answers.shift() ?? 200;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      expect(await dispatcher.dispatchOnce()).toBe(1);
      expect(await dispatcher.dispatchOnce()).toBe(0); // not due again yet
      const row = await db.kysely.selectFrom('webhook_deliveries').select(['next_attempt_at', 'status']).where('event_id', '=', `${checkoutId}:order.released`).executeTakeFirstOrThrow();
      if (row.status === 'pending') {
        const wait = row.next_attempt_at!.getTime() - clock.ms;
        waits.push(wait);
        clock.advance(wait);
      }
    }
    expect(waits).toHaveLength(3);
    expect(waits[0]).toBeGreaterThanOrEqual(24_000);
    expect(waits[0]).toBeLessThanOrEqual(36_000);
    expect(waits[1]).toBeGreaterThanOrEqual(48_000);
    expect(waits[2]).toBeGreaterThanOrEqual(96_000);

    const bodies = new Set(receiver.received.map((r) => r.body));
    expect(bodies.size).toBe(1);
    expect(receiver.received.map((r) => r.headers['coinstile-event-id'])).toEqual(Array(4).fill(`${checkoutId}:order.released`));
    expect(receiver.received.map((r) => r.headers['coinstile-attempt'])).toEqual(['1', '2', '3', '4']);
    for (const r of receiver.received) {
      const t = Number(/t=(\d+)/.exec(r.headers['coinstile-signature'] as string)![1]);
      expect(verifyWebhookSignature(r.body, r.headers['coinstile-signature'] as string, secret, { nowMs: t * 1000 })).toBe(true);
    }
    const detail = await store.getDelivery(storeId, view.id, (await store.listDeliveries(storeId, view.id, {})).data[0]!.id);
    expect(detail.status).toBe('succeeded');
    expect(detail.attempts).toBe(4);
    expect(detail.attemptLog!.map((a) => [a.outcome, a.httpStatus])).toEqual([
      ['failed', 500],
      ['failed', null],
      ['failed', 503],
      ['succeeded', 200],
    ]);
    expect(detail.attemptLog![1]!.error).toMatch(/timed out after 500 ms/);
    expect(detail.attemptLog![0]!.responseBody).toHaveLength(2048);
    expect(detail.attemptLog!.every((a) => a.latencyMs >= 0)).toBe(true);
    expect(detail.attemptLog![1]!.latencyMs).toBeGreaterThanOrEqual(450);
  });

  test('per checkout in order; a failing event stops blocking the next after 3 attempts; other checkouts never wait', async () => {
    const { clock, store, dispatcher } = setup();
    const storeId = await insertStore(db);
    await store.createEndpoint(storeId, { url: receiver.url, eventTypes: [], description: '' });
    const a = newId('co');
    const b = newId('co');
    await store.fanOut(event(storeId, a, 'checkout.settled'));
    await store.fanOut(event(storeId, a, 'order.released'));
    await store.fanOut(event(storeId, b, 'checkout.settled'));
    receiver.received.length = 0;
    receiver.respond = (r) => (r.body.includes(`${a}:checkout.settled`) ? 500 : 200);
    const sent = () => receiver.received.map((r) => r.headers['coinstile-event-id']);

    await dispatcher.dispatchOnce();
    // a's second event waits behind its first; b goes at once.
    expect(new Set(sent())).toEqual(new Set([`${a}:checkout.settled`, `${b}:checkout.settled`]));
    for (let i = 0; i < 2; i++) {
      clock.advance(3_600_000);
      await dispatcher.dispatchOnce();
    }
    expect(sent().filter((id) => id === `${a}:checkout.settled`)).toHaveLength(3);
    expect(sent()).not.toContain(`${a}:order.released`);
    clock.advance(3_600_000);
    await dispatcher.dispatchOnce();
    expect(sent()).toContain(`${a}:order.released`);
  });

  test('relay batches fanned out out of order: an event waits for its checkout\'s earlier outbox events to be fanned out', async () => {
    const { clock, store, dispatcher } = setup();
    const storeId = await insertStore(db);
    await store.createEndpoint(storeId, { url: receiver.url, eventTypes: ['checkout.processing', 'checkout.settled'], description: '' });
    const [a, b] = [newId('co'), newId('co')];
    const outbox = new OutboxRepository(db);
    const message = (checkoutId: string, type: string) => ({
      eventId: `${checkoutId}:${type}`,
      eventType: type,
      aggregateType: 'checkout',
      aggregateId: checkoutId,
      payload: { type, storeId, checkoutId },
    });
    // Written in causal order; each transition of a commits before the next is written.
    for (const m of [message(a, 'checkout.processing'), message(a, 'checkout.settled'), message(b, 'checkout.settled'), message(a, 'order.released')]) {
      await outbox.append(db.kysely, [m]);
    }
    const jobOf = async (checkoutId: string, type: string) => {
      const entry = (await outbox.listForAggregate('checkout', checkoutId)).find((e) => e.eventType === type)!;
      return outboxEventJob(entry);
    };
    receiver.received.length = 0;
    receiver.respond = () => 200;
    const sent = () => receiver.received.map((r) => r.headers['coinstile-event-id']);

    // The relay's second batch reached the fan-out first: a's `settled` has a delivery row, its `processing` none yet.
    expect(await store.fanOutMany([await jobOf(a, 'checkout.settled'), await jobOf(b, 'checkout.settled')])).toBe(2);
    await dispatcher.dispatchOnce();
    expect(sent()).toEqual([`${b}:checkout.settled`]);

    // a's first batch arrives: its events go, in order.
    expect(await store.fanOutMany([await jobOf(a, 'checkout.processing')])).toBe(1);
    await dispatcher.dispatchOnce();
    await dispatcher.dispatchOnce();
    expect(sent()).toEqual([`${b}:checkout.settled`, `${a}:checkout.processing`, `${a}:checkout.settled`]);

    // An event no endpoint subscribes to is marked fanned out too, so it holds nothing up; one never fanned
    // out (a lost fan-out job) holds its checkout's later events up for the wait bound only.
    const c = newId('co');
    for (const m of [message(c, 'checkout.created'), message(c, 'checkout.processing'), message(c, 'checkout.settled')]) await outbox.append(db.kysely, [m]);
    expect(await store.fanOutMany([await jobOf(c, 'checkout.created'), await jobOf(c, 'checkout.settled')])).toBe(1);
    await dispatcher.dispatchOnce();
    expect(sent()).not.toContain(`${c}:checkout.settled`);
    clock.advance(DEFAULT_DELIVERY_POLICY.fanOutWaitMs + 1_000);
    await dispatcher.dispatchOnce();
    expect(sent()).toContain(`${c}:checkout.settled`);
    const unfanned = await sql<{ event_id: string }>`SELECT event_id FROM outbox WHERE aggregate_id = ${c} AND fanned_out_at IS NULL`.execute(db.kysely);
    expect(unfanned.rows.map((r) => r.event_id)).toEqual([`${c}:checkout.processing`]);
  });

  test('a burst through the running dispatcher: every delivery sent once, successes recorded in group commits, the failure count reset', async () => {
    // The default request bound: 128 requests at once on a loaded test machine can take more than 500 ms.
    const { store, dispatcher } = setup({ timeoutMs: DEFAULT_DELIVERY_POLICY.timeoutMs });
    const storeId = await insertStore(db);
    const { view } = await store.createEndpoint(storeId, { url: receiver.url, eventTypes: ['order.released'], description: '' });
    const k = webhookKysely(db.kysely);
    await k.updateTable('webhook_endpoints').set({ consecutive_failures: 2 }).where('id', '=', view.id).execute();
    const checkoutIds = Array.from({ length: 300 }, () => newId('co'));
    expect(await store.fanOutMany(checkoutIds.map((id) => event(storeId, id, 'order.released')))).toBe(300);
    receiver.received.length = 0;
    receiver.respond = () => 200;
    let commits = 0;
    const recordSuccesses = store.recordSuccesses.bind(store);
    store.recordSuccesses = async (successes) => {
      commits++;
      return recordSuccesses(successes);
    };
    dispatcher.start();
    const deadline = Date.now() + 30_000;
    const succeeded = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from webhook_deliveries where endpoint_id = ${view.id} and status = 'succeeded'`.execute(db.kysely)).rows[0]!.n);
    while ((await succeeded()) < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await dispatcher.stop();

    expect(await succeeded()).toBe(300);
    expect(receiver.received.map((r) => r.headers['coinstile-event-id']).sort()).toEqual(checkoutIds.map((id) => `${id}:order.released`).sort());
    expect(commits).toBeLessThan(300);
    const attempts = await sql<{ outcome: string; attempt: number; http_status: number }>`
      select a.outcome, a.attempt, a.http_status from webhook_delivery_attempts a join webhook_deliveries d on d.id = a.delivery_id where d.endpoint_id = ${view.id}`.execute(db.kysely);
    expect(attempts.rows).toHaveLength(300);
    expect(attempts.rows.every((a) => a.outcome === 'succeeded' && a.attempt === 1 && a.http_status === 200)).toBe(true);
    const rows = await k.selectFrom('webhook_deliveries').select(['attempts', 'lease_until', 'next_attempt_at']).where('endpoint_id', '=', view.id).execute();
    expect(rows.every((r) => r.attempts === 1 && r.lease_until === null && r.next_attempt_at === null)).toBe(true);
    expect((await k.selectFrom('webhook_endpoints').select('consecutive_failures').where('id', '=', view.id).executeTakeFirstOrThrow()).consecutive_failures).toBe(0);
  });

  test('claims run ahead of the requests by at most one set of slots; stopping lets the unsent ones go at once', async () => {
    const clock = new ManualClock();
    const store = new WebhookStore(db, clock, random);
    const dispatcher = new WebhookDispatcher({ store, logger, ssrf: { allowPrivate: true, resolver: async () => [] }, policy: { timeoutMs: 500 }, concurrency: 2 });
    const storeId = await insertStore(db);
    const { view } = await store.createEndpoint(storeId, { url: receiver.url, eventTypes: ['order.released'], description: '' });
    const checkoutIds = Array.from({ length: 10 }, () => newId('co'));
    expect(await store.fanOutMany(checkoutIds.map((id) => event(storeId, id, 'order.released')))).toBe(10);
    receiver.received.length = 0;
    receiver.respond = () => 'hang';
    const k = webhookKysely(db.kysely);
    const leased = async () => (await k.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', view.id).where('lease_until', 'is not', null).execute()).length;
    dispatcher.start();
    const deadline = Date.now() + 10_000;
    while ((receiver.received.length < 2 || (await leased()) < 4) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // Two requests hang in the two slots; two more are claimed and wait for a slot; the other six are not claimed.
    expect(receiver.received).toHaveLength(2);
    expect(await leased()).toBe(4);
    await dispatcher.stop();
    receiver.respond = () => 200;
    // The two attempted ones are retried after their backoff; the two never sent are claimable at once.
    const claimable = await store.claimDue(100, 30_000, DEFAULT_DELIVERY_POLICY);
    expect(claimable).toHaveLength(8);
    expect(receiver.received).toHaveLength(2);
  });

  test('an endpoint failing persistently is disabled with an operator notice; redelivery after re-enabling', async () => {
    const { clock, store, dispatcher } = setup({ disableAfterConsecutiveFailures: 3 });
    const storeId = await insertStore(db);
    const { view } = await store.createEndpoint(storeId, { url: receiver.url, eventTypes: ['order.released'], description: '' });
    const checkoutIds = [newId('co'), newId('co')];
    for (const id of checkoutIds) await store.fanOut(event(storeId, id, 'order.released'));
    expect(await store.fanOut(event(storeId, newId('co'), 'checkout.settled'))).toBe(0); // not subscribed
    receiver.respond = () => 500;
    await dispatcher.dispatchOnce();
    clock.advance(3_600_000);
    await dispatcher.dispatchOnce();
    expect((await store.getEndpoint(storeId, view.id)).status).toBe('disabled');
    clock.advance(3_600_000);
    expect(await dispatcher.dispatchOnce()).toBe(0); // nothing goes to a disabled endpoint
    const notices = await sql<{ kind: string; subject_id: string; message: string }>`select kind, subject_id, message from operator_notices where subject_id = ${view.id}`.execute(db.kysely);
    expect(notices.rows).toEqual([expect.objectContaining({ kind: 'webhook_endpoint_disabled', subject_id: view.id })]);
    expect(notices.rows[0]!.message).toMatch(/3 consecutive failed attempts/);

    receiver.respond = () => 200;
    await store.enableEndpoint(storeId, view.id);
    const delivered = await dispatcher.dispatchOnce();
    expect(delivered).toBe(2);
    const list = await store.listDeliveries(storeId, view.id, { status: 'succeeded' });
    expect(list.data).toHaveLength(2);

    // Redelivery: the same event id and body once more, on request.
    receiver.received.length = 0;
    const first = list.data[0]!;
    await store.redeliver(storeId, view.id, first.id);
    expect(await dispatcher.dispatchOnce()).toBe(1);
    expect(receiver.received.map((r) => r.headers['coinstile-event-id'])).toEqual([first.eventId]);
    expect((await store.getDelivery(storeId, view.id, first.id)).attempts).toBe(first.attempts + 1);
  });

  test('a delivery failing for the whole window is marked failed and the endpoint disabled', async () => {
    const { clock, store, dispatcher } = setup({ giveUpAfterMs: 10 * 60_000, baseDelayMs: 60_000 });
    const storeId = await insertStore(db);
    const { view } = await store.createEndpoint(storeId, { url: receiver.url, eventTypes: [], description: '' });
    await store.fanOut(event(storeId, newId('co'), 'payout.scheduled'));
    receiver.respond = () => 500;
    for (let i = 0; i < 10; i++) {
      await dispatcher.dispatchOnce();
      clock.advance(10 * 60_000);
    }
    const [delivery] = (await store.listDeliveries(storeId, view.id, {})).data;
    expect(delivery!.status).toBe('failed');
    expect(delivery!.attempts).toBeLessThanOrEqual(4);
    expect((await store.getEndpoint(storeId, view.id)).disabledReason).toMatch(/could not be delivered/);
  });
});
