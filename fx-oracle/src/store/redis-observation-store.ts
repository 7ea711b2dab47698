import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parsePositiveDecimal } from '../fx-decimal';
import type { Observation } from '../observation';
import { pairKey, parsePairKey } from '../pair';
import type { ObservationStore, SourceHealth } from './observation-store';

const storedObservationSchema = z.object({
  value: z.string().refine((text) => parsePositiveDecimal(text) !== null),
  observedAtMs: z.number().nullable(),
  fetchedAtMs: z.number(),
  demo: z.boolean(),
});

const storedHealthSchema = z.object({
  source: z.string(),
  demo: z.boolean(),
  breaker: z.discriminatedUnion('status', [
    z.object({ status: z.literal('closed'), consecutiveFailures: z.number() }),
    z.object({ status: z.literal('open'), openedAtMs: z.number(), retryAtMs: z.number(), consecutiveFailures: z.number() }),
    z.object({ status: z.literal('half_open'), trialStartedAtMs: z.number(), consecutiveFailures: z.number() }),
  ]),
  lastSuccessAtMs: z.number().nullable(),
  lastFailureAtMs: z.number().nullable(),
  lastError: z
    .object({
      kind: z.enum(['timeout', 'network', 'http_status', 'error_body', 'malformed', 'invalid_value']),
      message: z.string(),
    })
    .nullable(),
});

/**
 * Writes one observation unless the stored one for the same (pair, source) was fetched later: with
 * several processes refreshing, a slow answer must not replace a newer value.
 * KEYS: pair hash, pairs set. ARGV: source, observation JSON, its fetchedAtMs, pair key.
 */
const SAVE_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, stored = pcall(cjson.decode, current)
  if ok and type(stored) == 'table' and tonumber(stored.fetchedAtMs) and tonumber(stored.fetchedAtMs) > tonumber(ARGV[3]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
return 1
`;

type RedisWithSaveIfNewer = Redis & {
  fxSaveObservationIfNewer(pairHash: string, pairsSet: string, source: string, json: string, fetchedAtMs: string, pair: string): Promise<number>;
};

/**
 * Observations in Redis: one hash per pair (`<prefix>fx:obs:BTC-USD`, field = source id, value = JSON
 * of the observation), a set of the pairs seen, and one hash of source health. All keys share the
 * prefix, so a hash-tagged prefix (`{coinstile}:`) keeps them in one Redis Cluster slot.
 */
export class RedisObservationStore implements ObservationStore {
  private readonly pairsKey: string;
  private readonly healthKey: string;

  private readonly redis: RedisWithSaveIfNewer;

  constructor(
    redis: Redis,
    private readonly keyPrefix = 'coinstile:',
  ) {
    this.pairsKey = `${keyPrefix}fx:pairs`;
    this.healthKey = `${keyPrefix}fx:sources`;
    if (!('fxSaveObservationIfNewer' in redis)) redis.defineCommand('fxSaveObservationIfNewer', { numberOfKeys: 2, lua: SAVE_IF_NEWER });
    this.redis = redis as RedisWithSaveIfNewer;
  }

  private pairHashKey(pair: string): string {
    return `${this.keyPrefix}fx:obs:${pair}`;
  }

  async saveObservations(observations: readonly Observation[]): Promise<void> {
    if (observations.length === 0) return;
    await Promise.all(
      observations.map((observation) => {
        const key = pairKey(observation.pair);
        const stored = {
          value: observation.value,
          observedAtMs: observation.observedAtMs,
          fetchedAtMs: observation.fetchedAtMs,
          demo: observation.demo,
        };
        // ioredis sends these back to back without waiting for each reply.
        return this.redis.fxSaveObservationIfNewer(
          this.pairHashKey(key),
          this.pairsKey,
          observation.source,
          JSON.stringify(stored),
          String(observation.fetchedAtMs),
          key,
        );
      }),
    );
  }

  async loadObservations(): Promise<Observation[]> {
    const pairs = (await this.redis.smembers(this.pairsKey)).sort();
    if (pairs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const pair of pairs) pipeline.hgetall(this.pairHashKey(pair));
    const results = (await pipeline.exec()) ?? [];
    const observations: Observation[] = [];
    pairs.forEach((key, index) => {
      const [error, hash] = results[index] ?? [null, null];
      if (error) throw error;
      const pair = parsePairKey(key);
      for (const [source, json] of Object.entries((hash ?? {}) as Record<string, string>)) {
        const stored = storedObservationSchema.safeParse(safeJson(json));
        // A value this version cannot read (written by another version, or damaged) is not a rate.
        if (!stored.success) continue;
        observations.push({ source, pair, ...stored.data });
      }
    });
    return observations;
  }

  async saveSourceHealth(health: SourceHealth): Promise<void> {
    await this.redis.hset(this.healthKey, health.source, JSON.stringify(health));
  }

  async loadSourceHealth(): Promise<SourceHealth[]> {
    const hash = await this.redis.hgetall(this.healthKey);
    const health: SourceHealth[] = [];
    for (const json of Object.values(hash)) {
      const parsed = storedHealthSchema.safeParse(safeJson(json));
      if (parsed.success) health.push(parsed.data);
    }
    return health.sort((a, b) => a.source.localeCompare(b.source));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
