import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { Pool } from 'pg';
import { closeRedisConnection, createLogger, createQueue, createRedisConnection, createWorker } from '../src';
import { waitUntil } from './process-alive';

/**
 * The reliability target in miniature: Redis is SIGKILLed while BullMQ jobs are in flight and restarted
 * on its AOF; every job must take effect exactly once. Effects are idempotent inserts keyed by job id
 * (the pipeline's idempotent-consumer pattern), so a job that runs twice is harmless, and one that never
 * runs shows up as a missing row.
 */
describe('BullMQ across a Redis SIGKILL and restart', () => {
  const JOBS = 300;
  /** Shorter than production only so jobs orphaned by the crash are retried within the test. */
  const LOCK_DURATION_MS = 4_000;
  const logger = createLogger({ logLevel: 'silent' });
  let redis: RedisServer;
  let postgres: PostgresServer;
  let pool: Pool;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedis({ appendfsync: 'always' }), startPostgres()]);
    pool = new Pool({ connectionString: await postgres.createDatabase(), max: 10 });
    // Postgres stays up throughout; the only idle-client errors come from stopping the server in afterAll.
    pool.on('error', () => undefined);
    await pool.query('CREATE TABLE job_effects (job_id text PRIMARY KEY, n integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });

  async function crashAndRecover(queueName: string, outageMs: number): Promise<void> {
    const connections: Redis[] = [];
    const workers: Worker<{ n: number }>[] = [];
    let queue: Queue<{ n: number }> | undefined;
    try {
      const producer = createRedisConnection(redis.url, 'producer', { logger });
      connections.push(producer);
      queue = createQueue<{ n: number }>(queueName, producer, { logger });
      const jobId = (n: number) => `${queueName}-${n}`;
      await queue.addBulk(Array.from({ length: JOBS }, (_, n) => ({ name: 'effect', data: { n }, opts: { jobId: jobId(n) } })));

      const invocations = new Map<string, number>();
      let inFlight = 0;
      const processor = async (job: { id?: string; data: { n: number } }) => {
        const id = job.id!;
        invocations.set(id, (invocations.get(id) ?? 0) + 1);
        inFlight += 1;
        try {
          await new Promise((r) => setTimeout(r, 3 + (job.data.n % 7)));
          await pool.query('INSERT INTO job_effects (job_id, n) VALUES ($1, $2) ON CONFLICT (job_id) DO NOTHING', [id, job.data.n]);
        } finally {
          inFlight -= 1;
        }
      };
      for (const name of ['worker-a', 'worker-b']) {
        const connection = createRedisConnection(redis.url, 'worker', { logger, connectionName: name });
        connections.push(connection);
        workers.push(
          createWorker(queueName, processor, connection, { logger, concurrency: 8, lockDuration: LOCK_DURATION_MS, stalledInterval: 1_000 }),
        );
      }

      const effects = async () =>
        Number((await pool.query<{ c: string }>('SELECT count(*) AS c FROM job_effects WHERE job_id LIKE $1', [`${queueName}-%`])).rows[0]!.c);
      await waitUntil(async () => (await effects()) >= JOBS / 3, 30_000, 'a third of the jobs to take effect');
      const effectsBeforeKill = await effects();
      const inFlightAtKill = inFlight;
      await redis.kill9();
      await new Promise((r) => setTimeout(r, outageMs));
      await redis.restart();

      // The producer connection fails fast until it has reconnected: a failed poll just means "not yet".
      const completed = () => queue!.getJobCounts('completed').then((c) => c.completed, () => -1);
      await waitUntil(async () => (await completed()) === JOBS, 60_000, `all ${JOBS} jobs completed`);

      const rows = await pool.query<{ total: string; distinct_ids: string }>(
        'SELECT count(*) AS total, count(DISTINCT job_id) AS distinct_ids FROM job_effects WHERE job_id LIKE $1',
        [`${queueName}-%`],
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
      const states = await Promise.all(Array.from({ length: JOBS }, (_, n) => queue!.getJobState(jobId(n))));
      expect(new Set(states)).toEqual(new Set(['completed']));
      expect(invocations.size).toBe(JOBS);
      // The crash really happened mid-work.
      expect(inFlightAtKill).toBeGreaterThan(0);
      expect(effectsBeforeKill).toBeLessThan(JOBS);

      const ranMoreThanOnce = [...invocations.values()].filter((count) => count > 1).length;
      const totalInvocations = [...invocations.values()].reduce((a, b) => a + b, 0);
      console.log(
        `${queueName}: redis SIGKILL after ${effectsBeforeKill}/${JOBS} effects with ${inFlightAtKill} jobs in flight, ` +
          `down ${outageMs} ms: ${totalInvocations} processor invocations, ${ranMoreThanOnce} jobs ran more than once, ` +
          `${JOBS} effects recorded exactly once`,
      );
    } finally {
      await Promise.all(workers.map((w) => w.close(true)));
      await queue?.close();
      await Promise.all(connections.map((c) => closeRedisConnection(c)));
    }
  }

  it('completes every job exactly once in effect after a short outage', async () => {
    await crashAndRecover('short-outage', 500);
  }, 120_000);

  it('completes every job exactly once in effect when the outage outlasts the job locks', async () => {
    await crashAndRecover('long-outage', LOCK_DURATION_MS + 1_500);
  }, 120_000);
});
