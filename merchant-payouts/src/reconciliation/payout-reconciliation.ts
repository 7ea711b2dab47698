import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mallFiatCash, payoutsInTransit } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { sql } from 'kysely';
import { BANK_FILE_PROVIDER } from '../providers/bank-file-provider';
import { readPain001 } from '../providers/pain001-reader';

export type DiscrepancyKind =
  | 'ledger_unbalanced'
  | 'in_transit_mismatch'
  | 'paid_mismatch'
  | 'payable_mismatch'
  | 'escrow_mismatch'
  | 'payout_postings_mismatch'
  | 'bank_file_unreadable'
  | 'payout_missing_from_bank_file'
  | 'payout_in_bank_file_twice'
  | 'unknown_payout_in_bank_file'
  | 'bank_file_amount_mismatch'
  | 'bank_file_total_mismatch';

export interface Discrepancy {
  readonly kind: DiscrepancyKind;
  readonly currency?: string;
  readonly payoutId?: string;
  readonly file?: string;
  /** Minor units where the discrepancy is about an amount. */
  readonly expectedMinor?: bigint;
  readonly actualMinor?: bigint;
  readonly message: string;
}

/** One currency's figures; ledger balances are shown as what is owed / moved (positive numbers). */
export interface CurrencyReconciliation {
  readonly currency: string;
  readonly ledger: {
    /** What all stores are owed now (credit balance of their payable accounts). */
    readonly storePayableMinor: bigint;
    readonly storeEscrowMinor: bigint;
    readonly payoutsInTransitMinor: bigint;
    /** Paid out of the mall's cash by payouts (less returns). */
    readonly paidMinor: bigint;
  };
  /**
   * Sum of payout amounts per status. `refunded` payouts (held payouts of fully refunded escrow orders) are
   * their own category: never paid, in neither payable nor escrow.
   */
  readonly payouts: Readonly<Record<Status, { count: number; amountMinor: bigint }>>;
  /** Released orders whose payout row does not exist yet (the scheduler runs right after release). */
  readonly releasedWithoutPayoutMinor: bigint;
  readonly bankFiles: { readonly files: number; readonly transfers: number; readonly totalMinor: bigint; readonly expectedTotalMinor: bigint };
}

export interface ReconciliationReport {
  readonly generatedAt: Date;
  readonly currencies: readonly CurrencyReconciliation[];
  readonly discrepancies: readonly Discrepancy[];
  readonly clean: boolean;
}

export interface ReconcileOptions {
  /** The bank file provider's directory; bank files are not checked when absent. */
  readonly bankFileDirectory?: string;
  readonly now?: Date;
  /** Per-payout discrepancies listed at most; default 1,000 (the totals always show). */
  readonly maxListed?: number;
}

const STATUSES = ['reserved', 'scheduled', 'sent', 'paid', 'failed', 'returned', 'refunded'] as const;
type Status = (typeof STATUSES)[number];

/**
 * Compares the three records of what was paid: the ledger (store payable and escrow, payouts in
 * transit, cash paid out), the `payouts` rows, and the bank files on disk. Per currency:
 * - in transit = Σ `sent` payouts; cash paid = Σ `paid` payouts; payable = Σ `scheduled | failed |
 *   returned` payouts + released orders without a payout yet; escrow likewise for `reserved`;
 * - per payout, its own postings leave in transit = −amount (a credit) exactly when `sent`, and
 *   cash = −amount exactly when `paid`;
 * - every currency's trial balance is zero;
 * - every payout item a bank-file batch accepted is in that batch's file exactly once with its amount,
 *   every transfer in a file is such an item, and the files' sums agree with the items'.
 */
