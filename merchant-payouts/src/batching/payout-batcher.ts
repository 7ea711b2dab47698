import {
  nextId,
  type Clock,
  type FiatCurrency,
  type PayoutAccount,
  type PayoutBatchId,
  type PayoutId,
  type PayoutInstruction,
  type PayoutProvider,
  type PayoutSubmission,
  type RandomSource,
  type StoreId,
} from '@coinstile/core';
import { jsonText, type Database } from '@coinstile/platform';
import { sql } from 'kysely';
import { batchKysely, type PayoutBatchesTable } from './payout-batch-schema';
import { movePayouts, type PayoutMoveRequest } from './payout-transitions';
import { ClaimProgress } from './claim-progress';

/** What routing sees of a due payout. */
export interface RoutablePayout {
  readonly payoutId: PayoutId;
  readonly storeId: StoreId;
  readonly currency: FiatCurrency;
  readonly amountMinor: bigint;
  /** `iban`, `jp_zengin`, … as stored with the store. */
  readonly accountKind: string;
}

/** Picks the provider (by `PayoutProvider.name`) that pays a payout. */
export type PayoutRoute = (payout: RoutablePayout) => string;

export interface PayoutBatcherOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly providers: readonly PayoutProvider[];
  /** Default: every payout to the first provider. */
  readonly route?: PayoutRoute;
  /** Payouts per batch (and so per bank file); default 5,000. */
  readonly maxBatchSize?: number;
  /** Due payouts looked at per `createBatches`; default 50,000. */
  readonly maxCandidates?: number;
  /** Failed submissions of a batch before it is held for the operator; default 8. */
  readonly maxSubmitAttempts?: number;
  /** Backoff between submissions: doubling from `submitBackoffMs` (default 30 s) up to 1 h, with jitter. */
  readonly submitBackoffMs?: number;
  /** Batches submitted at once by `submitDue`; default 2. */
  readonly submitConcurrency?: number;
  /** How long one submitter owns a batch before another may take it over; default 5 min. */
  readonly submitLeaseMs?: number;
}

export interface BatchSubmitOutcome {
  readonly batchId: PayoutBatchId;
  readonly result: 'submitted' | 'retry_later' | 'held';
  readonly sent: number;
  readonly paid: number;
  readonly refused: number;
  readonly error?: string;
}

/** A due payout picked for a batch. */
interface Candidate {
  readonly payoutId: string;
  readonly amountMinor: bigint;
}

type StoredAccount = { kind?: unknown; iban?: unknown; bic?: unknown; holderName?: unknown };

/** The IBAN account of a store, or why it cannot be paid by credit transfer. */
function creditTransferAccount(stored: unknown): { account: PayoutAccount } | { refusal: string; kind: string } {
  const body = (typeof stored === 'object' && stored !== null ? stored : {}) as StoredAccount;
  const kind = typeof body.kind === 'string' ? body.kind : typeof body.iban === 'string' ? 'iban' : 'unknown';
  if (kind === 'jp_zengin') {
    return {
      kind,
      refusal:
        'unsupported_account: the store is paid to a Japanese jp_zengin account and Coinstile does not write Zengin (全銀) transfer files; ' +
        'pay it by hand, or give the store an IBAN account, then retry the payout',
    };
  }
  if (kind !== 'iban' || typeof body.iban !== 'string' || typeof body.holderName !== 'string') {
    return { kind, refusal: `unsupported_account: payout account kind ${kind} cannot be paid by credit transfer` };
  }
  return { account: { iban: body.iban, holderName: body.holderName, ...(typeof body.bic === 'string' ? { bic: body.bic } : {}) } };
}

/**
 * Groups due `scheduled` payouts per (provider, currency) into batches and hands each batch to its
 * provider; then moves every payout with compare-and-set (`payout-transitions.ts`), booking the ledger
 * and writing the outbox event in the same transaction.
 *
 * Never paid twice: a payout is claimed into a batch by inserting its `payout_batch_items` row, and
 * `payout_batch_items (payout_id, attempt)` is unique, so concurrent batchers claim disjoint sets (the
 * `payouts` row is written once, when the batch sends it, with the batch id and provider); only the
 * batch holding its current attempt can move it, and it gets a new attempt (free for a new batch) only
 * through an explicit operator retry after it failed or was returned. A batch is submitted under a lease, and
 * providers are idempotent per batch and payout, so a crash mid-submission resubmits the same batch.
 */
