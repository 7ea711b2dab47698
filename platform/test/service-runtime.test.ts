import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import { Redis } from 'ioredis';
import { createServiceRuntime, loadConfig, type ServiceRuntime, startOpsServer } from '../src';
import { httpRequest } from './http-client';

describe('createServiceRuntime', () => {
  let dataDir: string;
  let runtime: ServiceRuntime | undefined;
  const logLines: string[] = [];
  const logDestination = { write: (l: string) => void logLines.push(l) };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-runtime-'));
    logLines.length = 0;
  });
  afterEach(async () => {
    await runtime?.lifecycle.shutdown('test over');
    runtime = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('on DATABASE_URL and REDIS_URL', () => {
    let postgres: PostgresServer;
    let redis: RedisServer;
    beforeAll(async () => {
      [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    }, 60_000);
    afterAll(async () => {
      await Promise.all([postgres?.stop(), redis?.stop()]);
    });

    it('connects, migrates, serves readiness, and shuts everything down in reverse order', async () => {
      const config = loadConfig({ DATABASE_URL: await postgres.createDatabase(), REDIS_URL: redis.url, COINSTILE_DATA_DIR: dataDir }, { cwd: dataDir });
      runtime = await createServiceRuntime(config, { service: 'test', logDestination });
      expect(runtime.embedded).toEqual({ database: false, redis: false });
      expect(runtime.redisUrl).toBe(redis.url);
      expect(runtime.db.engine).toBe('postgres');
      await runtime.db.ping();
      const worker = runtime.redisConnection('worker', 'worker-1');
      expect(worker.options.maxRetriesPerRequest).toBeNull();

      const server: Server = await startOpsServer(runtime, { port: 0 });
      const { port } = server.address() as AddressInfo;
      const ready = await httpRequest(port, '/readyz');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toMatchObject({ checks: { postgres: { status: 'ok' }, redis: { status: 'ok' } } });

      const report = await runtime.lifecycle.shutdown('test');
      expect(report.clean).toBe(true);
      expect(report.components.map((c) => c.name)).toEqual(['ops-http', 'database', 'redis-connections']);
      expect(worker.status).toBe('end');
      expect(runtime.redis.status).toBe('end');
      // The runtime's start log carries the configuration without its secrets.
      expect(logLines.join('')).toContain('"runtime started"');
    }, 30_000);

    it('waits at start-up for a PostgreSQL that is down (restarting with its host), instead of exiting', async () => {
      const config = loadConfig({ DATABASE_URL: await postgres.createDatabase(), REDIS_URL: redis.url, COINSTILE_DATA_DIR: dataDir }, { cwd: dataDir });
      await postgres.kill9();
      const starting = createServiceRuntime(config, { service: 'test', logDestination });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(logLines.join('')).toContain('database not available yet; waiting');
      await postgres.restart();
      runtime = await starting;
      await runtime.db.ping();
    }, 30_000);
  });

  it('on an empty environment starts embedded PGlite and redis-server in the data folder, and stops them', async () => {
    const config = loadConfig({ COINSTILE_DATA_DIR: dataDir }, { cwd: dataDir });
    runtime = await createServiceRuntime(config, { service: 'test', logDestination });
    expect(runtime.embedded).toEqual({ database: true, redis: true });
    expect(runtime.db.engine).toBe('pglite');
    expect(runtime.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await runtime.redis.ping()).toBe('PONG');
    await runtime.db.ping();

    const report = await runtime.lifecycle.shutdown('test');
    expect(report.clean).toBe(true);
    expect(report.components.map((c) => c.name)).toEqual(['database', 'redis-connections', 'embedded-redis']);
    const probe = new Redis(runtime.redisUrl, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
  }, 60_000);
});
