import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { waitForRedisReady } from './redis-connection';

/** A Redis setting that can lose queued jobs. */
export interface RedisSettingFinding {
  readonly setting: 'maxmemory-policy' | 'persistence' | 'config-unreadable';
  readonly actual: string;
  readonly message: string;
}

/**
 * Reads the settings BullMQ's durability depends on and warns about each unsafe one: an eviction policy
 * other than `noeviction` silently deletes job keys under memory pressure, and with neither AOF nor RDB a
 * restart loses every queued job. Returns the findings (empty when the settings are safe).
 */
export async function checkRedisProductionSettings(connection: Redis, logger: Logger): Promise<RedisSettingFinding[]> {
  const findings: RedisSettingFinding[] = [];
  try {
    await waitForRedisReady(connection);
    const policy = await configGet(connection, 'maxmemory-policy');
    const appendonly = await configGet(connection, 'appendonly');
    const save = await configGet(connection, 'save');
    if (policy !== 'noeviction') {
      findings.push({
        setting: 'maxmemory-policy',
        actual: policy,
        message: `Redis maxmemory-policy is "${policy}": under memory pressure Redis evicts queue keys and jobs are lost; set it to noeviction`,
      });
    }
    if (appendonly !== 'yes' && save.trim() === '') {
      findings.push({
        setting: 'persistence',
        actual: `appendonly=${appendonly} save="${save}"`,
        message: 'Redis has neither AOF (appendonly) nor RDB snapshots (save) enabled: a Redis restart loses every queued job; enable appendonly yes',
      });
    }
  } catch (err) {
    // Managed Redis services often rename or disable CONFIG; say so rather than claim the settings are fine.
    findings.push({
      setting: 'config-unreadable',
      actual: err instanceof Error ? err.message : String(err),
      message: 'could not read Redis settings with CONFIG GET; make sure maxmemory-policy is noeviction and AOF is enabled',
    });
  }
  for (const finding of findings) logger.warn({ setting: finding.setting, actual: finding.actual }, finding.message);
  return findings;
}

async function configGet(connection: Redis, name: string): Promise<string> {
  const reply = (await connection.config('GET', name)) as unknown;
  if (Array.isArray(reply) && typeof reply[1] === 'string') return reply[1];
  throw new Error(`unexpected CONFIG GET ${name} reply`);
}
