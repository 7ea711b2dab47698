import {
  assertNever,
  buildPosting,
  mallFiatCash,
  nextId,
  payoutFailedPosting,
  payoutPaidPosting,
  payoutScheduledPosting,
  storePayable,
  type Clock,
  type FiatCurrency,
  type PayoutId,
  type Posting,
  type RandomSource,
  type StoreId,
} from '@coinstile/core';
import type { DB } from '@coinstile/platform';
import { sql, type Kysely } from 'kysely';
import { appendPostings, jsonText } from '@coinstile/platform';
import { batchKysely } from './payout-batch-schema';

/**
 * The moves a payout row can make, each a compare-and-set on its status:
 * - `send`: `scheduled → sent`, the provider took it; books payable → in transit (`payout_scheduled`).
 * - `confirm_paid`: `sent → paid`; books in transit → cash (`payout_paid`).
 * - `fail_sent`: `sent → failed`, the bank or provider rejected it after taking it; books in transit →
 *   payable again (`payout_failed`).
 * - `refuse`: `scheduled → failed`, refused before anything was sent (no bank account format, a
 *   provider's validation error): nothing left the payable account, so nothing is booked.
 * - `return`: `paid → returned`, the money came back (e.g. account closed); books cash → payable. Core
 *   has no `payout_returned` posting kind yet, so it is booked as kind `payout_failed` with memo
 *   `returned` and its own dedupe key.
 * - `retry`: `failed | returned → scheduled`, only on the operator's explicit request: a new attempt
 *   number, out of any batch, due now. Nothing is booked (the amount is payable again already).
 */
export type PayoutMove = 'send' | 'confirm_paid' | 'fail_sent' | 'refuse' | 'return' | 'retry';

export type PayoutEventType = 'payout.sent' | 'payout.paid' | 'payout.failed' | 'payout.returned' | 'payout.scheduled';

/** One payout to move, with what the provider or the operator said about it. */
export interface PayoutMoveRequest {
  readonly payoutId: string;
  readonly providerReference?: string | null;
  readonly failureReason?: string | null;
}

/** A payout as it is after a move. */
export interface MovedPayout {
  readonly payoutId: PayoutId;
  readonly storeId: StoreId;
  readonly checkoutId: string;
  readonly currency: FiatCurrency;
  readonly amountMinor: bigint;
  readonly attempt: number;
  readonly batchId: string | null;
  readonly provider: string | null;
  readonly providerReference: string | null;
  readonly failureReason: string | null;
}

/** The outbox payload of a payout status event (`payout.sent`, `payout.paid`, …). */
export interface PayoutStatusEvent {
  readonly type: PayoutEventType;
  readonly payoutId: PayoutId;
  readonly storeId: StoreId;
  readonly checkoutId: string;
  readonly status: 'scheduled' | 'sent' | 'paid' | 'failed' | 'returned';
  readonly amountMinor: bigint;
  readonly currency: FiatCurrency;
  /** 1 for the first try; the operator's retries count up. */
  readonly attempt: number;
  readonly batchId: string | null;
  readonly provider: string | null;
  readonly providerReference: string | null;
  readonly failureReason: string | null;
  readonly occurredAt: Date;
}

/** Event id of a payout's transition: one per (payout, event type, attempt), so a retried move announces once. */
export const payoutStatusEventId = (payoutId: string, type: PayoutEventType, attempt: number): string => `${payoutId}:${type}:${attempt}`;

interface MoveSpec {
  readonly from: readonly string[];
  readonly to: PayoutStatusEvent['status'];
  readonly event: PayoutEventType;
  readonly notice: boolean;
}

function spec(move: PayoutMove): MoveSpec {
  switch (move) {
    case 'send':
      return { from: ['scheduled'], to: 'sent', event: 'payout.sent', notice: false };
    case 'confirm_paid':
      return { from: ['sent'], to: 'paid', event: 'payout.paid', notice: false };
    case 'fail_sent':
      return { from: ['sent'], to: 'failed', event: 'payout.failed', notice: true };
    case 'refuse':
      return { from: ['scheduled'], to: 'failed', event: 'payout.failed', notice: true };
    case 'return':
      return { from: ['paid'], to: 'returned', event: 'payout.returned', notice: true };
    case 'retry':
      return { from: ['failed', 'returned'], to: 'scheduled', event: 'payout.scheduled', notice: false };
    default:
      return assertNever(move, 'payout move');
  }
}

