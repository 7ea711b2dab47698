import type { OutboxMessage } from '@coinstile/core';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import {
  createLogger,
  createRedisConnection,
  eventIdFromJobId,
  jobIdForEvent,
  migrateToLatest,
  openDatabase,
  OutboxRelay,
  OutboxRepository,
  PostgresOutboxListener,
  QUEUE_PREFIX,
  type Database,
  type OutboxEventBatchJob,
  type OutboxEventJob,
} from '../../src';
import { waitUntil } from '../process-alive';

const logger = createLogger({ logLevel: 'silent' });

function message(i: number, type = 'test.event'): OutboxMessage {
  return { eventId: `agg_${i}:${type}:1`, eventType: type, aggregateType: 'test', aggregateId: `agg_${i}`, payload: { i, amountBase: 10n ** 30n } };
}

describe('OutboxRelay', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let db: Database;
  let databaseUrl: string;
  const connections: Redis[] = [];
  const queues: Queue[] = [];

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    databaseUrl = await postgres.createDatabase();
    db = await openDatabase({ url: databaseUrl, poolSize: 20 });
    await migrateToLatest(db);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(queues.map((q) => q.close()));
    for (const c of connections) c.disconnect();
    await db?.close();
    await Promise.all([postgres?.stop(), redis?.stop()]);
  });

  function producer(): Redis {
    const c = createRedisConnection(redis.url, 'worker', { logger });
    connections.push(c);
    return c;
  }

  function inspect(name: string): Queue<OutboxEventJob> {
    const q = new Queue<OutboxEventJob>(name, { connection: producer(), prefix: QUEUE_PREFIX });
    q.on('error', () => undefined);
    queues.push(q);
    return q;
  }

  test('job ids round-trip and are accepted by BullMQ', () => {
    for (const id of ['co_01:checkout.settled:3', '100%:x', '12345', 'a:b:c:d']) {
      expect(eventIdFromJobId(jobIdForEvent(id))).toBe(id);
      expect(jobIdForEvent(id)).not.toContain(':');
      expect(/^[0-9]+$/.test(jobIdForEvent(id))).toBe(false);
    }
  });

  test('three relays publish 3,000 rows: each event exactly one job per routed queue, all marked published', async () => {
    const outbox = new OutboxRepository(db);
    const N = 3_000;
    await db.transaction((trx) => outbox.append(trx, Array.from({ length: N }, (_, i) => message(i, i % 3 === 0 ? 'test.routed_twice' : 'test.event'))));
    const registry = new Registry();
    const relays = [0, 1, 2].map(
      () =>
        new OutboxRelay({
          db,
          connection: producer(),
          logger,
          batchSize: 100,
          pollIntervalMs: 20,
          registry,
          route: (entry) => (entry.eventType === 'test.routed_twice' ? ['relay-a', 'relay-b'] : ['relay-a']),
        }),
    );
    relays.forEach((r) => r.start());
    try {
      await waitUntil(async () => (await outbox.countUnpublished()) === 0, 30_000, 'the outbox to drain');
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
    const a = inspect('relay-a');
    const b = inspect('relay-b');
    expect(await a.getJobCountByTypes('waiting')).toBe(N);
    expect(await b.getJobCountByTypes('waiting')).toBe(N / 3);
    const job = await a.getJob(jobIdForEvent('agg_7:test.event:1'));
    expect(job?.data).toMatchObject({ eventId: 'agg_7:test.event:1', eventType: 'test.event', aggregateId: 'agg_7', payload: { i: 7, amountBase: '1' + '0'.repeat(30) } });
    expect(job?.name).toBe('test.event');

    // A re-publish (as after a crash between addBulk and the commit) adds nothing.
    await db.kysely.updateTable('outbox').set({ published_at: null }).execute();
    const again = new OutboxRelay({ db, connection: producer(), logger, route: () => ['relay-a'] });
    expect(await again.relayOnce()).toBe(500);
    while ((await again.relayOnce()) > 0);
    await again.stop();
    expect(await a.getJobCountByTypes('waiting')).toBe(N);

    const metrics = await registry.metrics();
    expect(metrics).toMatch(/outbox_unpublished_events \d+/);
    expect(metrics).toMatch(/outbox_oldest_unpublished_age_seconds 0/);
    expect(metrics).toContain(`outbox_published_jobs_total{queue="relay-b"} ${N / 3}`);
    expect(metrics).toContain(`outbox_publish_lag_seconds_count ${N}`);
    await a.obliterate({ force: true });
    await b.obliterate({ force: true });
  }, 60_000);

  test('a batched queue gets one job per relay batch, with a job id that makes its re-publish a no-op', async () => {
    const outbox = new OutboxRepository(db);
    await db.transaction((trx) => outbox.append(trx, Array.from({ length: 250 }, (_, i) => message(20_000 + i, 'test.batched'))));
    const relay = new OutboxRelay({
      db,
      connection: producer(),
      logger,
      batchSize: 100,
      batchedQueues: ['relay-batched'],
      jobOptionsByQueue: { 'relay-batched': { attempts: 18 } },
      route: (entry) => (entry.eventType === 'test.batched' ? ['relay-batched', 'relay-single'] : []),
    });
    while ((await relay.relayOnce()) > 0);
    const batched = inspect('relay-batched');
    const single = inspect('relay-single');
    const jobs = await batched.getJobs(['waiting']);
    expect(jobs).toHaveLength(3);
    const events = jobs.flatMap((j) => (j.data as unknown as OutboxEventBatchJob).events);
    expect(events.map((e) => e.eventId).sort()).toEqual(Array.from({ length: 250 }, (_, i) => `agg_${20_000 + i}:test.batched:1`).sort());
    expect(jobs.map((j) => (j.data as unknown as OutboxEventBatchJob).events.length).sort()).toEqual([100, 100, 50]);
    expect(jobs.every((j) => /^batch-\d+-\d+-\d+$/.test(j.id ?? ''))).toBe(true);
    expect(await single.getJobCountByTypes('waiting')).toBe(250);
    expect(jobs.every((j) => j.opts.attempts === 18)).toBe(true);
    expect((await single.getJobs(['waiting'], 0, 0))[0]?.opts.attempts).toBe(8);

    // The same rows claimed again (a crash before the commit) form the same batches: nothing is added.
    await db.kysely.updateTable('outbox').set({ published_at: null }).where('event_type', '=', 'test.batched').execute();
    while ((await relay.relayOnce()) > 0);
    expect(await batched.getJobCountByTypes('waiting')).toBe(3);
    expect(await single.getJobCountByTypes('waiting')).toBe(250);
    await relay.stop();
  });

  test('wake() publishes at once despite a long poll interval; rows written while Redis is down go out after it returns', async () => {
    const outbox = new OutboxRepository(db);
    const relay = new OutboxRelay({ db, connection: producer(), logger, pollIntervalMs: 60_000, maxErrorBackoffMs: 200, route: () => ['relay-c'] });
    relay.start();
    const c = inspect('relay-c');
    try {
      await new Promise((r) => setTimeout(r, 200));
      await db.transaction((trx) => outbox.append(trx, [message(10_001)]));
      relay.wake();
      await waitUntil(async () => (await c.getJobCountByTypes('waiting')) === 1, 5_000, 'the woken relay to publish');

      await redis.kill9();
      await db.transaction((trx) => outbox.append(trx, [message(10_002), message(10_003)]));
      relay.wake();
      await new Promise((r) => setTimeout(r, 500));
      expect(await outbox.countUnpublished()).toBe(2);
      await redis.restart();
      relay.wake();
      await waitUntil(async () => (await outbox.countUnpublished()) === 0, 20_000, 'the relay to publish after Redis returns');
      expect(await c.getJobCountByTypes('waiting')).toBe(3);
    } finally {
      await relay.stop();
    }
  }, 60_000);

  test('with Postgres notifications a row committed anywhere is published at once despite a long poll interval, also after a Postgres restart', async () => {
    const outbox = new OutboxRepository(db);
    const relay = new OutboxRelay({
      db,
      connection: producer(),
      logger,
      pollIntervalMs: 60_000,
      maxErrorBackoffMs: 200,
      route: () => ['relay-d'],
      notifications: new PostgresOutboxListener(databaseUrl, logger),
    });
    const d = inspect('relay-d');
    relay.start();
    try {
      // Let the relay's first steps find nothing and go to sleep for its poll interval.
      await new Promise((r) => setTimeout(r, 500));
      await db.transaction((trx) => outbox.append(trx, [message(20_001)]));
      await waitUntil(async () => (await d.getJobCountByTypes('waiting')) === 1, 5_000, 'the notified relay to publish');

      await postgres.restart();
      await waitUntil(async () => db.ping().then(() => true, () => false), 20_000, 'PostgreSQL back');
      // The listener reconnects on its own (and wakes the relay once); a later commit is published at once.
      await new Promise((r) => setTimeout(r, 6_000));
      await db.transaction((trx) => outbox.append(trx, [message(20_002)]));
      await waitUntil(async () => (await d.getJobCountByTypes('waiting')) === 2, 5_000, 'the relay, notified after the restart, to publish');
    } finally {
      await relay.stop();
    }
  }, 60_000);
});
