import type { Clock, RandomSource } from '@coinstile/core';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config-schema';
import { type Database, migrateToLatest, openDatabase } from '../db';
import { isDependencyUnavailable } from '../system/dependency-unavailable';
import { postgresReadinessCheck, type ReadinessCheck, redisReadinessCheck } from '../http/health-router';
import { closeableComponent } from '../lifecycle/components';
import { Lifecycle } from '../lifecycle/lifecycle';
import { createLogger, type Logger } from '../logging/create-logger';
import { createMetrics, type Metrics } from '../metrics/metrics';
import { startEmbeddedRedis } from '../redis/embedded-redis-server';
import { closeRedisConnection, createRedisConnection, type RedisRole, waitForRedisReady } from '../redis/redis-connection';
import { checkRedisProductionSettings } from '../redis/redis-production-check';
import { cryptoRandomSource, systemClock } from '../system';

/** Everything a Coinstile service shares, started and registered for shutdown in dependency order. */
export interface ServiceRuntime {
  readonly service: string;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  /** The store of record, migrated to the latest schema. */
  readonly db: Database;
  /** The Redis in use (REDIS_URL or the embedded server), credentials intact: never log it unredacted. */
  readonly redisUrl: string;
  /** A fail-fast producer connection (queues, readiness), closed on shutdown. */
  readonly redis: Redis;
  /** Postgres `ping` and Redis `PING`, for `healthRouter`. */
  readonly readinessChecks: readonly ReadinessCheck[];
  /** Which stores this process started itself (no DATABASE_URL / REDIS_URL). */
  readonly embedded: { readonly database: boolean; readonly redis: boolean };
  readonly clock: Clock;
  readonly random: RandomSource;
  /** A new connection for `role` (workers need their own), closed on shutdown. */
  redisConnection(role: RedisRole, connectionName: string): Redis;
}

export interface CreateServiceRuntimeOptions {
  /** Labels logs and metrics, e.g. `gateway`; `coinstile` when everything runs in one process. */
  readonly service: string;
  /** Apply pending migrations at start (default true; the migration lock makes concurrent starts safe). */
  readonly migrate?: boolean;
  /** Tests capture logs here; default stdout. */
  readonly logDestination?: { write(line: string): void };
}

/**
 * Starts what every service needs from `config`: logger, metrics, lifecycle, Redis (REDIS_URL, or an
 * embedded redis-server in the data folder) and the database (DATABASE_URL, or embedded PGlite), each
 * registered with the lifecycle so shutdown closes them in reverse. If a step fails, what was started
 * is stopped again before the error is rethrown (e.g. `RedisServerMissingError`).
 */
export async function createServiceRuntime(config: Config, opts: CreateServiceRuntimeOptions): Promise<ServiceRuntime> {
  const logger = createLogger(config, {
    base: { service: opts.service },
    ...(opts.logDestination ? { destination: opts.logDestination } : {}),
  });
  const lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: config.shutdownTimeoutMs });
  const metrics = createMetrics({ defaultLabels: { service: opts.service } });
  try {
    let redisUrl: string;
    if (config.redisUrl === undefined) {
      const embeddedRedis = await startEmbeddedRedis(config.dataDir, logger);
      lifecycle.register(closeableComponent('embedded-redis', () => embeddedRedis.stop()));
      redisUrl = embeddedRedis.url;
    } else {
      redisUrl = config.redisUrl;
    }
    const connections: Redis[] = [];
    const redisConnection = (role: RedisRole, connectionName: string): Redis => {
      const connection = createRedisConnection(redisUrl, role, { logger, connectionName: `${opts.service}:${connectionName}` });
      connections.push(connection);
      return connection;
    };
    // One component closes every connection, including those created later by the services: it is
    // registered before them, so their queues and workers are closed before their connections.
    lifecycle.register(
      closeableComponent(
        'redis-connections',
        () => Promise.all(connections.map((c) => closeRedisConnection(c))),
        () => connections.forEach((c) => c.disconnect()),
      ),
    );
    const redis = redisConnection('producer', 'producer');
    await waitForRedisReady(redis, 10_000);
    if (config.redisUrl !== undefined) await checkRedisProductionSettings(redis, logger);

    const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger });
    lifecycle.register(closeableComponent('database', () => db.close()));
    if (opts.migrate ?? true) {
      const applied = await whileStarting(() => migrateToLatest(db), logger);
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    }

    logger.info({ config }, 'runtime started');
    return {
      service: opts.service,
      config,
      logger,
      metrics,
      lifecycle,
      db,
      redisUrl,
      redis,
      readinessChecks: [postgresReadinessCheck(db), redisReadinessCheck(redis)],
      embedded: { database: config.databaseUrl === undefined, redis: config.redisUrl === undefined },
      clock: systemClock(),
      random: cryptoRandomSource,
      redisConnection,
    };
  } catch (err) {
    await lifecycle.shutdown('start-up failed');
    throw err;
  }
}

/** How long a service waits at start-up for a PostgreSQL that is restarting or not yet accepting connections. */
const DATABASE_START_WAIT_MS = 60_000;

/**
 * Runs `step` until PostgreSQL answers: a process restarted by its supervisor while the database restarts
 * too (a host reboot, a failover) waits for it with capped, jittered backoff instead of exiting, up to
 * `DATABASE_START_WAIT_MS`. Any other error fails at once.
 */
async function whileStarting<T>(step: () => Promise<T>, logger: Logger): Promise<T> {
  const deadline = Date.now() + DATABASE_START_WAIT_MS;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await step();
    } catch (err) {
      if (!isDependencyUnavailable(err) || Date.now() >= deadline) throw err;
      const delayMs = Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
      logger.warn({ err: err instanceof Error ? err.message : String(err), retryInMs: Math.round(delayMs) }, 'database not available yet; waiting');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
