import type { OutboxMessage } from '@coinstile/core';
import { OutboxRepository, type OutboxEntry } from '../../src/db';
import { describeOnEngines } from './engines';
import { newId } from './fixtures';

function message(aggregateId: string, i: number): OutboxMessage {
  return { eventId: `${aggregateId}:test.event:${i}`, eventType: 'test.event', aggregateType: 'test', aggregateId, payload: { i, amountBase: 10n ** 30n } };
}

describeOnEngines('OutboxRepository', (fixture) => {
  test('two relays claiming at once get disjoint rows, and every row is published exactly once', async () => {
    const { db, engine } = fixture();
    const outbox = new OutboxRepository(db);
    const aggregateId = newId('co');
    await db.transaction((trx) => outbox.append(trx, Array.from({ length: 30 }, (_, i) => message(aggregateId, i))));

    // Each relay holds its claim (its transaction stays open) until both have claimed.
    let claimedCount = 0;
    let bothClaimed!: () => void;
    const barrier = new Promise<void>((resolve) => (bothClaimed = resolve));
    const relay = (): Promise<OutboxEntry[]> =>
      db.transaction(async (trx) => {
        const entries = await outbox.claimBatch(trx, 20);
        claimedCount += 1;
        if (claimedCount === 2) bothClaimed();
        // PGlite runs one transaction at a time, so there the second relay claims after the first commits.
        if (engine === 'postgres') await barrier;
        await outbox.markPublished(trx, entries.map((e) => e.sequence));
        return entries;
      });
    const [a, b] = await Promise.all([relay(), relay()]);
    const ours = (entries: OutboxEntry[]) => entries.filter((e) => e.aggregateId === aggregateId).map((e) => e.eventId);
    const seenA = ours(a);
    const seenB = ours(b);
    expect(seenA.filter((id) => seenB.includes(id))).toEqual([]);
    expect(new Set([...seenA, ...seenB]).size).toBe(30);
    if (engine === 'postgres') {
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
    }
    const stored = await outbox.listForAggregate('test', aggregateId);
    expect(stored.every((e) => e.publishedAt instanceof Date)).toBe(true);
    expect(stored[0]?.payload).toEqual({ i: 0, amountBase: '1000000000000000000000000000000' });
    expect(await outbox.countUnpublished()).toBe(0);
  });

  test('relayBatch marks rows published only when publish succeeds', async () => {
    const { db } = fixture();
    const outbox = new OutboxRepository(db);
    const aggregateId = newId('co');
    await db.transaction((trx) => outbox.append(trx, [message(aggregateId, 0), message(aggregateId, 1)]));

    await expect(outbox.relayBatch(10, async () => Promise.reject(new Error('redis down')))).rejects.toThrow('redis down');
    expect(await outbox.countUnpublished()).toBe(2);

    const published: string[] = [];
    expect(await outbox.relayBatch(10, async (entries) => void published.push(...entries.map((e) => e.eventId)))).toBe(2);
    expect(published).toEqual([`${aggregateId}:test.event:0`, `${aggregateId}:test.event:1`]);
    expect(await outbox.relayBatch(10, async () => undefined)).toBe(0);
  });

  test('an event id is stored once: appending it again is a no-op', async () => {
    const { db } = fixture();
    const outbox = new OutboxRepository(db);
    const aggregateId = newId('co');
    const m = message(aggregateId, 0);
    await db.transaction((trx) => outbox.writer(trx).append([m, m]));
    await db.transaction((trx) => outbox.writer(trx).append([{ ...m, payload: { changed: true } }, message(aggregateId, 1)]));
    const stored = await outbox.listForAggregate('test', aggregateId);
    expect(stored.map((e) => e.eventId)).toEqual([m.eventId, `${aggregateId}:test.event:1`]);
    expect(stored[0]?.payload).toEqual({ i: 0, amountBase: '1000000000000000000000000000000' });
  });

  test('each row is keyed for event order by its payload\'s checkoutId, else by its aggregate, and awaits its fan-out', async () => {
    const { db } = fixture();
    const outbox = new OutboxRepository(db);
    const aggregateId = newId('po');
    const checkoutId = newId('co');
    await outbox.append(db.kysely, [
      { eventId: `${aggregateId}:a`, eventType: 'payout.scheduled', aggregateType: 'payout', aggregateId, payload: { checkoutId } },
      { eventId: `${aggregateId}:b`, eventType: 'payout.scheduled', aggregateType: 'payout', aggregateId, payload: { checkoutId: 7 } },
      { eventId: `${aggregateId}:c`, eventType: 'payout.scheduled', aggregateType: 'payout', aggregateId, payload: {} },
    ]);
    const rows = await db.kysely.selectFrom('outbox').select(['event_id', 'ordering_key', 'fanned_out_at']).where('aggregate_id', '=', aggregateId).orderBy('id').execute();
    expect(rows).toEqual([
      { event_id: `${aggregateId}:a`, ordering_key: checkoutId, fanned_out_at: null },
      { event_id: `${aggregateId}:b`, ordering_key: `payout:${aggregateId}`, fanned_out_at: null },
      { event_id: `${aggregateId}:c`, ordering_key: `payout:${aggregateId}`, fanned_out_at: null },
    ]);
  });

  test('a writer bound to a transaction that rolls back leaves nothing', async () => {
    const { db } = fixture();
    const outbox = new OutboxRepository(db);
    const aggregateId = newId('co');
    await expect(
      db.transaction(async (trx) => {
        await outbox.writer(trx).append([message(aggregateId, 0)]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await outbox.listForAggregate('test', aggregateId)).toEqual([]);
  });
});