export async function reconcilePayouts(db: Database, opts: ReconcileOptions = {}): Promise<ReconciliationReport> {
  const maxListed = opts.maxListed ?? 1000;
  const discrepancies: Discrepancy[] = [];
  let listed = 0;
  const list = (d: Discrepancy) => {
    if (d.payoutId === undefined || listed++ < maxListed) discrepancies.push(d);
  };
  const k = db.kysely;

  const statusRows = await sql<{ currency: string; status: Status; n: string; total: string }>`
    SELECT currency, status, count(*)::text AS n, coalesce(sum(amount_minor), 0)::text AS total FROM payouts GROUP BY currency, status`.execute(k);
  const waitingRows = await sql<{ currency: string; escrow: boolean; total: string }>`
    SELECT r.currency, r.escrow, coalesce(sum(r.price_minor - r.fee_minor), 0)::text AS total
    FROM order_releases r WHERE NOT EXISTS (SELECT 1 FROM payouts p WHERE p.checkout_id = r.checkout_id)
    GROUP BY r.currency, r.escrow`.execute(k);
  const ledgerRows = await sql<{ currency: string; bucket: string; total: string }>`
    SELECT currency,
           CASE WHEN account LIKE 'store:%:payable' THEN 'payable' WHEN account LIKE 'store:%:escrow' THEN 'escrow'
                WHEN account = ${payoutsInTransit()} THEN 'in_transit' WHEN account = ${mallFiatCash()} THEN 'cash' END AS bucket,
           sum(amount)::text AS total
    FROM ledger_entries
    WHERE account LIKE 'store:%:payable' OR account LIKE 'store:%:escrow' OR account IN (${payoutsInTransit()}, ${mallFiatCash()})
    GROUP BY 1, 2`.execute(k);
  const trialRows = await sql<{ currency: string; total: string }>`
    SELECT currency, sum(amount)::text AS total FROM ledger_entries GROUP BY currency HAVING sum(amount) <> 0`.execute(k);
  for (const row of trialRows.rows) {
    discrepancies.push({ kind: 'ledger_unbalanced', currency: row.currency, actualMinor: BigInt(row.total), message: `Ledger entries in ${row.currency} sum to ${row.total}, not 0` });
  }

  // Per payout: what its own postings left in transit and in cash, against what its status says.
  const perPayout = await sql<{ id: string; currency: string; status: Status; amount_minor: string; in_transit: string; cash: string }>`
    SELECT p.id, p.currency, p.status, p.amount_minor::text AS amount_minor,
           coalesce(sum(e.amount) FILTER (WHERE e.account = ${payoutsInTransit()}), 0)::text AS in_transit,
           coalesce(sum(e.amount) FILTER (WHERE e.account = ${mallFiatCash()}), 0)::text AS cash
    FROM payouts p
    LEFT JOIN ledger_postings lp ON lp.payout_id = p.id
    LEFT JOIN ledger_entries e ON e.posting_id = lp.id AND e.currency = p.currency
    GROUP BY p.id`.execute(k);
  for (const row of perPayout.rows) {
    const amount = BigInt(row.amount_minor);
    // In transit is credited when a payout is sent (it is owed to the bank until paid), debited after.
    const wantTransit = row.status === 'sent' ? -amount : 0n;
    const wantCash = row.status === 'paid' ? -amount : 0n;
    if (BigInt(row.in_transit) !== wantTransit || BigInt(row.cash) !== wantCash) {
      list({
        kind: 'payout_postings_mismatch',
        currency: row.currency,
        payoutId: row.id,
        message: `Payout ${row.id} is ${row.status} but its postings leave ${row.in_transit} in transit (expected ${wantTransit}) and ${row.cash} in cash (expected ${wantCash})`,
      });
    }
  }

  const bankFiles = opts.bankFileDirectory === undefined ? new Map<string, BankFileTotals>() : await checkBankFiles(db, opts.bankFileDirectory, list, discrepancies);

  const currencies = new Set<string>([...statusRows.rows.map((r) => r.currency), ...waitingRows.rows.map((r) => r.currency), ...ledgerRows.rows.map((r) => r.currency), ...bankFiles.keys()]);
  const result: CurrencyReconciliation[] = [];
  for (const currency of [...currencies].sort()) {
    const payouts = Object.fromEntries(STATUSES.map((s) => [s, { count: 0, amountMinor: 0n }])) as Record<Status, { count: number; amountMinor: bigint }>;
    for (const r of statusRows.rows.filter((r) => r.currency === currency)) payouts[r.status] = { count: Number(r.n), amountMinor: BigInt(r.total) };
    const ledger = (bucket: string) => BigInt(ledgerRows.rows.find((r) => r.currency === currency && r.bucket === bucket)?.total ?? '0');
    const waiting = (escrow: boolean) => BigInt(waitingRows.rows.find((r) => r.currency === currency && r.escrow === escrow)?.total ?? '0');
    const figures: CurrencyReconciliation = {
      currency,
      ledger: { storePayableMinor: -ledger('payable'), storeEscrowMinor: -ledger('escrow'), payoutsInTransitMinor: -ledger('in_transit'), paidMinor: -ledger('cash') },
      payouts,
      releasedWithoutPayoutMinor: waiting(false) + waiting(true),
      bankFiles: bankFiles.get(currency) ?? { files: 0, transfers: 0, totalMinor: 0n, expectedTotalMinor: 0n },
    };
    result.push(figures);
    const compare = (kind: DiscrepancyKind, what: string, expected: bigint, actual: bigint) => {
      if (expected !== actual) discrepancies.push({ kind, currency, expectedMinor: expected, actualMinor: actual, message: `${currency} ${what}: payouts say ${expected}, ledger says ${actual}` });
    };
    compare('in_transit_mismatch', 'in transit', payouts.sent.amountMinor, figures.ledger.payoutsInTransitMinor);
    compare('paid_mismatch', 'paid', payouts.paid.amountMinor, figures.ledger.paidMinor);
    compare('payable_mismatch', 'payable to stores', payouts.scheduled.amountMinor + payouts.failed.amountMinor + payouts.returned.amountMinor + waiting(false), figures.ledger.storePayableMinor);
    compare('escrow_mismatch', 'held in escrow', payouts.reserved.amountMinor + waiting(true), figures.ledger.storeEscrowMinor);
    const files = figures.bankFiles;
    if (files.totalMinor !== files.expectedTotalMinor) {
      discrepancies.push({
        kind: 'bank_file_total_mismatch',
        currency,
        expectedMinor: files.expectedTotalMinor,
        actualMinor: files.totalMinor,
        message: `${currency} bank files add up to ${files.totalMinor}, accepted batch items to ${files.expectedTotalMinor}`,
      });
    }
  }
  return { generatedAt: opts.now ?? new Date(), currencies: result, discrepancies, clean: discrepancies.length === 0 };
}

