import { sql, type Kysely, type Selectable } from 'kysely';
import type { OutboxMessage, OutboxWriter } from '@coinstile/core';
import { toJsonValue, type JsonValue } from './json';
import type { Database } from './database';
import type { DB, OutboxTable } from './schema';

/** A stored outbox row. */
export interface OutboxEntry {
  /** Position in the outbox (insertion order), as relays claim them. */
  readonly sequence: bigint;
  readonly eventId: string;
  readonly eventType: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly payload: JsonValue;
  readonly createdAt: Date;
  readonly publishedAt: Date | null;
}

/**
 * The transactional outbox. Writers append inside the transaction that changes state, so an event
 * exists exactly when its change committed; relays claim unpublished rows with `FOR UPDATE SKIP LOCKED`
 * so any number of them can run at once without publishing the same row concurrently.
 */
export class OutboxRepository {
  constructor(private readonly db: Database) {}

  /** Core's `OutboxWriter` port bound to `trx`: its messages commit (or vanish) with that transaction. */
  writer(trx: Kysely<DB>): OutboxWriter {
    return { append: (messages) => this.append(trx, messages) };
  }

  /**
   * Appends `messages` using `executor` (pass the transaction of the state change). A message whose
   * `eventId` is already stored is skipped, so a retried transition announces its events once.
   */
  async append(executor: Kysely<DB>, messages: readonly OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    // One JSON document for the whole batch (a release writes thousands of events): one bind parameter
    // instead of five per row. Rows are inserted in the messages' order, which is their outbox order.
    const rows = JSON.stringify(
      messages.map((m) => ({ event_id: m.eventId, event_type: m.eventType, aggregate_type: m.aggregateType, aggregate_id: m.aggregateId, payload: toJsonValue(m.payload) })),
    );
    await sql`
      INSERT INTO outbox (event_id, event_type, aggregate_type, aggregate_id, payload)
      SELECT m.doc->>'event_id', m.doc->>'event_type', m.doc->>'aggregate_type', m.doc->>'aggregate_id', m.doc->'payload'
        FROM jsonb_array_elements(${rows}::jsonb) WITH ORDINALITY AS m(doc, position)
       ORDER BY m.position
      ON CONFLICT (event_id) DO NOTHING`.execute(executor);
  }

  /**
   * Locks and returns up to `limit` unpublished rows, oldest first, skipping rows other relays hold.
   * Must run inside `trx`: the locks last until it ends, so publish and `markPublished` in it too.
   */
  async claimBatch(trx: Kysely<DB>, limit: number): Promise<OutboxEntry[]> {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`claimBatch limit must be a positive integer, got ${limit}`);
    const rows = await trx
      .selectFrom('outbox')
      .selectAll()
      .where('published_at', 'is', null)
      .orderBy('id')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    return rows.map(toEntry);
  }

  /** Marks claimed rows published (inside the claiming transaction). */
  async markPublished(trx: Kysely<DB>, sequences: readonly bigint[], publishedAt: Date = new Date()): Promise<void> {
    if (sequences.length === 0) return;
    await trx
      .updateTable('outbox')
      .set({ published_at: publishedAt })
      .where('id', 'in', sequences.map((s) => s.toString()) as never[])
      .execute();
  }

  /**
   * One relay step in its own transaction: claims up to `limit` rows, hands them to `publish`, and marks
   * them published when it resolves. If `publish` throws, nothing is marked and the rows become
   * claimable again (at-least-once: consumers deduplicate on `eventId`). Returns how many were published.
   */
  async relayBatch(limit: number, publish: (entries: readonly OutboxEntry[]) => Promise<void>): Promise<number> {
    return this.db.transaction(async (trx) => {
      const entries = await this.claimBatch(trx, limit);
      if (entries.length === 0) return 0;
      await publish(entries);
      await this.markPublished(trx, entries.map((e) => e.sequence));
      return entries.length;
    });
  }

  /** Rows not yet published (for readiness and metrics). */
  async countUnpublished(): Promise<number> {
    const row = await sql<{ n: string }>`select count(*) as n from outbox where published_at is null`.execute(this.db.kysely);
    return Number(row.rows[0]?.n ?? 0);
  }

  /** Every row of one aggregate, in order (for audits and tests). */
  async listForAggregate(aggregateType: string, aggregateId: string): Promise<OutboxEntry[]> {
    const rows = await this.db.kysely
      .selectFrom('outbox')
      .selectAll()
      .where('aggregate_type', '=', aggregateType)
      .where('aggregate_id', '=', aggregateId)
      .orderBy('id')
      .execute();
    return rows.map(toEntry);
  }
}

function toEntry(row: Selectable<OutboxTable>): OutboxEntry {
  return {
    sequence: BigInt(row.id),
    eventId: row.event_id,
    eventType: row.event_type,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    payload: row.payload as JsonValue,
    createdAt: row.created_at,
    publishedAt: row.published_at,
  };
}
