import { sql, type Kysely } from 'kysely';
import {
  buildPosting,
  type AssetCode,
  type CheckoutId,
  type LedgerPostingId,
  type LedgerRepository as LedgerRepositoryPort,
  type PaymentId,
  type PayoutId,
  type Posting,
  type PostingMeta,
  type StoreId,
} from '@coinstile/core';
import type { Database } from './database';
import type { DB } from './schema';

/** Account → currency → balance (debit positive), in each currency's smallest unit; as core's `balances()`. */
export type AccountBalances = Map<string, Map<AssetCode, bigint>>;

/**
 * The double-entry ledger. Postings come from core's `buildPosting` (balanced by construction); the
 * database checks the balance again at commit and refuses any change to a stored posting, and every
 * balance is derived from the entries, never stored.
 */
export class LedgerRepository implements LedgerRepositoryPort {
  constructor(private readonly db: Database) {}

  /**
   * Books `posting` (inside `executor`'s transaction when given, so it commits with the state change it
   * records). Returns false, writing nothing, when a posting with the same `meta.dedupeKey` is already
   * booked: a retried job books each business fact once.
   */
  async append(posting: Posting, executor?: Kysely<DB>): Promise<boolean> {
    const write = async (trx: Kysely<DB>): Promise<boolean> => (await appendPostings(trx, [posting])).has(posting.meta.postingId);
    return executor ? write(executor) : this.db.transaction(write);
  }

  /** The posting booked under `dedupeKey`, or null. */
  async findByDedupeKey(dedupeKey: string): Promise<Posting | null> {
    const posting = await this.db.kysely.selectFrom('ledger_postings').selectAll().where('dedupe_key', '=', dedupeKey).executeTakeFirst();
    if (!posting) return null;
    const entries = await this.db.kysely
      .selectFrom('ledger_entries')
      .select(['account', 'currency', 'amount'])
      .where('posting_id', '=', posting.id)
      .orderBy('id')
      .execute();
    const meta: PostingMeta = {
      postingId: posting.id as LedgerPostingId,
      dedupeKey: posting.dedupe_key,
      occurredAt: posting.occurred_at,
      ...(posting.store_id !== null ? { storeId: posting.store_id as StoreId } : {}),
      ...(posting.checkout_id !== null ? { checkoutId: posting.checkout_id as CheckoutId } : {}),
      ...(posting.payment_id !== null ? { paymentId: posting.payment_id as PaymentId } : {}),
      ...(posting.payout_id !== null ? { payoutId: posting.payout_id as PayoutId } : {}),
      ...(posting.memo !== null ? { memo: posting.memo } : {}),
    };
    return buildPosting(
      posting.kind,
      entries.map((e) => ({ account: e.account, currency: e.currency as AssetCode, amount: BigInt(e.amount) })),
      meta,
    );
  }

  /**
   * Balances derived from every entry (`SUM … GROUP BY account, currency`), only of `accounts` when
   * given. Accounts that netted to zero stay listed; accounts without entries are absent.
   */
  async balances(accounts?: readonly string[]): Promise<AccountBalances> {
    if (accounts !== undefined && accounts.length === 0) return new Map();
    return this.#derive(accounts === undefined ? undefined : { accounts });
  }

  /** As `balances`, for every account whose name starts with `prefix` (e.g. `store:st_…:`). */
  async balancesWithPrefix(prefix: string): Promise<AccountBalances> {
    return this.#derive({ prefix });
  }

