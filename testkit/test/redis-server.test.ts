import Redis from 'ioredis';
import { existsSync } from 'node:fs';
import { startRedis, type RedisServer } from '@coinstile/testkit';

describe('startRedis', () => {
  let redis: RedisServer;
  const clients: Redis[] = [];

  function client(): Redis {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    connection.on('error', () => undefined);
    clients.push(connection);
    return connection;
  }

  beforeAll(async () => {
    const startedAt = Date.now();
    redis = await startRedis();
    console.log(`redis-server started in ${Date.now() - startedAt} ms`);
  });

  afterAll(async () => {
    for (const connection of clients) if (connection.status !== 'end') connection.disconnect();
    await redis?.stop();
  });

  test('sets and gets a value; runs with AOF always and noeviction', async () => {
    const connection = client();
    await connection.connect();
    await connection.set('greeting', 'hello');
    expect(await connection.get('greeting')).toBe('hello');
    expect(await connection.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    expect(await connection.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    connection.disconnect();
  });

  test('kill9 then restart keeps every acknowledged write, on the same port', async () => {
    const writer = client();
    await writer.connect();
    for (let i = 0; i < 200; i++) await writer.rpush('journal', `entry-${i}`);
    await writer.set('last', 'entry-199');

    await redis.kill9();
    await expect(writer.get('last')).rejects.toThrow();

    await redis.restart();
    const reader = client();
    await reader.connect();
    expect(await reader.llen('journal')).toBe(200);
    expect(await reader.get('last')).toBe('entry-199');
    reader.disconnect();
  });

  test('stop deletes the data dir and is idempotent', async () => {
    const other = await startRedis({ appendfsync: 'everysec' });
    expect(existsSync(other.dataDir)).toBe(true);
    await Promise.all([other.stop(), other.stop()]);
    await other.stop();
    expect(existsSync(other.dataDir)).toBe(false);
  });
});
