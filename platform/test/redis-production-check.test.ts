import { startRedis, type RedisServer } from '@coinstile/testkit';
import type { Redis } from 'ioredis';
import { checkRedisProductionSettings, createLogger, createRedisConnection, waitForRedisReady } from '../src';

describe('checkRedisProductionSettings', () => {
  let server: RedisServer;
  let connection: Redis;
  const lines: string[] = [];
  const logger = createLogger({ logLevel: 'info' }, { destination: { write: (l: string) => void lines.push(l) } });

  beforeAll(async () => {
    server = await startRedis();
    connection = createRedisConnection(server.url, 'producer', { logger });
    await waitForRedisReady(connection);
  });
  afterAll(async () => {
    connection?.disconnect();
    await server?.stop();
  });
  beforeEach(async () => {
    lines.length = 0;
    await connection.config('SET', 'maxmemory-policy', 'noeviction');
    await connection.config('SET', 'appendonly', 'yes');
    await connection.config('SET', 'save', '');
  });

  it('is silent on noeviction with AOF', async () => {
    expect(await checkRedisProductionSettings(connection, logger)).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('is silent on noeviction with RDB snapshots only', async () => {
    await connection.config('SET', 'appendonly', 'no');
    await connection.config('SET', 'save', '3600 1');
    expect(await checkRedisProductionSettings(connection, logger)).toEqual([]);
  });

  it('warns on an evicting policy', async () => {
    await connection.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const findings = await checkRedisProductionSettings(connection, logger);
    expect(findings).toEqual([expect.objectContaining({ setting: 'maxmemory-policy', actual: 'allkeys-lru' })]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', setting: 'maxmemory-policy' });
  });

  it('warns when neither AOF nor RDB persistence is on', async () => {
    await connection.config('SET', 'appendonly', 'no');
    const findings = await checkRedisProductionSettings(connection, logger);
    expect(findings.map((f) => f.setting)).toEqual(['persistence']);
    expect(lines).toHaveLength(1);
  });
});