interface BankFileTotals {
  files: number;
  transfers: number;
  totalMinor: bigint;
  expectedTotalMinor: bigint;
}

async function checkBankFiles(
  db: Database,
  directory: string,
  list: (d: Discrepancy) => void,
  discrepancies: Discrepancy[],
): Promise<Map<string, BankFileTotals>> {
  const totals = new Map<string, BankFileTotals>();
  const totalsFor = (currency: string) => {
    let t = totals.get(currency);
    if (!t) totals.set(currency, (t = { files: 0, transfers: 0, totalMinor: 0n, expectedTotalMinor: 0n }));
    return t;
  };
  const items = await sql<{ batch_id: string; payout_id: string; amount_minor: string; currency: string }>`
    SELECT i.batch_id, i.payout_id, i.amount_minor::text AS amount_minor, b.currency
    FROM payout_batch_items i JOIN payout_batches b ON b.id = i.batch_id
    WHERE b.provider = ${BANK_FILE_PROVIDER} AND i.outcome = 'accepted'`.execute(db.kysely);
  const expected = new Map<string, { amountMinor: bigint; currency: string; seen: number }>();
  for (const item of items.rows) {
    expected.set(`${item.batch_id}/${item.payout_id}`, { amountMinor: BigInt(item.amount_minor), currency: item.currency, seen: 0 });
    totalsFor(item.currency).expectedTotalMinor += BigInt(item.amount_minor);
  }

  const names = await readdir(directory).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  for (const name of names.filter((n) => n.endsWith('.pain001.xml')).sort()) {
    let file;
    try {
      file = readPain001(await readFile(join(directory, name), 'utf8'));
    } catch (err) {
      discrepancies.push({ kind: 'bank_file_unreadable', file: name, message: `${name}: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    const t = totalsFor(file.currency);
    t.files += 1;
    t.transfers += file.transfers.length;
    t.totalMinor += file.totalMinor;
    for (const transfer of file.transfers) {
      const want = expected.get(`${file.batchId}/${transfer.payoutId}`);
      if (!want) {
        list({ kind: 'unknown_payout_in_bank_file', file: name, payoutId: transfer.payoutId, actualMinor: transfer.amountMinor, message: `${name} pays ${transfer.payoutId}, which batch ${file.batchId} did not send` });
        continue;
      }
      want.seen += 1;
      if (want.seen > 1) list({ kind: 'payout_in_bank_file_twice', file: name, payoutId: transfer.payoutId, message: `${transfer.payoutId} appears more than once in ${name}` });
      if (want.amountMinor !== transfer.amountMinor || want.currency !== transfer.currency) {
        list({
          kind: 'bank_file_amount_mismatch',
          file: name,
          payoutId: transfer.payoutId,
          expectedMinor: want.amountMinor,
          actualMinor: transfer.amountMinor,
          message: `${name} pays ${transfer.amountMinor} ${transfer.currency} for ${transfer.payoutId}, the batch sent ${want.amountMinor} ${want.currency}`,
        });
      }
    }
  }
  for (const [key, want] of expected) {
    if (want.seen === 0) {
      const [batchId, payoutId] = key.split('/') as [string, string];
      list({ kind: 'payout_missing_from_bank_file', currency: want.currency, payoutId, expectedMinor: want.amountMinor, message: `${payoutId} was sent in bank-file batch ${batchId} but is in no file` });
    }
  }
  return totals;
}
