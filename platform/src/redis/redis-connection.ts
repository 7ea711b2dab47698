import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { redactUrl } from '../logging/redact-url';

/**
 * `producer`: request paths (HTTP handlers adding jobs, readiness checks) must fail fast when Redis is
 * down rather than hang a request. `worker`: BullMQ workers block on Redis and must ride out a restart,
 * so their commands wait and the connection retries forever.
 */
export type RedisRole = 'producer' | 'worker';

export interface RedisConnectionOptions {
  /** Errors and reconnects are logged here (ioredis would otherwise print unhandled `error` events). */
  readonly logger?: Logger;
  /** Shown in `CLIENT LIST`. */
  readonly connectionName?: string;
}

/** Reconnect delays grow exponentially to this ceiling; jitter spreads a fleet's reconnects apart. */
const MAX_RECONNECT_DELAY_MS = { producer: 2_000, worker: 5_000 } as const;

/** Exponential backoff with full jitter: delay in [base/2, base], base = min(cap, 50ms · 2^attempt). */
export function reconnectDelayMs(attempt: number, capMs: number, random: () => number = Math.random): number {
  const base = Math.min(capMs, 50 * 2 ** Math.min(attempt, 20));
  return Math.round(base / 2 + (random() * base) / 2);
}

export function redisOptionsFor(role: RedisRole, opts: RedisConnectionOptions = {}): RedisOptions {
  const common: RedisOptions = {
    connectionName: opts.connectionName,
    connectTimeout: 5_000,
    retryStrategy: (times) => reconnectDelayMs(times, MAX_RECONNECT_DELAY_MS[role]),
  };
  switch (role) {
    case 'producer':
      return { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 5_000 };
    case 'worker':
      return { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null };
  }
}

/**
 * An ioredis connection configured for its role (see `RedisRole`). Pass it to `createQueue` (producer)
 * or `createWorker` (worker); BullMQ duplicates it for blocking commands.
 */
export function createRedisConnection(url: string, role: RedisRole, opts: RedisConnectionOptions = {}): Redis {
  const connection = new Redis(url, redisOptionsFor(role, opts));
  const logger = opts.logger;
  // Without a logger ioredis prints unhandled `error` events itself, which is better than silence.
  if (!logger) return connection;
  const where = redactUrl(url);
  let lastErrorLoggedAt = 0;
  connection.on('error', (err: Error) => {
    // A Redis outage produces an error per reconnect attempt; one line per 5 s is enough to see it.
    const now = Date.now();
    if (now - lastErrorLoggedAt < 5_000) return;
    lastErrorLoggedAt = now;
    logger.warn({ redis: where, role, err: { message: redactUrl(err.message) } }, 'redis connection error');
  });
  connection.on('ready', () => logger.debug({ redis: where, role }, 'redis connection ready'));
  return connection;
}

/** The connection did not become ready in time. */
export class RedisNotReadyError extends Error {
  override readonly name = 'RedisNotReadyError';
}

/**
 * Resolves once `connection` is ready for commands. Needed before the first command on a producer
 * connection: with its offline queue off, commands sent while it is still connecting fail at once.
 */
export function waitForRedisReady(connection: Redis, timeoutMs = 5_000): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      connection.removeListener('ready', onReady);
      reject(new RedisNotReadyError(`Redis not ready within ${timeoutMs} ms (status ${connection.status})`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    connection.once('ready', onReady);
  });
}

/**
 * QUIT (pending replies are delivered first), falling back to a hard disconnect, and resolves once the
 * socket is closed. Idempotent.
 */
export async function closeRedisConnection(connection: Redis, timeoutMs = 2_000): Promise<void> {
  if (connection.status === 'end') return;
  const ended = new Promise<void>((resolve) => connection.once('end', () => resolve()));
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  if ((connection.status as string) !== 'end') connection.disconnect();
}
