import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { Pool } from 'pg';
import { createLogger, createQueue, createRedisConnection, createWorker } from '../src';
import { waitUntil } from './process-alive';

/**
 * The reliability target in miniature: Redis is SIGKILLed while BullMQ jobs are in flight and restarted
 * on its AOF; every job must take effect exactly once. Effects are idempotent inserts keyed by job id
 * (the pipeline's idempotent-consumer pattern), so a job that runs twice is harmless, and one that never
 * runs shows up as a missing row.
 */
describe('BullMQ across a Redis SIGKILL and restart', () => {
  const JOBS = 300;
  const logger = createLogger({ logLevel: 'silent' });
  let redis: RedisServer;
  let postgres: PostgresServer;
  let pool: Pool;
  const connections: Redis[] = [];
  let queue: Queue<{ n: number }> | undefined;
  const workers: Worker<{ n: number }>[] = [];

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedis({ appendfsync: 'always' }), startPostgres()]);
    pool = new Pool({ connectionString: await postgres.createDatabase(), max: 10 });
    // Postgres stays up throughout; the only idle-client errors come from stopping the server in afterAll.
    pool.on('error', () => undefined);
    await pool.query('CREATE TABLE job_effects (job_id text PRIMARY KEY, n integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close(true)));
    await queue?.close();
    for (const c of connections) c.disconnect();
    await pool?.end();
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });

  it('completes every job exactly once in effect', async () => {
    const producer = createRedisConnection(redis.url, 'producer', { logger });
    connections.push(producer);
    queue = createQueue<{ n: number }>('acceptance', producer, { logger });
    await queue.addBulk(Array.from({ length: JOBS }, (_, n) => ({ name: 'effect', data: { n }, opts: { jobId: `job-${n}` } })));

    const invocations = new Map<string, number>();
    const processor = async (job: { id?: string; data: { n: number } }) => {
      const id = job.id!;
      invocations.set(id, (invocations.get(id) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 3 + (job.data.n % 7)));
      await pool.query('INSERT INTO job_effects (job_id, n) VALUES ($1, $2) ON CONFLICT (job_id) DO NOTHING', [id, job.data.n]);
    };
    for (const name of ['worker-a', 'worker-b']) {
      const connection = createRedisConnection(redis.url, 'worker', { logger, connectionName: name });
      connections.push(connection);
      // Shorter locks than production only so a job orphaned by the crash is retried within the test.
      workers.push(createWorker('acceptance', processor, connection, { logger, concurrency: 8, lockDuration: 4_000, stalledInterval: 2_000 }));
    }

    const effects = async () => Number((await pool.query<{ c: string }>('SELECT count(*) AS c FROM job_effects')).rows[0]!.c);
    await waitUntil(async () => (await effects()) >= JOBS / 4, 30_000, 'a quarter of the jobs to take effect');
    const effectsBeforeKill = await effects();
    await redis.kill9();
    await new Promise((r) => setTimeout(r, 500));
    await redis.restart();

    // The producer connection fails fast until it has reconnected: a failed poll just means "not yet".
    const completed = () => queue!.getJobCounts('completed').then((c) => c.completed, () => -1);
    await waitUntil(async () => (await completed()) === JOBS, 60_000, `all ${JOBS} jobs completed`);

    const rows = await pool.query<{ total: string; distinct_ids: string }>(
      'SELECT count(*) AS total, count(DISTINCT job_id) AS distinct_ids FROM job_effects',
    );
    expect(rows.rows[0]).toEqual({ total: String(JOBS), distinct_ids: String(JOBS) });
    expect(await queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed', 'prioritized')).toEqual({
      completed: JOBS,
      failed: 0,
      active: 0,
      wait: 0,
      delayed: 0,
      prioritized: 0,
    });
    const states = await Promise.all(Array.from({ length: JOBS }, (_, n) => queue!.getJobState(`job-${n}`)));
    expect(new Set(states)).toEqual(new Set(['completed']));
    expect(invocations.size).toBe(JOBS);

    const ranMoreThanOnce = [...invocations.values()].filter((count) => count > 1).length;
    const totalInvocations = [...invocations.values()].reduce((a, b) => a + b, 0);
    console.log(
      `redis SIGKILL after ${effectsBeforeKill}/${JOBS} effects: ${totalInvocations} processor invocations, ` +
        `${ranMoreThanOnce} jobs ran more than once, ${JOBS} effects recorded exactly once`,
    );
  }, 120_000);
});
