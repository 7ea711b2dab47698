import type { CheckoutId, CryptoAsset } from '@coinstile/core';
import { sql } from 'kysely';
import type { Database } from '@coinstile/platform';
import { asVerifierDb } from '../payments/verifier-schema';

/** A checkout's payment destination as the feed reads it. */
export interface WatchedAddress {
  readonly checkoutId: CheckoutId;
  readonly asset: CryptoAsset;
  readonly address: string;
  readonly createdAt: Date;
  readonly monitoringUntil: Date;
}

/** How long a hole in `address_seq` is re-queried: a transaction holding that number may still commit. */
const GAP_RETRY_MS = 60_000;
/** No checkout transaction stays open longer than this (the bound the re-reads above rely on). */
const IN_FLIGHT_MS = 60_000;
/** Holes remembered at most (a huge jump means rolled-back numbers, not transactions in flight). */
const MAX_GAPS = 10_000;
const LOAD_PAGE = 50_000;

/**
 * New checkout addresses for the given assets, by polling the indexed `checkouts.address_seq` (given by
 * a trigger when a checkout gets an address). Sequence numbers are handed out at INSERT but become visible
 * at COMMIT, so a lower number can appear after a higher one: every hole below the high-water mark is
 * re-queried for a minute, long past any checkout transaction. The initial load reads only what is still
 * watched (not every checkout ever made), so it cannot see holes: recent checkouts below its mark are
 * re-read for a minute instead.
 */
export class AddressFeed {
  #highWater = 0;
  readonly #gaps = new Map<number, number>();
  /** After `loadAll`: recent checkouts numbered below its mark are re-read until `untilMs`. */
  #recheck: { upTo: number; since: Date; untilMs: number } | undefined;
  /** Numbers already returned within the recheck window. */
  readonly #recheckSeen = new Set<number>();

  constructor(
    private readonly db: Database,
    private readonly assets: readonly CryptoAsset[],
  ) {}

  /**
   * Every address still to watch at `now` (its asset, not cancelled, monitoring window open), paged;
   * moves the mark to the highest number given so far. Numbers below it held by transactions still in
   * flight are invisible to this read: recent checkouts below the mark are re-read for a while.
   */
  async loadAll(now: Date): Promise<WatchedAddress[]> {
    const kysely = asVerifierDb(this.db.kysely);
    const top = await kysely.selectFrom('checkouts').select(sql<string | null>`max(address_seq)`.as('max')).executeTakeFirst();
    const mark = Number(top?.max ?? 0);
    const since = new Date(now.getTime() - IN_FLIGHT_MS);
    const all: WatchedAddress[] = [];
    let after = 0;
    for (;;) {
      const rows = await this.#select()
        .where('address_seq', '>', String(after))
        .where('address_seq', '<=', String(mark))
        .where('asset', 'in', [...this.assets])
        .where('status', '<>', 'cancelled')
        .where('monitoring_until', '>', now)
        .orderBy('address_seq')
        .limit(LOAD_PAGE)
        .execute();
      for (const r of rows) {
        all.push(toAddress(r));
        if (r.created_at >= since) this.#recheckSeen.add(Number(r.address_seq));
      }
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < LOAD_PAGE) break;
      after = Number(last.address_seq);
    }
    this.#highWater = Math.max(this.#highWater, mark);
    this.#recheck = { upTo: mark, since, untilMs: now.getTime() + IN_FLIGHT_MS };
    return all;
  }

  /** Addresses given since the last call (and late commits of numbers skipped before). */
  async poll(now: Date): Promise<WatchedAddress[]> {
    const nowMs = now.getTime();
    for (const [seq, until] of this.#gaps) if (until < nowMs) this.#gaps.delete(seq);
    const gaps = [...this.#gaps.keys()].map(String);
    const recheck = this.#recheck !== undefined && this.#recheck.untilMs >= nowMs ? this.#recheck : undefined;
    if (recheck === undefined) {
      this.#recheck = undefined;
      this.#recheckSeen.clear();
    }
    const rows = await this.#select()
      .where((eb) => {
        const conditions = [eb('address_seq', '>', String(this.#highWater))];
        if (gaps.length > 0) conditions.push(eb('address_seq', 'in', gaps));
        if (recheck !== undefined) {
          conditions.push(eb.and([eb('address_seq', '<=', String(recheck.upTo)), eb('created_at', '>=', recheck.since)]));
        }
        return eb.or(conditions);
      })
      .orderBy('address_seq')
      .execute();
    const fresh = rows.filter((r) => {
      const seq = Number(r.address_seq);
      if (recheck === undefined || seq > recheck.upTo) return true;
      if (this.#recheckSeen.has(seq)) return false;
      this.#recheckSeen.add(seq);
      return true;
    });
    this.#advance(fresh, nowMs);
    return fresh.filter((r) => this.#wanted(r, now)).map(toAddress);
  }

  /** Moves the mark over `rows` (in `address_seq` order), remembering the holes left below it. */
  #advance(rows: readonly { address_seq: string | null }[], nowMs: number): void {
    for (const r of rows) {
      const seq = Number(r.address_seq);
      if (this.#gaps.delete(seq)) continue;
      for (let missing = this.#highWater + 1; missing < seq && this.#gaps.size < MAX_GAPS; missing++) {
        this.#gaps.set(missing, nowMs + GAP_RETRY_MS);
      }
      if (seq > this.#highWater) this.#highWater = seq;
    }
  }

  /** Filtered here, not in SQL, so rows of other assets still move the mark and leave no false holes. */
  #wanted(r: { asset: string | null; status: string; monitoring_until: Date }, now: Date): boolean {
    return r.asset !== null && this.assets.includes(r.asset as CryptoAsset) && r.status !== 'cancelled' && r.monitoring_until > now;
  }

  #select() {
    return asVerifierDb(this.db.kysely)
      .selectFrom('checkouts')
      .select(['id', 'asset', 'address', 'status', 'created_at', 'monitoring_until', 'address_seq'])
      .where('address_seq', 'is not', null);
  }
}

function toAddress(r: { id: string; asset: string | null; address: string | null; created_at: Date; monitoring_until: Date }): WatchedAddress {
  return {
    checkoutId: r.id as CheckoutId,
    asset: r.asset as CryptoAsset,
    address: r.address ?? '',
    createdAt: r.created_at,
    monitoringUntil: r.monitoring_until,
  };
}
