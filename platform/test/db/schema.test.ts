import { sql } from 'kysely';
import { describeOnEngines } from './engines';
import { insertStore, newId } from './fixtures';

const UINT256_MAX = 2n ** 256n - 1n;

describeOnEngines('schema', (fixture) => {
  test('NUMERIC(78,0) round-trips 2^256-1 and INT8 comes back as an exact string', async () => {
    const { db } = fixture();
    const row = await sql<{ n: string; i: string }>`select ${UINT256_MAX.toString()}::numeric(78,0) as n, ${(2n ** 63n - 1n).toString()}::int8 as i`.execute(db.kysely);
    expect(BigInt(row.rows[0]!.n)).toBe(UINT256_MAX);
    expect(row.rows[0]!.i).toBe('9223372036854775807');

    const storeId = await insertStore(db);
    const quoteId = newId('qt');
    const now = new Date();
    await db.kysely
      .insertInto('quotes')
      .values({
        id: quoteId,
        store_id: storeId,
        base_asset: 'ETH',
        quote_currency: 'JPY',
        rate: '0.000000000000000001',
        spread_bps: 50,
        sources: JSON.stringify([{ source: 'static', rate: '1' }]),
        amount_due_base: UINT256_MAX.toString(),
        price_minor: '9223372036854775807',
        created_at: now,
        expires_at: new Date(now.getTime() + 60_000),
      })
      .execute();
    const quote = await db.kysely.selectFrom('quotes').selectAll().where('id', '=', quoteId).executeTakeFirstOrThrow();
    expect(BigInt(quote.amount_due_base)).toBe(UINT256_MAX);
    expect(BigInt(quote.price_minor)).toBe(2n ** 63n - 1n);
    expect(quote.rate).toBe('0.000000000000000001');
    expect(quote.sources).toEqual([{ source: 'static', rate: '1' }]);
    expect(quote.created_at).toEqual(now);
  });

  test('a NUMERIC(78,0) value with 79 digits is refused', async () => {
    const { db } = fixture();
    await expect(sql`select ${(10n ** 78n).toString()}::numeric(78,0)`.execute(db.kysely)).rejects.toThrow(/overflow/);
  });

  test('status CHECK constraints refuse an unknown status', async () => {
    const { db } = fixture();
    const storeId = await insertStore(db);
    await expect(
      sql`update stores set status = 'closed' where id = ${storeId}`.execute(db.kysely),
    ).rejects.toThrow(/check constraint/);
    const now = new Date();
    const checkout = {
      id: newId('co'),
      store_id: storeId,
      order_id: 'A-1042',
      price_minor: '4980',
      currency: 'JPY',
      metadata: '{}',
      items: '[]',
      created_at: now,
      expires_at: now,
      monitoring_until: now,
    };
    await expect(
      db.kysely.insertInto('checkouts').values({ ...checkout, status: 'paid' as 'new', exception: 'none', escrow: false, assets_offered: [], version: 0 }).execute(),
    ).rejects.toThrow(/check constraint/);
    await expect(
      db.kysely.insertInto('checkouts').values({ ...checkout, status: 'new', exception: 'late' as 'none', escrow: false, assets_offered: [], version: 0 }).execute(),
    ).rejects.toThrow(/check constraint/);
    await db.kysely.insertInto('checkouts').values({ ...checkout, status: 'new', exception: 'none', escrow: false, assets_offered: ['BTC'], version: 0 }).execute();
    await expect(
      db.kysely.insertInto('payouts').values({ id: newId('po'), store_id: storeId, checkout_id: checkout.id, amount_minor: '4980', currency: 'JPY', status: 'queued' as 'reserved' }).execute(),
    ).rejects.toThrow(/check constraint/);
  });

  test('a second payout for the same checkout is refused (never paid twice)', async () => {
    const { db } = fixture();
    const storeId = await insertStore(db);
    const now = new Date();
    const checkoutId = newId('co');
    await db.kysely
      .insertInto('checkouts')
      .values({ id: checkoutId, store_id: storeId, order_id: 'A-1', price_minor: '100', currency: 'JPY', status: 'settled', exception: 'none', escrow: false, assets_offered: [], metadata: '{}', items: '[]', version: 0, created_at: now, expires_at: now, monitoring_until: now })
      .execute();
    const payout = { store_id: storeId, checkout_id: checkoutId, amount_minor: '100', currency: 'JPY', status: 'scheduled' as const };
    await db.kysely.insertInto('payouts').values({ id: newId('po'), ...payout }).execute();
    await expect(db.kysely.insertInto('payouts').values({ id: newId('po'), ...payout }).execute()).rejects.toThrow(/duplicate key/);
  });

  test('an unbalanced ledger posting cannot be committed, even by hand-written SQL', async () => {
    const { db } = fixture();
    const postingId = newId('lp');
    await expect(
      db.transaction(async (trx) => {
        await sql`insert into ledger_postings (id, kind, dedupe_key, occurred_at) values (${postingId}, 'settlement', ${postingId}, now())`.execute(trx);
        await sql`insert into ledger_entries (posting_id, account, currency, amount) values
          (${postingId}, 'assets:chain:BTC', 'BTC', 1000), (${postingId}, 'liabilities:store', 'BTC', -999)`.execute(trx);
      }),
    ).rejects.toThrow(/does not balance in BTC/);
    // Balanced in one currency but not in the other.
    await expect(
      db.transaction(async (trx) => {
        await sql`insert into ledger_postings (id, kind, dedupe_key, occurred_at) values (${postingId}, 'settlement', ${postingId}, now())`.execute(trx);
        await sql`insert into ledger_entries (posting_id, account, currency, amount) values
          (${postingId}, 'a', 'BTC', 5), (${postingId}, 'b', 'BTC', -5), (${postingId}, 'c', 'JPY', 7)`.execute(trx);
      }),
    ).rejects.toThrow(/does not balance in JPY/);
    // A posting without entries.
    await expect(
      sql`insert into ledger_postings (id, kind, dedupe_key, occurred_at) values (${postingId}, 'settlement', ${postingId}, now())`.execute(db.kysely),
    ).rejects.toThrow(/needs at least 2/);
    const count = await db.kysely.selectFrom('ledger_postings').select((eb) => eb.fn.countAll<string>().as('n')).where('id', '=', postingId).executeTakeFirstOrThrow();
    expect(count.n).toBe('0');
  });

  test('the ledger is append-only: entries cannot be added to a committed posting, changed or deleted', async () => {
    const { db } = fixture();
    const postingId = newId('lp');
    await db.transaction(async (trx) => {
      await sql`insert into ledger_postings (id, kind, dedupe_key, occurred_at) values (${postingId}, 'settlement', ${postingId}, now())`.execute(trx);
      await sql`insert into ledger_entries (posting_id, account, currency, amount) values
        (${postingId}, 'a', 'BTC', 5), (${postingId}, 'b', 'BTC', -5)`.execute(trx);
    });
    await expect(
      sql`insert into ledger_entries (posting_id, account, currency, amount) values (${postingId}, 'a', 'BTC', 1)`.execute(db.kysely),
    ).rejects.toThrow(/does not balance/);
    await expect(sql`update ledger_entries set amount = 6 where posting_id = ${postingId}`.execute(db.kysely)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_entries where posting_id = ${postingId}`.execute(db.kysely)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_postings where id = ${postingId}`.execute(db.kysely)).rejects.toThrow(/append-only/);
    await expect(sql`truncate ledger_entries`.execute(db.kysely)).rejects.toThrow(/append-only/);
  });

  test('the engine answers ping', async () => {
    const { db } = fixture();
    await expect(db.ping()).resolves.toBeUndefined();
  });
});
