import { cancel, type CheckoutEvent, type CheckoutId } from '@coinstile/core';
import { CheckoutRepository, InvalidCursorError, OutboxRepository } from '../../src/db';
import { describeOnEngines } from './engines';
import { insertQuote, insertStore, newCheckout, newId } from './fixtures';

describeOnEngines('CheckoutRepository', (fixture) => {
  test('insert then get round-trips every field, bigints included, scoped to the store', async () => {
    const { db } = fixture();
    const repo = new CheckoutRepository(db);
    const storeId = await insertStore(db);
    const now = new Date();
    const quote = await insertQuote(db, storeId, 4980n, 2n ** 200n + 1n, now);
    const checkout = newCheckout(storeId, now, quote);
    await repo.insert(checkout, { derivationIndex: 7, escrow: true, metadata: { cart: 'c-9' }, items: [{ sku: 'tea', qty: 2 }], assetsOffered: ['BTC', 'LTC'] });

    const stored = await repo.get(storeId, checkout.id);
    expect(stored).toEqual({
      ...checkout,
      cancelledAt: null,
      derivationIndex: 7,
      escrow: true,
      metadata: { cart: 'c-9' },
      items: [{ sku: 'tea', qty: 2 }],
      assetsOffered: ['BTC', 'LTC'],
    });
    expect(stored?.amountDueBase).toBe(2n ** 200n + 1n);
    expect(await repo.get(await insertStore(db), checkout.id)).toBeNull();
    expect((await repo.findById(checkout.id))?.id).toBe(checkout.id);
    expect(await repo.findById(newId('co'))).toBeNull();
  });

  test('a second checkout with the same asset and address is refused', async () => {
    const { db } = fixture();
    const repo = new CheckoutRepository(db);
    const storeId = await insertStore(db);
    const now = new Date();
    const first = newCheckout(storeId, now, await insertQuote(db, storeId, 100n, 5n, now));
    await repo.insert(first);
    const second = { ...newCheckout(storeId, now, await insertQuote(db, storeId, 100n, 5n, now)), address: first.address };
    await expect(repo.insert(second)).rejects.toThrow(/duplicate key/);
  });

  test('list pages newest first with a keyset cursor and filters by status', async () => {
    const { db } = fixture();
    const repo = new CheckoutRepository(db);
    const storeId = await insertStore(db);
    const ids: CheckoutId[] = [];
    for (let i = 0; i < 5; i++) {
      const checkout = newCheckout(storeId, new Date(Date.now() + i));
      await repo.insert(checkout);
      ids.push(checkout.id);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const cancelled = cancel((await repo.get(storeId, ids[1]!))!, [], new Date());
    expect(await repo.compareAndSet(cancelled.next, cancelled.next.version - 1, cancelled.events)).toBe(true);

    const newestFirst = [...ids].reverse();
    const page1 = await repo.list(storeId, { limit: 2 });
    expect(page1.data.map((c) => c.id)).toEqual(newestFirst.slice(0, 2));
    const page2 = await repo.list(storeId, { limit: 2, cursor: page1.nextCursor });
    expect(page2.data.map((c) => c.id)).toEqual(newestFirst.slice(2, 4));
    const page3 = await repo.list(storeId, { limit: 2, cursor: page2.nextCursor });
    expect(page3.data.map((c) => c.id)).toEqual(newestFirst.slice(4));
    expect(page3.nextCursor).toBeNull();

    const onlyNew = await repo.list(storeId, { status: 'new' });
    expect(onlyNew.data.map((c) => c.id)).toEqual(newestFirst.filter((id) => id !== ids[1]));
    const onlyCancelled = await repo.list(storeId, { status: 'cancelled' });
    expect(onlyCancelled.data.map((c) => c.id)).toEqual([ids[1]]);
    expect(onlyCancelled.data[0]?.cancelledAt).toBeInstanceOf(Date);

    await expect(repo.list(storeId, { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(repo.list(storeId, { limit: 0 })).rejects.toThrow(/limit/);
  });

  test('20 concurrent compareAndSet calls with the same expected version: exactly one wins, one set of outbox rows', async () => {
    const { db } = fixture();
    const repo = new CheckoutRepository(db);
    const outbox = new OutboxRepository(db);
    const storeId = await insertStore(db);
    const checkout = newCheckout(storeId, new Date());
    await repo.insert(checkout);

    const { next, events } = cancel(checkout, [], new Date());
    expect(events).toHaveLength(1);
    // Each contender announces its own distinct event, so a second winner would leave a second row.
    const attempts = Array.from({ length: 20 }, (_, i) => {
      const own: CheckoutEvent[] = events.map((e) => ({ ...e, dedupeKey: `${e.dedupeKey}:attempt-${i}` }));
      return repo.compareAndSet(next, checkout.version, own);
    });
    const results = await Promise.all(attempts);
    expect(results.filter((won) => won)).toHaveLength(1);

    const rows = await outbox.listForAggregate('checkout', checkout.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.eventType).toBe('checkout.cancelled');
    expect(rows[0]?.eventId).toBe(`${events[0]!.dedupeKey}:attempt-${results.indexOf(true)}`);
    expect(rows[0]?.payload).toMatchObject({ checkoutId: checkout.id, priceMinor: '4980', status: 'cancelled' });
    const stored = await repo.get(storeId, checkout.id);
    expect(stored?.status).toBe('cancelled');
    expect(stored?.version).toBe(checkout.version + 1);

    // A stale writer loses and writes nothing.
    expect(await repo.compareAndSet({ ...next, exception: 'paid_late' }, checkout.version, events)).toBe(false);
    expect((await repo.get(storeId, checkout.id))?.exception).toBe('none');
    expect(await outbox.listForAggregate('checkout', checkout.id)).toHaveLength(1);
  });

  test('a state change whose transaction rolls back leaves no outbox row', async () => {
    const { db } = fixture();
    const repo = new CheckoutRepository(db);
    const outbox = new OutboxRepository(db);
    const storeId = await insertStore(db);
    const checkout = newCheckout(storeId, new Date());
    await repo.insert(checkout);
    const { next, events } = cancel(checkout, [], new Date());

    await expect(
      db.transaction(async (trx) => {
        expect(await repo.compareAndSet(next, checkout.version, events, trx)).toBe(true);
        throw new Error('the caller fails after the write');
      }),
    ).rejects.toThrow('the caller fails after the write');
    expect(await outbox.listForAggregate('checkout', checkout.id)).toEqual([]);
    expect((await repo.get(storeId, checkout.id))?.status).toBe('new');

    // A statement failing inside compareAndSet's own transaction rolls the state change back too.
    const unstorable = events.map((e) => ({ ...e, occurredAt: new Date(Number.NaN) }));
    await expect(repo.compareAndSet(next, checkout.version, unstorable)).rejects.toThrow();
    expect((await repo.get(storeId, checkout.id))?.version).toBe(checkout.version);
    expect(await outbox.listForAggregate('checkout', checkout.id)).toEqual([]);
  });

  test('compareAndSet refuses a next version that is not expected + 1', async () => {
    const { db } = fixture();
    const repo = new CheckoutRepository(db);
    const checkout = newCheckout(await insertStore(db), new Date());
    await expect(repo.compareAndSet(checkout, checkout.version, [])).rejects.toBeInstanceOf(RangeError);
  });
});
