import { confirmationsForSpeed, type SpeedPolicy } from '@coinstile/core';
import type { Pool } from 'pg';
import type { EvmTimeline, LitecoinTimeline } from './chain-timeline';
import type { CheckedDelivery } from './chaos-webhook-receiver';
import type { ChaosStore } from './chaos-mall';

export const INVARIANTS = [
  'quiescence',
  'settled-released-once',
  'settled-paid-out-once',
  'release-not-below-policy',
  'ledger-balanced',
  'no-lost-webhook-event',
  'double-spend-never-released',
  'no-internal-error',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface InvariantResult {
  readonly name: InvariantName;
  readonly ok: boolean;
  /** How many things were looked at (checkouts, events, currencies …). */
  readonly checked: number;
  readonly violationCount: number;
  /** The first few, for the report. */
  readonly violations: readonly string[];
}

export interface DoubleSpendRecord {
  readonly checkoutId: string;
  readonly txid: string;
}

export interface InvariantInputs {
  readonly db: Pool;
  readonly stores: readonly ChaosStore[];
  readonly doubleSpends: readonly DoubleSpendRecord[];
  readonly litecoin: LitecoinTimeline;
  readonly evm: EvmTimeline;
  readonly deliveries: readonly CheckedDelivery[];
  /** Why the run did not come to rest (empty: it did). */
  readonly notQuiescent: readonly string[];
  /** The API errors the mall met, counted by `<status> <code>` (`unreachable` for no answer). */
  readonly apiErrors: ReadonlyMap<string, number>;
}

const SHOWN = 10;

function result(name: InvariantName, checked: number, violations: readonly string[]): InvariantResult {
  return { name, ok: violations.length === 0, checked, violationCount: violations.length, violations: violations.slice(0, SHOWN) };
}

/** Every invariant of the run, read from the database, the chain timelines and what the receiver got. */
export async function checkInvariants(inputs: InvariantInputs): Promise<InvariantResult[]> {
  return [
    result('quiescence', 1, inputs.notQuiescent),
    await settledReleasedOnce(inputs.db),
    await settledPaidOutOnce(inputs.db),
    await releaseNotBelowPolicy(inputs),
    await ledgerBalanced(inputs.db),
    await noLostWebhookEvent(inputs),
    await doubleSpendNeverReleased(inputs),
    noInternalError(inputs.apiErrors),
  ];
}

/**
 * Faults may make the API answer 503 (a dependency is restarting: retry) or not at all, never another 5xx:
 * a 500 says a request broke something, whatever the weather.
 */
function noInternalError(apiErrors: ReadonlyMap<string, number>): InvariantResult {
  const answers = [...apiErrors.entries()];
  const violations = answers.filter(([key]) => /^5\d\d /.test(key) && !key.startsWith('503 ')).map(([key, n]) => `${n} × ${key}`);
  return result('no-internal-error', answers.reduce((sum, [, n]) => sum + n, 0), violations);
}

async function settledReleasedOnce(db: Pool): Promise<InvariantResult> {
  const settled = await db.query<{ id: string; releases: string }>(
    `SELECT c.id, count(r.checkout_id) AS releases FROM checkouts c LEFT JOIN order_releases r ON r.checkout_id = c.id
     WHERE c.status = 'settled' GROUP BY c.id`,
  );
  const strays = await db.query<{ checkout_id: string; status: string }>(
    `SELECT r.checkout_id, c.status FROM order_releases r JOIN checkouts c ON c.id = r.checkout_id WHERE c.status <> 'settled'`,
  );
  return result('settled-released-once', settled.rowCount ?? 0, [
    ...settled.rows.filter((r) => Number(r.releases) !== 1).map((r) => `${r.id}: settled with ${r.releases} releases`),
    ...strays.rows.map((r) => `${r.checkout_id}: released but ${r.status}`),
  ]);
}

async function settledPaidOutOnce(db: Pool): Promise<InvariantResult> {
  const settled = await db.query<{ id: string; payouts: string }>(
    `SELECT c.id, count(p.id) AS payouts FROM checkouts c LEFT JOIN payouts p ON p.checkout_id = c.id
     WHERE c.status = 'settled' GROUP BY c.id`,
  );
  const strays = await db.query<{ id: string; checkout_id: string }>(
    `SELECT p.id, p.checkout_id FROM payouts p LEFT JOIN order_releases r ON r.checkout_id = p.checkout_id WHERE r.checkout_id IS NULL`,
  );
  return result('settled-paid-out-once', settled.rowCount ?? 0, [
    ...settled.rows.filter((r) => Number(r.payouts) !== 1).map((r) => `${r.id}: settled with ${r.payouts} payouts`),
    ...strays.rows.map((r) => `${r.id}: payout of ${r.checkout_id}, which was never released`),
  ]);
}

interface ReleasedPayment {
  checkout_id: string;
  store_id: string;
  settled_at: Date;
  released_at: Date;
  asset: string;
  txid: string;
  block_height: string | null;
  rbf_signalled: boolean;
}

/**
 * Each released checkout's counted payments had the confirmations of the store's policy, on the chain as
 * it was, no later than the settlement (and so the release): the moment comes from the run's timeline.
 */
async function releaseNotBelowPolicy(inputs: InvariantInputs): Promise<InvariantResult> {
  const rows = await inputs.db.query<ReleasedPayment>(
    `SELECT c.id AS checkout_id, c.store_id, c.settled_at, r.released_at, p.asset, p.txid, p.block_height, p.rbf_signalled
     FROM order_releases r JOIN checkouts c ON c.id = r.checkout_id JOIN payments p ON p.id = ANY(c.counted_payment_ids)`,
  );
  const speedOf = new Map<string, SpeedPolicy>(inputs.stores.map((s) => [s.id, s.speedPolicy]));
  const required = (row: ReleasedPayment): number | undefined => {
    const speed = speedOf.get(row.store_id);
    return speed === undefined ? undefined : confirmationsForSpeed(speed, row.rbf_signalled);
  };
  // The Litecoin timeline answers one confirmation count at a time.
  const litecoinReached = new Map<string, number>();
  const byCount = new Map<number, Map<string, number>>();
  for (const row of rows.rows) {
    const n = required(row);
    if (row.asset !== 'LTC' || n === undefined) continue;
    if (!byCount.has(n)) byCount.set(n, new Map());
    byCount.get(n)!.set(row.txid, n);
  }
  for (const [n, txids] of byCount) for (const [txid, at] of inputs.litecoin.confirmedAt(txids)) litecoinReached.set(`${txid}/${n}`, at);

  const violations: string[] = [];
  const checkouts = new Set<string>();
  for (const row of rows.rows) {
    checkouts.add(row.checkout_id);
    const n = required(row);
    if (n === undefined) {
      violations.push(`${row.checkout_id}: released for store ${row.store_id}, which the run did not create`);
      continue;
    }
    const reachedAt =
      row.asset === 'LTC'
        ? litecoinReached.get(`${row.txid}/${n}`)
        : row.block_height === null
          ? undefined
          : inputs.evm.confirmedAt(Number(row.block_height), n);
    const decidedAt = Math.min(row.settled_at.getTime(), row.released_at.getTime());
    if (reachedAt === undefined) violations.push(`${row.checkout_id}: released, but its ${row.asset} payment ${row.txid} never had ${n} confirmations`);
    else if (reachedAt > decidedAt) {
      violations.push(`${row.checkout_id}: settled/released ${reachedAt - decidedAt} ms before its ${row.asset} payment ${row.txid} had ${n} confirmations`);
    }
  }
  const released = await inputs.db.query<{ n: string }>(`SELECT count(*) AS n FROM order_releases`);
  if (Number(released.rows[0]?.n ?? 0) !== checkouts.size) {
    violations.push(`${released.rows[0]?.n} releases, but only ${checkouts.size} of them have counted payments`);
  }
  return result('release-not-below-policy', checkouts.size, violations);
}

async function ledgerBalanced(db: Pool): Promise<InvariantResult> {
  const currencies = await db.query<{ currency: string; total: string; entries: string }>(
    `SELECT currency, sum(amount)::text AS total, count(*) AS entries FROM ledger_entries GROUP BY currency ORDER BY currency`,
  );
  const postings = await db.query<{ posting_id: string; currency: string; total: string }>(
    `SELECT posting_id, currency, sum(amount)::text AS total FROM ledger_entries GROUP BY posting_id, currency HAVING sum(amount) <> 0`,
  );
  return result('ledger-balanced', currencies.rowCount ?? 0, [
    ...currencies.rows.filter((r) => BigInt(r.total) !== 0n).map((r) => `${r.currency}: entries sum to ${r.total}, not 0`),
    ...postings.rows.map((r) => `posting ${r.posting_id}: ${r.currency} entries sum to ${r.total}`),
  ]);
}

/**
 * Every outbox event of a store, written after its endpoint existed, reached the receiver at least once
 * with a valid signature, and every repeat carried the same body. No delivery gave up, no endpoint was disabled.
 */
async function noLostWebhookEvent(inputs: InvariantInputs): Promise<InvariantResult> {
  const events = await inputs.db.query<{ event_id: string; event_type: string; store_id: string }>(
    `SELECT o.event_id, o.event_type, e.store_id FROM outbox o
     JOIN webhook_endpoints e ON e.store_id = o.payload->>'storeId' AND o.created_at >= e.created_at
     WHERE e.id = ANY($1)`,
    [inputs.stores.map((s) => s.webhookEndpointId)],
  );
  const bodies = new Map<string, Set<string>>();
  const violations: string[] = [];
  for (const d of inputs.deliveries) {
    if (!d.signatureValid) {
      violations.push(`a delivery of ${d.eventId ?? 'an unreadable event'} failed signature verification`);
      continue;
    }
    if (d.eventId === undefined) continue;
    if (!bodies.has(d.eventId)) bodies.set(d.eventId, new Set());
    bodies.get(d.eventId)!.add(d.rawBody);
  }
  for (const e of events.rows) {
    const seen = bodies.get(e.event_id);
    if (seen === undefined) violations.push(`${e.event_type} ${e.event_id} of ${e.store_id} never reached the store`);
    else if (seen.size > 1) violations.push(`${e.event_type} ${e.event_id} arrived with ${seen.size} different bodies`);
  }
  const failed = await inputs.db.query<{ event_id: string; error: string | null }>(`SELECT event_id, error FROM webhook_deliveries WHERE status = 'failed'`);
  violations.push(...failed.rows.map((r) => `delivery of ${r.event_id} gave up (${r.error ?? 'no error'})`));
  const disabled = await inputs.db.query<{ id: string; disabled_reason: string | null }>(`SELECT id, disabled_reason FROM webhook_endpoints WHERE status <> 'enabled'`);
  violations.push(...disabled.rows.map((r) => `endpoint ${r.id} disabled: ${r.disabled_reason ?? '?'}`));
  return result('no-lost-webhook-event', events.rowCount ?? 0, violations);
}

async function doubleSpendNeverReleased(inputs: InvariantInputs): Promise<InvariantResult> {
  const ids = inputs.doubleSpends.map((d) => d.checkoutId);
  const released = await inputs.db.query<{ checkout_id: string }>(`SELECT checkout_id FROM order_releases WHERE checkout_id = ANY($1)`, [ids]);
  const paidOut = await inputs.db.query<{ checkout_id: string }>(`SELECT checkout_id FROM payouts WHERE checkout_id = ANY($1)`, [ids]);
  const counted = await inputs.db.query<{ id: string; txid: string }>(
    `SELECT c.id, p.txid FROM checkouts c JOIN payments p ON p.id = ANY(c.counted_payment_ids) WHERE p.txid = ANY($1) AND c.status = 'settled'`,
    [inputs.doubleSpends.map((d) => d.txid)],
  );
  return result('double-spend-never-released', ids.length, [
    ...released.rows.map((r) => `${r.checkout_id}: double-spent, yet released`),
    ...paidOut.rows.map((r) => `${r.checkout_id}: double-spent, yet paid out`),
    ...counted.rows.map((r) => `${r.id}: settled on the double-spent transaction ${r.txid}`),
  ]);
}
