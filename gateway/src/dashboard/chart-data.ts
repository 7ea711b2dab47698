import type { Database } from '@coinstile/platform';
import { sql } from 'kysely';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Settled fiat value of one hour in one currency. */
export interface HourlyVolume {
  readonly hourStartMs: number;
  readonly currency: string;
  readonly priceMinor: bigint;
}

/**
 * The fiat value of the checkouts settled in each of the last 24 hours, per currency (the value locked at
 * quote time, in minor units). Hours without settlements are absent.
 */
export async function settledVolumePerHour(db: Database, now: Date): Promise<HourlyVolume[]> {
  const since = new Date(now.getTime() - DAY_MS);
  const rows = await db.kysely
    .selectFrom('checkouts')
    .where('settled_at', '>=', since)
    .where('settled_at', '<=', now)
    .groupBy([sql`date_trunc('hour', settled_at)`, 'currency'])
    .select([sql<Date>`date_trunc('hour', settled_at)`.as('hour'), 'currency', sql<string>`sum(price_minor)`.as('total')])
    .execute();
  return rows.map((r) => ({ hourStartMs: new Date(r.hour).getTime(), currency: r.currency, priceMinor: BigInt(r.total) }));
}

/** Upper bounds (seconds, exclusive) of the detection-latency buckets; the last bucket is open. */
export const LATENCY_BUCKET_BOUNDS_S = [1, 5, 15, 60, 300, 900, 3600] as const;

/** How many checkouts of the last 24 hours settled within each latency bucket. */
export interface LatencyHistogram {
  /** One count per bucket: below the first bound, between bounds, then at or above the last. */
  readonly counts: readonly number[];
  readonly total: number;
  /** The median, in milliseconds (null without settlements). */
  readonly medianMs: number | null;
  readonly p99Ms: number | null;
}

/**
 * Detection latency: from the moment the first payment of a checkout was seen (mempool or block) to the
 * checkout being `settled`, for the checkouts settled in the last 24 hours.
 */
export async function detectionLatency(db: Database, now: Date): Promise<LatencyHistogram> {
  const since = new Date(now.getTime() - DAY_MS);
  const bounds = `{${LATENCY_BUCKET_BOUNDS_S.join(',')}}`;
  const latencies = db.kysely
    .selectFrom('checkouts as c')
    .innerJoin('payments as p', 'p.checkout_id', 'c.id')
    .where('c.settled_at', '>=', since)
    .where('c.settled_at', '<=', now)
    .groupBy(['c.id', 'c.settled_at'])
    .select(sql<number>`greatest(0, extract(epoch FROM c.settled_at - min(p.first_seen_at)))`.as('seconds'));
  const [buckets, summary] = await Promise.all([
    db.kysely
      .selectFrom(latencies.as('l'))
      .groupBy(sql`1`)
      .select([sql<number>`width_bucket(l.seconds, ${bounds}::float8[])`.as('bucket'), sql<string>`count(*)`.as('count')])
      .execute(),
    db.kysely
      .selectFrom(latencies.as('l'))
      .select([
        sql<string>`count(*)`.as('total'),
        sql<number | null>`percentile_cont(0.5) WITHIN GROUP (ORDER BY l.seconds)`.as('median'),
        sql<number | null>`percentile_cont(0.99) WITHIN GROUP (ORDER BY l.seconds)`.as('p99'),
      ])
      .executeTakeFirstOrThrow(),
  ]);
  const counts = new Array<number>(LATENCY_BUCKET_BOUNDS_S.length + 1).fill(0);
  for (const row of buckets) counts[Number(row.bucket)] = Number(row.count);
  const ms = (seconds: number | string | null): number | null => (seconds === null ? null : Math.round(Number(seconds) * 1000));
  return { counts, total: Number(summary.total), medianMs: ms(summary.median), p99Ms: ms(summary.p99) };
}

/** The head of each chain the verifier follows (`chain_cursors`). */
export async function chainTips(db: Database): Promise<{ chain: string; height: bigint; blockHash: string; updatedAt: Date }[]> {
  const rows = await db.kysely.selectFrom('chain_cursors').selectAll().orderBy('chain').execute();
  return rows.map((r) => ({ chain: r.chain, height: BigInt(r.height), blockHash: r.block_hash, updatedAt: r.updated_at }));
}
