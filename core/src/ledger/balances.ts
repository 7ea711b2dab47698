import type { AssetCode } from '../money/asset-code';
import type { Posting } from './posting';

/** Account → currency → balance (debit positive), derived from the postings; accounts that netted to zero stay listed. */
export function balances(postings: Iterable<Posting>): Map<string, Map<AssetCode, bigint>> {
  const result = new Map<string, Map<AssetCode, bigint>>();
  for (const posting of postings) {
    for (const entry of posting.entries) {
      let byCurrency = result.get(entry.account);
      if (byCurrency === undefined) {
        byCurrency = new Map();
        result.set(entry.account, byCurrency);
      }
      byCurrency.set(entry.currency, (byCurrency.get(entry.currency) ?? 0n) + entry.amount);
    }
  }
  return result;
}

/** Sum of all balances per currency: zero for every currency in a consistent ledger. */
export function trialBalance(accountBalances: ReadonlyMap<string, ReadonlyMap<AssetCode, bigint>>): Map<AssetCode, bigint> {
  const totals = new Map<AssetCode, bigint>();
  for (const byCurrency of accountBalances.values()) {
    for (const [currency, amount] of byCurrency) totals.set(currency, (totals.get(currency) ?? 0n) + amount);
  }
  return totals;
}
