import { startRedis, type RedisServer } from '@coinstile/testkit';
import {
  closeRedisConnection,
  createLogger,
  createRedisConnection,
  QUEUE_PREFIX,
  reconnectDelayMs,
  redisOptionsFor,
  waitForRedisReady,
} from '../src';

describe('Redis connection roles', () => {
  it('configures producers to fail fast and workers to wait', () => {
    expect(redisOptionsFor('producer')).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    expect(redisOptionsFor('worker')).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: null });
  });

  it('backs off exponentially with jitter, up to a cap', () => {
    expect(reconnectDelayMs(1, 5_000, () => 0)).toBe(50);
    expect(reconnectDelayMs(1, 5_000, () => 1)).toBe(100);
    expect(reconnectDelayMs(4, 5_000, () => 1)).toBe(800);
    expect(reconnectDelayMs(50, 5_000, () => 0)).toBe(2_500);
    expect(reconnectDelayMs(50, 5_000, () => 1)).toBe(5_000);
  });

  it('uses a hash-tagged prefix so a queue stays in one Redis Cluster slot', () => {
    expect(QUEUE_PREFIX).toMatch(/^\{[^}]+\}$/);
  });

  describe('against a redis-server that is killed and restarted', () => {
    const logger = createLogger({ logLevel: 'silent' });
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('a producer command fails at once while Redis is down; a worker command waits and succeeds after restart', async () => {
      const producer = createRedisConnection(redis.url, 'producer', { logger });
      const worker = createRedisConnection(redis.url, 'worker', { logger });
      try {
        await Promise.all([waitForRedisReady(producer), waitForRedisReady(worker)]);
        await redis.kill9();
        await new Promise((r) => setTimeout(r, 100));

        const started = Date.now();
        await expect(producer.set('k', 'v')).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(1_000);

        const waiting = worker.set('k', 'from-worker');
        await new Promise((r) => setTimeout(r, 300));
        await redis.restart();
        await expect(waiting).resolves.toBe('OK');
        await waitForRedisReady(producer, 10_000);
        expect(await producer.get('k')).toBe('from-worker');
      } finally {
        await Promise.all([closeRedisConnection(producer), closeRedisConnection(worker)]);
      }
      expect([producer.status, worker.status]).toEqual(['end', 'end']);
    }, 30_000);
  });
});