export class PayoutBatcher {
  readonly #providers: ReadonlyMap<string, PayoutProvider>;
  readonly #route: PayoutRoute;

  private readonly options: PayoutBatcherOptions;

  constructor(options: PayoutBatcherOptions) {
    const [first] = options.providers;
    if (!first) throw new RangeError('PayoutBatcher needs at least one provider');
    this.#providers = new Map(options.providers.map((p) => [p.name, p]));
    this.#route = options.route ?? (() => first.name);
    this.options = options;
  }

  /** Batches every due payout (up to `maxCandidates`); returns the new batch ids. */
  async createBatches(): Promise<PayoutBatchId[]> {
    return this.#createBatches(() => undefined);
  }

  async #createBatches(onBatchCreated: () => void): Promise<PayoutBatchId[]> {
    const { db, clock } = this.options;
    const now = clock.now();
    const due = await batchKysely(db)
      .selectFrom('payouts')
      .innerJoin('stores', 'stores.id', 'payouts.store_id')
      .select(['payouts.id', 'payouts.store_id', 'payouts.currency', 'payouts.amount_minor'])
      .where('payouts.status', '=', 'scheduled')
      .where('payouts.batch_id', 'is', null)
      .where('payouts.due_at', '<=', now)
      // Not claimed yet: its current attempt is in no batch.
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('payout_batch_items as i').select('i.payout_id').whereRef('i.payout_id', '=', 'payouts.id').whereRef('i.attempt', '=', 'payouts.attempt'),
          ),
        ),
      )
      // Only verified stores are paid: a suspended store's payouts wait, scheduled, until it is active again.
      .where('stores.status', '=', 'active')
      .orderBy('payouts.due_at')
      .limit(this.options.maxCandidates ?? 50_000)
      .execute();

    const accounts = await this.#accountsOf(due.map((row) => row.store_id));
    const refusals: PayoutMoveRequest[] = [];
    const groups = new Map<string, { provider: string; currency: string; candidates: Candidate[] }>();
    for (const row of due) {
      const checked = accounts.get(row.store_id) ?? creditTransferAccount(undefined);
      if ('refusal' in checked) {
        refusals.push({ payoutId: row.id, failureReason: checked.refusal });
        continue;
      }
      const provider = this.#route({
        payoutId: row.id as PayoutId,
        storeId: row.store_id as StoreId,
        currency: row.currency as FiatCurrency,
        amountMinor: BigInt(row.amount_minor),
        accountKind: 'iban',
      });
      if (!this.#providers.has(provider)) throw new RangeError(`Payout route chose unknown provider ${provider}`);
      const key = `${provider}\u0000${row.currency}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { provider, currency: row.currency, candidates: [] }));
      group.candidates.push({ payoutId: row.id, amountMinor: BigInt(row.amount_minor) });
    }
    if (refusals.length > 0) await db.transaction((trx) => movePayouts(trx, this.options, 'refuse', refusals, { onlyInBatch: null }));

    const created: PayoutBatchId[] = [];
    const size = this.options.maxBatchSize ?? 5000;
    for (const group of groups.values()) {
      for (let i = 0; i < group.candidates.length; i += size) {
        const batchId = await this.#claim(group.provider, group.currency, group.candidates.slice(i, i + size), now);
        if (batchId === null) continue;
        created.push(batchId);
        onBatchCreated();
      }
    }
    return created;
  }

  /** Each store's payout account checked for credit transfer, read once per store rather than once per payout. */
  async #accountsOf(storeIds: readonly string[]): Promise<Map<string, ReturnType<typeof creditTransferAccount>>> {
    const distinct = [...new Set(storeIds)];
    const accounts = new Map<string, ReturnType<typeof creditTransferAccount>>();
    if (distinct.length === 0) return accounts;
    const rows = await sql<{ id: string; payout_account: unknown }>`
      SELECT id, payout_account FROM stores WHERE id = ANY(${distinct}::text[])`.execute(this.options.db.kysely);
    for (const row of rows.rows) accounts.set(row.id, creditTransferAccount(row.payout_account));
    return accounts;
  }

  /**
   * Claims `candidates` into a new batch: one `payout_batch_items` row per payout attempt, nothing
   * written to `payouts` (the send writes the row once). `UNIQUE (payout_id, attempt)` decides: a
   * payout another batcher claimed first is skipped (`ON CONFLICT DO NOTHING`; a claim still in flight
   * is waited for), so concurrent batchers claim disjoint sets. Rows are inserted in id order, so two
   * claims never wait on each other in a cycle.
   */
  async #claim(provider: string, currency: string, candidates: readonly Candidate[], now: Date): Promise<PayoutBatchId | null> {
    const batchId = nextId('pb', this.options.clock, this.options.random);
    const expectedTotal = candidates.reduce((sum, c) => sum + c.amountMinor, 0n);
    return this.options.db.transaction(async (trx) => {
      const db = batchKysely(trx);
      // The batch row comes first (items reference it), sized for every candidate; corrected below when
      // another batcher, a refusal or a suspension took some of them in the meantime.
      await db
        .insertInto('payout_batches')
        .values({
          id: batchId,
          provider,
          currency,
          status: 'pending',
          payout_count: candidates.length,
          total_minor: expectedTotal.toString(),
          submit_attempts: 0,
          next_attempt_at: now,
          last_error: null,
          created_at: now,
          submitted_at: null,
          updated_at: now,
        })
        .execute();
      const claimed = await sql<{ count: number; total_minor: string }>`
        WITH claimed AS (
          INSERT INTO payout_batch_items (batch_id, payout_id, attempt, amount_minor, outcome, provider_reference)
          SELECT ${batchId}, p.id, p.attempt, p.amount_minor, 'pending', NULL
          FROM payouts AS p JOIN stores AS s ON s.id = p.store_id
          WHERE p.id = ANY(${candidates.map((c) => c.payoutId)}::text[]) AND p.status = 'scheduled' AND s.status = 'active'
          ORDER BY p.id
          ON CONFLICT (payout_id, attempt) DO NOTHING
          RETURNING amount_minor
        )
        SELECT count(*)::int AS count, coalesce(sum(amount_minor), 0)::text AS total_minor FROM claimed`.execute(trx);
      const { count, total_minor } = claimed.rows[0] ?? { count: 0, total_minor: '0' };
      if (count === 0) {
        await db.deleteFrom('payout_batches').where('id', '=', batchId).execute();
        return null;
      }
      if (count === candidates.length && BigInt(total_minor) === expectedTotal) return batchId;
      await db.updateTable('payout_batches').set({ payout_count: count, total_minor }).where('id', '=', batchId).execute();
      return batchId;
    });
  }

  /** Submits pending batches whose time has come, `submitConcurrency` at a time, until none is left. */
  async submitDue(): Promise<BatchSubmitOutcome[]> {
    return this.#submitDue(null);
  }

  /** `submitDue`; while `claims` is still creating batches, a worker with nothing to lease waits for the next one. */
  async #submitDue(claims: ClaimProgress | null): Promise<BatchSubmitOutcome[]> {
    const outcomes: BatchSubmitOutcome[] = [];
    const worker = async () => {
      for (;;) {
        const seen = claims?.generation;
        const batch = await this.#leaseNext();
        if (batch) {
          outcomes.push(await this.#submit(batch));
          continue;
        }
        if (claims === null || claims.finished) return;
        await claims.changedSince(seen ?? 0);
      }
    };
    await Promise.all(Array.from({ length: this.options.submitConcurrency ?? 2 }, worker));
    return outcomes;
  }

  /** Takes the next due pending batch under a lease (a compare-and-set on its next attempt time). */
  async #leaseNext(): Promise<PayoutBatchesTable | undefined> {
    const now = this.options.clock.now();
    const leaseUntil = new Date(now.getTime() + (this.options.submitLeaseMs ?? 300_000));
    const result = await sql<PayoutBatchesTable>`
      UPDATE payout_batches SET next_attempt_at = ${leaseUntil}, submit_attempts = submit_attempts + 1, updated_at = ${now}
      WHERE id = (SELECT id FROM payout_batches WHERE status = 'pending' AND next_attempt_at <= ${now}
                  ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING *`.execute(this.options.db.kysely);
    return result.rows[0];
  }

  async #submit(batch: PayoutBatchesTable): Promise<BatchSubmitOutcome> {
    const { db } = this.options;
    const batchId = batch.id as PayoutBatchId;
    const provider = this.#providers.get(batch.provider);
    const items = await batchKysely(db)
      .selectFrom('payout_batch_items')
      .innerJoin('payouts', 'payouts.id', 'payout_batch_items.payout_id')
      .innerJoin('checkouts', 'checkouts.id', 'payouts.checkout_id')
      .select([
        'payouts.id',
        'payouts.store_id',
        'payouts.currency',
        'payouts.status',
        'payouts.attempt',
        'payout_batch_items.attempt as item_attempt',
        'payout_batch_items.amount_minor',
        'checkouts.order_id',
      ])
      .where('payout_batch_items.batch_id', '=', batchId)
      .orderBy('payouts.id')
      .execute();
    const accounts = await this.#accountsOf(items.map((item) => item.store_id));
    const instructions: PayoutInstruction[] = [];
    for (const item of items) {
      // Only the attempt this batch claimed, still waiting to be sent, goes to the provider.
      if (item.status !== 'scheduled' || item.attempt !== item.item_attempt) continue;
      const checked = accounts.get(item.store_id) ?? creditTransferAccount(undefined);
      if ('refusal' in checked) continue; // changed since batching: the provider answers nothing, refused below
      instructions.push({
        payoutId: item.id as PayoutId,
        storeId: item.store_id as StoreId,
        currency: item.currency as FiatCurrency,
        amountMinor: BigInt(item.amount_minor),
        account: checked.account,
        reference: `Coinstile payout ${item.id} order ${item.order_id}`,
      });
    }

    let submissions: PayoutSubmission[];
    try {
      if (!provider) throw new Error(`No provider ${batch.provider} is configured in this process`);
      submissions = await provider.submit(batchId, instructions);
    } catch (err) {
      return this.#submitFailed(batch, err instanceof Error ? err.message : String(err));
    }

    const byId = new Map(submissions.map((s) => [s.payoutId as string, s]));
    const send: PayoutMoveRequest[] = [];
    const paid: PayoutMoveRequest[] = [];
    const refused: PayoutMoveRequest[] = [];
    for (const item of items) {
      const s = byId.get(item.id);
      if (!s) {
        refused.push({ payoutId: item.id, failureReason: 'unsupported_account: the store payout account cannot be paid by credit transfer' });
        continue;
      }
      switch (s.status) {
        case 'submitted':
          send.push({ payoutId: s.payoutId, providerReference: s.providerReference });
          break;
        case 'paid':
          send.push({ payoutId: s.payoutId, providerReference: s.providerReference });
          paid.push({ payoutId: s.payoutId, providerReference: s.providerReference });
          break;
        case 'failed':
          refused.push({ payoutId: s.payoutId, providerReference: s.providerReference, failureReason: s.failureReason ?? 'failed' });
          break;
      }
    }
    const now = this.options.clock.now();
    return db.transaction(async (trx) => {
      const updated = await batchKysely(trx)
        .updateTable('payout_batches')
        .set({ status: 'submitted', submitted_at: now, updated_at: now, last_error: null })
        .where('id', '=', batchId)
        .where('status', '=', 'pending')
        .returning('id')
        .executeTakeFirst();
      if (!updated) return { batchId, result: 'submitted' as const, sent: 0, paid: 0, refused: 0 };
      const outcomes = [
        ...send.map((r) => ({ id: r.payoutId, outcome: 'accepted', ref: r.providerReference ?? null })),
        ...refused.map((r) => ({ id: r.payoutId, outcome: 'refused', ref: r.providerReference ?? null })),
      ];
      await sql`
        UPDATE payout_batch_items AS i SET outcome = v.outcome, provider_reference = v.ref
        FROM (SELECT unnest(${outcomes.map((o) => o.id)}::text[]) AS id, unnest(${outcomes.map((o) => o.outcome)}::text[]) AS outcome,
                     unnest(${outcomes.map((o) => o.ref)}::text[]) AS ref) AS v
        WHERE i.batch_id = ${batchId} AND i.payout_id = v.id`.execute(trx);
      const sent = await movePayouts(trx, this.options, 'send', send, { onlyInBatch: batchId });
      const confirmed = await movePayouts(trx, this.options, 'confirm_paid', paid, { onlyInBatch: batchId });
      const failed = await movePayouts(trx, this.options, 'refuse', refused, { onlyInBatch: batchId });
      return { batchId, result: 'submitted' as const, sent: sent.length, paid: confirmed.length, refused: failed.length };
    });
  }

  async #submitFailed(batch: PayoutBatchesTable, error: string): Promise<BatchSubmitOutcome> {
    const now = this.options.clock.now();
    const batchId = batch.id as PayoutBatchId;
    const attempts = batch.submit_attempts;
    const held = attempts >= (this.options.maxSubmitAttempts ?? 8);
    const ceiling = Math.min(3_600_000, (this.options.submitBackoffMs ?? 30_000) * 2 ** (attempts - 1));
    // Equal jitter: at least half the step, so a flapping provider is not hammered.
    const delayMs = ceiling / 2 + Math.random() * (ceiling / 2);
    await this.options.db.transaction(async (trx) => {
      const db = batchKysely(trx);
      await db
        .updateTable('payout_batches')
        .set({
          status: held ? 'held' : 'pending',
          next_attempt_at: new Date(now.getTime() + delayMs),
          last_error: error.slice(0, 2000),
          updated_at: now,
        })
        .where('id', '=', batchId)
        .where('status', '=', 'pending')
        .execute();
      if (held) {
        await db
          .insertInto('operator_notices')
          .values({
            kind: 'payout_batch_held',
            subject_type: 'payout_batch',
            subject_id: batchId,
            message: `Payout batch ${batchId} (${batch.payout_count} payouts, ${batch.currency}, ${batch.provider}) could not be submitted after ${attempts} attempts: ${error.slice(0, 500)}. Retry it once the provider is reachable.`,
            details: jsonText({ provider: batch.provider, attempts, error: error.slice(0, 2000) }),
            created_at: now,
          })
          .execute();
      }
    });
    return { batchId, result: held ? 'held' : 'retry_later', sent: 0, paid: 0, refused: 0, error };
  }

  /**
   * Asks each provider about payouts it holds as `sent` (up to `limit` per provider) and moves those it
   * reports `paid` or `failed`. Returns how many moved.
   */
  async pollSent(limit = 1000): Promise<number> {
    const { db } = this.options;
    let moved = 0;
    for (const provider of this.#providers.values()) {
      const rows = await db.kysely
        .selectFrom('payouts')
        .select('id')
        .where('status', '=', 'sent')
        .where('provider', '=', provider.name)
        .orderBy('id')
        .limit(limit)
        .execute();
      if (rows.length === 0) continue;
      const answers = await provider.status(rows.map((r) => r.id as PayoutId));
      const paid = answers.filter((a) => a.status === 'paid').map((a) => ({ payoutId: a.payoutId, providerReference: a.providerReference }));
      const failed = answers
        .filter((a) => a.status === 'failed')
        .map((a) => ({ payoutId: a.payoutId, providerReference: a.providerReference, failureReason: a.failureReason ?? 'failed' }));
      await db.transaction(async (trx) => {
        moved += (await movePayouts(trx, this.options, 'confirm_paid', paid)).length;
        moved += (await movePayouts(trx, this.options, 'fail_sent', failed)).length;
      });
    }
    return moved;
  }

  /**
   * One full round: batch what is due, submit what is pending, poll what is sent. Submission starts as
   * soon as the first batch is claimed, beside the claims of the next ones.
   */
  async runOnce(): Promise<{ batches: number; submitted: BatchSubmitOutcome[]; polled: number }> {
    const claims = new ClaimProgress();
    const creating = this.#createBatches(() => claims.advance()).finally(() => claims.finish());
    const [created, submitting] = await Promise.allSettled([creating, this.#submitDue(claims)]);
    if (created.status === 'rejected') throw created.reason;
    if (submitting.status === 'rejected') throw submitting.reason;
    const polled = await this.pollSent();
    return { batches: created.value.length, submitted: submitting.value, polled };
  }
}
