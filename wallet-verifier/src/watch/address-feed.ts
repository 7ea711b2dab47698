import type { CheckoutId, CryptoAsset } from '@coinstile/core';
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
/** Holes remembered at most (a huge jump means rolled-back numbers, not transactions in flight). */
const MAX_GAPS = 10_000;
const LOAD_PAGE = 50_000;

/**
 * New checkout addresses for the given assets, by polling the indexed `checkouts.address_seq` (given by
 * a trigger when a checkout gets an address). Sequence numbers are handed out at INSERT but become visible
 * at COMMIT, so a lower number can appear after a higher one: every hole below the high-water mark is
 * re-queried for a minute, long past any checkout transaction.
 */
export class AddressFeed {
  #highWater = 0;
  readonly #gaps = new Map<number, number>();

  constructor(
    private readonly db: Database,
    private readonly assets: readonly CryptoAsset[],
  ) {}

  /** Every address still to watch at `now` (monitoring window open, not cancelled), paged; sets the mark. */
  async loadAll(now: Date): Promise<WatchedAddress[]> {
    const all: WatchedAddress[] = [];
    for (;;) {
      const rows = await this.#select()
        .where('address_seq', '>', String(this.#highWater))
        .orderBy('address_seq')
        .limit(LOAD_PAGE)
        .execute();
      this.#advance(rows, now.getTime());
      for (const r of rows) if (this.#wanted(r, now)) all.push(toAddress(r));
      if (rows.length < LOAD_PAGE) break;
    }
    return all;
  }

  /** Addresses given since the last call (and late commits of numbers skipped before). */
  async poll(now: Date): Promise<WatchedAddress[]> {
    const nowMs = now.getTime();
    for (const [seq, until] of this.#gaps) if (until < nowMs) this.#gaps.delete(seq);
    const gaps = [...this.#gaps.keys()].map(String);
    const rows = await this.#select()
      .where((eb) =>
        gaps.length === 0
          ? eb('address_seq', '>', String(this.#highWater))
          : eb.or([eb('address_seq', '>', String(this.#highWater)), eb('address_seq', 'in', gaps)]),
      )
      .orderBy('address_seq')
      .execute();
    this.#advance(rows, nowMs);
    return rows.filter((r) => this.#wanted(r, now)).map(toAddress);
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