export interface PayoutTransitionDeps {
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** Payouts moved per statement (and per ledger statement). */
const CHUNK = 10_000;

interface MovedRow {
  id: string;
  store_id: string;
  checkout_id: string;
  currency: string;
  amount_minor: string;
  attempt: number;
  batch_id: string | null;
  provider: string | null;
  provider_reference: string | null;
  failure_reason: string | null;
}

/**
 * Moves payouts inside the caller's transaction `trx`: a compare-and-set per row on its current status
 * (and on `onlyInBatch` when given: a batch id moves only payouts whose current attempt is an item of
 * that batch, and records the batch and its provider on the row; `null` moves only payouts whose current
 * attempt is in no batch, under a lock that waits for claims in flight, so a refusal can never touch a
 * payout another batcher has just claimed), then for exactly the rows that
 * moved the matching ledger posting, the outbox event and, for failures and returns, an operator notice.
 * Rows in another status are left alone and absent from the result: a move repeated after a crash, or
 * racing another worker, happens once.
 */
export async function movePayouts(
  trx: Kysely<DB>,
  deps: PayoutTransitionDeps,
  move: PayoutMove,
  requests: readonly PayoutMoveRequest[],
  opts: { onlyInBatch?: string | null } = {},
): Promise<MovedPayout[]> {
  if (opts.onlyInBatch === null && requests.length > 0) {
    // Moving payouts that are in no batch: wait for every claim in flight and keep new ones out until
    // commit, so the item check (a statement after the lock, so a snapshot taken after it) sees every
    // claim and a payout being claimed is never moved beside its batch. Such moves are rare (refusals).
    await sql`LOCK TABLE payout_batch_items IN SHARE MODE`.execute(trx);
  }
  const moved: MovedPayout[] = [];
  for (let i = 0; i < requests.length; i += CHUNK) {
    moved.push(...(await moveChunk(trx, deps, move, requests.slice(i, i + CHUNK), opts.onlyInBatch)));
  }
  return moved;
}

async function moveChunk(
  trx: Kysely<DB>,
  deps: PayoutTransitionDeps,
  move: PayoutMove,
  requests: readonly PayoutMoveRequest[],
  onlyInBatch: string | null | undefined,
): Promise<MovedPayout[]> {
  if (requests.length === 0) return [];
  const { from, to, event, notice } = spec(move);
  const now = deps.clock.now();
  const ids = requests.map((r) => r.payoutId);
  const refs = requests.map((r) => r.providerReference ?? null);
  const reasons = requests.map((r) => r.failureReason ?? null);
  // A payout's batch is the one holding an item for its current attempt (the claim writes only that item).
  const batchFilter =
    onlyInBatch === undefined
      ? sql``
      : onlyInBatch === null
        ? sql`AND NOT EXISTS (SELECT 1 FROM payout_batch_items AS i WHERE i.payout_id = p.id AND i.attempt = p.attempt)`
        : sql`AND EXISTS (SELECT 1 FROM payout_batch_items AS i WHERE i.batch_id = ${onlyInBatch} AND i.payout_id = p.id AND i.attempt = p.attempt)`;
  // The row learns its batch and provider when the batch moves it (claiming did not touch it).
  const batchColumns =
    typeof onlyInBatch === 'string'
      ? sql`batch_id = ${onlyInBatch}, provider = (SELECT b.provider FROM payout_batches AS b WHERE b.id = ${onlyInBatch}),`
      : sql``;
  const set =
    move === 'retry'
      ? sql`status = 'scheduled', attempt = p.attempt + 1, batch_id = NULL, provider = NULL, provider_reference = NULL,
            failure_reason = NULL, sent_at = NULL, paid_at = NULL, failed_at = NULL, returned_at = NULL, due_at = ${now}`
      : sql`status = ${to}, ${sql.id(`${to}_at`)} = ${now}, ${batchColumns}
            provider_reference = COALESCE(v.ref, p.provider_reference),
            failure_reason = COALESCE(v.reason, p.failure_reason)`;
  // The outbox event is written by the same statement, from the moved rows: one `PayoutStatusEvent` per
  // row, as `toJsonValue` would write it (amount as a decimal string, `occurredAt` in ISO 8601), built
  // by PostgreSQL instead of sent to it as a document.
  const result = await sql<MovedRow>`
    WITH moved AS (
      UPDATE payouts AS p SET ${set}, updated_at = ${now}
      FROM (SELECT unnest(${ids}::text[]) AS id, unnest(${refs}::text[]) AS ref, unnest(${reasons}::text[]) AS reason) AS v
      WHERE p.id = ANY(${ids}::text[]) AND p.id = v.id AND p.status = ANY(${[...from]}::text[]) ${batchFilter}
      RETURNING p.id, p.store_id, p.checkout_id, p.currency, p.amount_minor::text AS amount_minor, p.attempt, p.batch_id,
                p.provider, p.provider_reference, p.failure_reason
    ), announced AS (
      INSERT INTO outbox (event_id, event_type, aggregate_type, aggregate_id, payload)
      SELECT m.id || ${`:${event}:`} || m.attempt, ${event}, 'payout', m.id,
             jsonb_build_object('type', ${event}::text, 'payoutId', m.id, 'storeId', m.store_id, 'checkoutId', m.checkout_id,
                                'status', ${to}::text, 'amountMinor', m.amount_minor, 'currency', m.currency, 'attempt', m.attempt,
                                'batchId', m.batch_id, 'provider', m.provider, 'providerReference', m.provider_reference,
                                'failureReason', m.failure_reason, 'occurredAt', ${now.toISOString()}::text)
      FROM moved AS m
      ON CONFLICT (event_id) DO NOTHING
    )
    SELECT * FROM moved`.execute(trx);

  const rows: MovedPayout[] = result.rows.map((r) => ({
    payoutId: r.id as PayoutId,
    storeId: r.store_id as StoreId,
    checkoutId: r.checkout_id,
    currency: r.currency as FiatCurrency,
    amountMinor: BigInt(r.amount_minor),
    attempt: r.attempt,
    batchId: r.batch_id,
    provider: r.provider,
    providerReference: r.provider_reference,
    failureReason: r.failure_reason,
  }));
  if (rows.length === 0) return rows;

  const postings: Posting[] = [];
  for (const row of rows) {
    const posting = postingFor(move, row, deps, now);
    if (posting !== null) postings.push(posting);
  }
  await appendPostings(trx, postings);

  if (notice) {
    await batchKysely(trx)
      .insertInto('operator_notices')
      .values(
        rows.map((row) => ({
          kind: event === 'payout.returned' ? 'payout_returned' : 'payout_failed',
          subject_type: 'payout',
          subject_id: row.payoutId,
          message: `Payout ${row.payoutId} (${row.amountMinor} ${row.currency} minor units) ${to}: ${row.failureReason ?? 'no reason given'}. Retry it once the cause is fixed.`,
          details: jsonText({ attempt: row.attempt, batchId: row.batchId, provider: row.provider, reason: row.failureReason }),
          created_at: now,
        })),
      )
      .execute();
  }
  return rows;
}

function postingFor(move: PayoutMove, row: MovedPayout, deps: PayoutTransitionDeps, now: Date): Posting | null {
  const meta = (fact: string, memo?: string) => ({
    postingId: nextId('lp', deps.clock, deps.random),
    dedupeKey: `${fact}:${row.payoutId}:${row.attempt}`,
    occurredAt: now,
    storeId: row.storeId,
    payoutId: row.payoutId,
    ...(memo === undefined ? {} : { memo }),
  });
  const movement = (fact: string) => ({ meta: meta(fact), storeId: row.storeId, currency: row.currency, amountMinor: row.amountMinor });
  switch (move) {
    case 'send':
      return payoutScheduledPosting(movement('payout_sent'));
    case 'confirm_paid':
      return payoutPaidPosting(movement('payout_paid'));
    case 'fail_sent':
      return payoutFailedPosting(movement('payout_failed'));
    case 'return':
      // The money is back in the mall's cash and owed to the store again.
      return buildPosting(
        'payout_failed',
        [
          { account: mallFiatCash(), currency: row.currency, amount: row.amountMinor },
          { account: storePayable(row.storeId), currency: row.currency, amount: -row.amountMinor },
        ],
        meta('payout_returned', 'returned'),
      );
    case 'refuse':
    case 'retry':
      return null;
    default:
      return assertNever(move, 'payout move');
  }
}

