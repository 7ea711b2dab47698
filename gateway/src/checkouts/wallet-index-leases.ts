import { performance } from 'node:perf_hooks';
import type { CryptoAsset, StoreId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { sql } from 'kysely';

export interface WalletIndexLeasesOptions {
  /**
   * The most indexes leased ahead of the waiting demand (default 64). Whatever is leased and not handed
   * out when the process stops is a gap in the wallet's addresses, so this bounds that gap.
   */
  readonly maxAhead?: number;
  /** Demand is the number of indexes handed out within this many milliseconds (default 50). */
  readonly demandWindowMs?: number;
  /** Monotonic milliseconds; tests pass their own. */
  readonly now?: () => number;
}

interface Waiter {
  resolve(index: number): void;
  reject(error: unknown): void;
}

/** A lease statement's share for one wallet: `count` indexes. */
interface LeaseRequest {
  readonly stock: WalletStock;
  readonly count: number;
}

/** One wallet's indexes in this process: given back, leased and not handed out, and who waits for one. */
class WalletStock {
  /** Indexes given back (never shown to anyone), smallest first: handed out again before leased ones. */
  readonly givenBack: number[] = [];
  /** Leased runs `[from, to)` not handed out yet, in increasing order. */
  readonly runs: { from: number; to: number }[] = [];
  readonly waiters: Waiter[] = [];
  /** Indexes asked for by the lease statement under way (0: none is). */
  leasing = 0;
  /** When each of the last `handedAt.length` indexes was handed out (a ring), to measure demand. */
  private readonly handedAt: number[];
  private ringNext = 0;

  constructor(
    readonly storeId: string,
    readonly asset: string,
    ringSize: number,
  ) {
    this.handedAt = Array.from({ length: ringSize }, () => Number.NEGATIVE_INFINITY);
  }

  available(): number {
    let count = this.givenBack.length;
    for (const run of this.runs) count += run.to - run.from;
    return count;
  }

  /** The next index to hand out (given back first, then leased in increasing order), or undefined. */
  next(now: number): number | undefined {
    let index = this.givenBack.shift();
    if (index === undefined) {
      const run = this.runs[0];
      if (run === undefined) return undefined;
      index = run.from;
      run.from += 1;
      if (run.from === run.to) this.runs.shift();
    }
    if (this.handedAt.length > 0) {
      this.handedAt[this.ringNext] = now;
      this.ringNext = (this.ringNext + 1) % this.handedAt.length;
    }
    return index;
  }

  /** How many indexes were handed out since `since` (at most the ring's size). */
  handedOutSince(since: number): number {
    let count = 0;
    for (const at of this.handedAt) if (at > since) count += 1;
    return count;
  }

  addRun(from: number, to: number): void {
    this.runs.push({ from, to });
  }

  giveBack(index: number): void {
    let at = this.givenBack.length;
    while (at > 0 && this.givenBack[at - 1]! > index) at -= 1;
    this.givenBack.splice(at, 0, index);
  }
}

/**
 * Hands out BIP32 derivation indexes of the stores' wallets from runs leased off the shared counter
 * (`store_wallet_indexes.next_index` counts indexes leased, by every gateway process), so that under
 * load a checkout takes its index without a statement of its own.
 *
 * The lease size adapts to demand: a lease takes exactly the indexes waited for, plus, when indexes were
 * handed out within the last `demandWindowMs`, about that many more (at most `maxAhead`) so that the
 * next takes find one at once; the wallet refills when fewer than half of that remain, before anyone has
 * to wait. A lone checkout after a quiet spell leases exactly one, as when every checkout leased its own,
 * so a restart of an idle gateway leaves no gap and one under load a gap of at most about `maxAhead`.
 * Each wallet has at most one lease under way (its runs arrive in increasing order), and the leases of
 * every wallet due within one turn of the event loop go to the database as one statement.
 *
 * An index is handed out to one taker only, and leases never overlap across processes sharing the
 * counter. An index given back (`giveBack`) must be one whose address was never stored nor shown;
 * anything in doubt is simply not given back, which leaves a gap and never reuses an address.
 */
export class WalletIndexLeases {
  private readonly wallets = new Map<string, WalletStock>();
  private readonly due = new Set<WalletStock>();
  private flushScheduled = false;
  private maxAhead: number;
  private readonly demandWindowMs: number;
  private readonly now: () => number;
  /** Lease statements under way, awaited by `close`. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    options: WalletIndexLeasesOptions = {},
  ) {
    this.maxAhead = options.maxAhead ?? 64;
    this.demandWindowMs = options.demandWindowMs ?? 50;
    this.now = options.now ?? (() => performance.now());
  }

  /** A derivation index of `storeId`'s `asset` wallet that no one else got; increasing, given-back ones first. */
  take(storeId: StoreId, asset: CryptoAsset): Promise<number> {
    const stock = this.stockOf(storeId, asset);
    const index = stock.waiters.length === 0 ? stock.next(this.now()) : undefined;
    if (index !== undefined) {
      this.refillIfLow(stock);
      return Promise.resolve(index);
    }
    return new Promise<number>((resolve, reject) => {
      stock.waiters.push({ resolve, reject });
      this.schedule(stock);
    });
  }

  /**
   * Returns `index`, taken from `take` and known to be unused (its address was never stored nor shown),
   * to be handed out again before any other.
   */
  giveBack(storeId: StoreId, asset: CryptoAsset, index: number): void {
    const stock = this.stockOf(storeId, asset);
    stock.giveBack(index);
    this.serveWaiters(stock);
  }

  private stockOf(storeId: string, asset: string): WalletStock {
    const walletKey = `${storeId}|${asset}`;
    let stock = this.wallets.get(walletKey);
    if (!stock) {
      stock = new WalletStock(storeId, asset, this.maxAhead);
      this.wallets.set(walletKey, stock);
    }
    return stock;
  }

  /** Indexes this wallet should lease now: the uncovered waiters, plus the demand ahead when stock runs low. */
  private leaseSize(stock: WalletStock): number {
    const stockAfterWaiters = stock.available() + stock.leasing - stock.waiters.length;
    const ahead = Math.min(this.maxAhead, stock.handedOutSince(this.now() - this.demandWindowMs));
    if (stockAfterWaiters >= 0 && stockAfterWaiters >= Math.floor(ahead / 2)) return 0;
    return ahead - stockAfterWaiters;
  }

  private refillIfLow(stock: WalletStock): void {
    if (this.leaseSize(stock) > 0) this.schedule(stock);
  }

  private schedule(stock: WalletStock): void {
    this.due.add(stock);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // The sizes are decided at the end of the turn, when every request of the turn has asked.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const requests: LeaseRequest[] = [];
    for (const stock of this.due) {
      // One lease per wallet at a time, so runs arrive in increasing order; when it is answered the
      // wallet is looked at again.
      if (stock.leasing > 0) continue;
      const count = this.leaseSize(stock);
      if (count <= 0) continue;
      stock.leasing += count;
      requests.push({ stock, count });
    }
    this.due.clear();
    if (requests.length > 0) {
      const leasing = this.lease(requests);
      this.inFlight.add(leasing);
      void leasing.finally(() => this.inFlight.delete(leasing));
    }
  }

  /**
   * Gives the shared counter back what this process leased and never handed out, where it can: for each
   * wallet, the tail of its last run, when no other process has leased after it (the counter still ends
   * that run). So a graceful restart under load leaves no gap beyond indexes given back, and one that
   * meets another gateway's later lease leaves the gap it would have left anyway. Call it once requests
   * have stopped (the HTTP server drained); a take after it still works, leasing exactly what it needs.
   */
  async close(): Promise<void> {
    this.maxAhead = 0;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const tails: { store_id: string; asset: string; back_to: number; leased_to: number }[] = [];
    for (const stock of this.wallets.values()) {
      const last = stock.runs[stock.runs.length - 1];
      if (last === undefined || stock.waiters.length > 0) continue;
      tails.push({ store_id: stock.storeId, asset: stock.asset, back_to: last.from, leased_to: last.to });
      stock.runs.pop();
    }
    if (tails.length === 0) return;
    await sql`
      UPDATE store_wallet_indexes AS w
         SET next_index = t.back_to
        FROM jsonb_to_recordset(${JSON.stringify(tails)}::jsonb) AS t(store_id text, asset text, back_to bigint, leased_to bigint)
       WHERE w.store_id = t.store_id AND w.asset = t.asset AND w.next_index = t.leased_to`.execute(this.db.kysely);
  }

  private async lease(requests: readonly LeaseRequest[]): Promise<void> {
    let rows: readonly { store_id: string; asset: string; next_index: string }[];
    try {
      rows = await this.leaseStatement(requests);
    } catch (error) {
      // One failing wallet must not fail the others: each alone again. A lease whose statement failed
      // may still have committed; its indexes are then a gap, never handed out.
      if (requests.length > 1) {
        await Promise.all(requests.map((request) => this.lease([request])));
        return;
      }
      for (const { stock, count } of requests) {
        stock.leasing -= count;
        this.failWaiters(stock, error);
      }
      return;
    }
    for (const { stock, count } of requests) {
      stock.leasing -= count;
      const row = rows.find((r) => r.store_id === stock.storeId && r.asset === stock.asset);
      if (!row) {
        this.failWaiters(stock, new Error(`the lease of ${stock.asset} for store ${stock.storeId} returned no counter`));
        continue;
      }
      const to = Number(row.next_index);
      stock.addRun(to - count, to);
      this.serveWaiters(stock);
    }
  }

  /** After a failed lease: its waiters fail (a take waits only while its wallet has no index in stock). */
  private failWaiters(stock: WalletStock, error: unknown): void {
    for (const waiter of stock.waiters.splice(0)) waiter.reject(error);
  }

  private serveWaiters(stock: WalletStock): void {
    while (stock.waiters.length > 0) {
      const index = stock.next(this.now());
      if (index === undefined) break;
      stock.waiters.shift()!.resolve(index);
    }
    this.refillIfLow(stock);
  }

  private async leaseStatement(requests: readonly LeaseRequest[]): Promise<{ store_id: string; asset: string; next_index: string }[]> {
    const statement = sql<{ store_id: string; asset: string; next_index: string }>`
      INSERT INTO store_wallet_indexes AS w (store_id, asset, next_index)
      -- Counters locked in one order by every statement: concurrent leases cannot deadlock.
      SELECT r.store_id, r.asset, r.n
        FROM jsonb_to_recordset(${JSON.stringify(requests.map(({ stock, count }) => ({ store_id: stock.storeId, asset: stock.asset, n: count })))}::jsonb)
          AS r(store_id text, asset text, n bigint)
       ORDER BY r.store_id, r.asset
      ON CONFLICT (store_id, asset) DO UPDATE SET next_index = w.next_index + EXCLUDED.next_index
      RETURNING w.store_id, w.asset, w.next_index`.compile(this.db.kysely);
    // Run under load several times a second, always the same text: parsed and planned once per connection.
    this.db.prepareOnce(statement.sql);
    return (await this.db.kysely.executeQuery(statement)).rows;
  }
}
