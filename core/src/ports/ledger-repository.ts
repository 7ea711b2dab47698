import type { Posting } from '../ledger/posting';
import type { AssetCode } from '../money/asset-code';

/** The append-only double-entry ledger. Postings are never updated or deleted; balances are derived. */
export interface LedgerRepository {
  /**
   * Appends a posting (balanced by construction). Idempotent on `posting.meta.dedupeKey`: returns true
   * when written, false when a posting with that key already exists (nothing written).
   */
  append(posting: Posting): Promise<boolean>;
  /**
   * Account → currency → balance (debit positive) over every posting, restricted to `accounts` when
   * given. Same semantics as core's `balances`.
   */
  balances(accounts?: readonly string[]): Promise<Map<string, Map<AssetCode, bigint>>>;
}