  async #derive(filter?: { accounts?: readonly string[]; prefix?: string }): Promise<AccountBalances> {
    let q = this.db.kysely
      .selectFrom('ledger_entries')
      .select(['account', 'currency', (eb) => eb.fn.sum<string>('amount').as('balance')])
      .groupBy(['account', 'currency'])
      .orderBy('account')
      .orderBy('currency');
    if (filter?.accounts !== undefined) q = q.where('account', 'in', [...filter.accounts]);
    if (filter?.prefix !== undefined) q = q.where('account', 'like', `${escapeLike(filter.prefix)}%`);
    const result: AccountBalances = new Map();
    for (const row of await q.execute()) {
      let byCurrency = result.get(row.account);
      if (!byCurrency) {
        byCurrency = new Map();
        result.set(row.account, byCurrency);
      }
      byCurrency.set(row.currency as AssetCode, BigInt(row.balance));
    }
    return result;
  }

  /** Sum of every entry per currency: zero for each currency in a consistent ledger. */
  async trialBalance(): Promise<Map<AssetCode, bigint>> {
    const rows = await this.db.kysely
      .selectFrom('ledger_entries')
      .select(['currency', (eb) => eb.fn.sum<string>('amount').as('total')])
      .groupBy('currency')
      .execute();
    return new Map(rows.map((r) => [r.currency as AssetCode, BigInt(r.total)]));
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Rows per statement. Rows travel as one JSON document per statement (`jsonb_to_recordset`), parsed once
 * by PostgreSQL, so the bind-parameter limit does not apply and nothing is escaped row by row; the bound
 * keeps one statement's memory modest. The ledger's balance check runs once per statement (migration
 * 0018), so fewer, larger statements also mean fewer checks.
 */
const POSTINGS_PER_STATEMENT = 10_000;
const ENTRIES_PER_STATEMENT = 20_000;

/**
 * Books many postings in a few statements inside the caller's transaction (the pipeline and the payout
 * batches book thousands at once). As `LedgerRepository.append`, a posting whose dedupe key is already
 * booked is skipped with its entries; the database checks every posting's balance again at commit.
 * Returns the ids of the postings booked by this call.
 */
export async function appendPostings(executor: Kysely<DB>, postings: readonly Posting[]): Promise<Set<string>> {
  const booked = new Set<string>();
  for (let i = 0; i < postings.length; i += POSTINGS_PER_STATEMENT) {
    // Absent optional fields are left out of the JSON, so they arrive as NULL.
    const rows = JSON.stringify(
      postings.slice(i, i + POSTINGS_PER_STATEMENT).map(({ kind, meta }) => ({
        id: meta.postingId,
        kind,
        dedupe_key: meta.dedupeKey,
        occurred_at: meta.occurredAt.toISOString(),
        store_id: meta.storeId,
        checkout_id: meta.checkoutId,
        payment_id: meta.paymentId,
        payout_id: meta.payoutId,
        memo: meta.memo,
      })),
    );
    const inserted = await sql<{ id: string }>`
      INSERT INTO ledger_postings (id, kind, dedupe_key, occurred_at, store_id, checkout_id, payment_id, payout_id, memo)
      SELECT p.id, p.kind, p.dedupe_key, p.occurred_at, p.store_id, p.checkout_id, p.payment_id, p.payout_id, p.memo
      FROM jsonb_to_recordset(${rows}::jsonb) AS p(id text, kind text, dedupe_key text, occurred_at timestamptz, store_id text,
                                                 checkout_id text, payment_id text, payout_id text, memo text)
      ON CONFLICT (dedupe_key) DO NOTHING
      RETURNING id`.execute(executor);
    for (const row of inserted.rows) booked.add(row.id);
  }
  const entries = postings
    .filter((p) => booked.has(p.meta.postingId))
    .flatMap((p) => p.entries.map((e) => ({ posting_id: p.meta.postingId, account: e.account, currency: e.currency, amount: e.amount.toString() })));
  for (let i = 0; i < entries.length; i += ENTRIES_PER_STATEMENT) {
    await sql`
      INSERT INTO ledger_entries (posting_id, account, currency, amount)
      SELECT e.posting_id, e.account, e.currency, e.amount
      FROM jsonb_to_recordset(${JSON.stringify(entries.slice(i, i + ENTRIES_PER_STATEMENT))}::jsonb)
        AS e(posting_id text, account text, currency text, amount numeric)`.execute(executor);
  }
  return booked;
}
