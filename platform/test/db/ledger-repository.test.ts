import { sql } from 'kysely';
import {
  balances as coreBalances,
  parseFiatCurrency,
  settlementPosting,
  storePayable,
  type CheckoutId,
  type Posting,
  type StoreId,
} from '@coinstile/core';
import { appendPostings, LedgerRepository } from '../../src/db';
import { describeOnEngines } from './engines';
import { newId } from './fixtures';

const JPY = parseFiatCurrency('JPY');

function settlement(storeId: StoreId, checkoutId: CheckoutId, amountReceivedBase: bigint, priceMinor: bigint): Posting {
  return settlementPosting({
    meta: { postingId: newId('lp'), dedupeKey: `settlement:${checkoutId}`, occurredAt: new Date(), storeId, checkoutId },
    storeId,
    asset: 'ETH',
    amountReceivedBase,
    currency: JPY,
    priceMinor,
    feeMinor: priceMinor / 100n,
    spreadMinor: 25n,
    escrow: false,
  });
}

describeOnEngines('LedgerRepository', (fixture) => {
  test('postings are booked once per dedupe key and balances are derived from the entries', async () => {
    const { db } = fixture();
    const ledger = new LedgerRepository(db);
    const storeId = newId('st');
    const first = settlement(storeId, newId('co'), 2n ** 255n, 498_000n);
    const second = settlement(storeId, newId('co'), 3n * 10n ** 18n, 12_000n);

    expect(await ledger.append(first)).toBe(true);
    expect(await ledger.append(second)).toBe(true);
    // A retried job books the same fact again under a new posting id: refused, nothing written.
    const retried = settlement(storeId, first.meta.checkoutId!, 2n ** 255n, 498_000n);
    expect(await ledger.append(retried)).toBe(false);

    const derived = await ledger.balancesWithPrefix(`store:${storeId}:`);
    expect(derived).toEqual(new Map([[storePayable(storeId), new Map([['JPY', -(498_000n - 4_980n) - (12_000n - 120n)]])]]));

    const all = await ledger.balances();
    const expected = coreBalances([first, second]);
    for (const [account, byCurrency] of expected) {
      for (const [currency, amount] of byCurrency) {
        expect(all.get(account)?.get(currency)).toBe(amount);
      }
    }
    expect(all.get('mall:crypto_holdings:ETH')?.get('ETH')).toBe(2n ** 255n + 3n * 10n ** 18n);
    for (const total of (await ledger.trialBalance()).values()) expect(total).toBe(0n);

    expect(await ledger.balances([storePayable(storeId), 'mall:nothing'])).toEqual(derived);
    expect(await ledger.balances([])).toEqual(new Map());

    const stored = await ledger.findByDedupeKey(first.meta.dedupeKey);
    expect(stored?.entries).toEqual(first.entries);
    expect(stored?.meta).toEqual(first.meta);
    expect(await ledger.findByDedupeKey('settlement:nothing')).toBeNull();
  });

  test('a posting booked inside a transaction that rolls back leaves nothing', async () => {
    const { db } = fixture();
    const ledger = new LedgerRepository(db);
    const posting = settlement(newId('st'), newId('co'), 10n, 1_000n);
    await expect(
      db.transaction(async (trx) => {
        expect(await ledger.append(posting, trx)).toBe(true);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await ledger.findByDedupeKey(posting.meta.dedupeKey)).toBeNull();
  });

  test('the database refuses an unbalanced posting that bypasses buildPosting', async () => {
    const { db } = fixture();
    const postingId = newId('lp');
    await expect(
      db.transaction(async (trx) => {
        await trx.insertInto('ledger_postings').values({ id: postingId, kind: 'settlement', dedupe_key: `manual:${postingId}`, occurred_at: new Date() }).execute();
        await trx
          .insertInto('ledger_entries')
          .values([
            { posting_id: postingId, account: 'mall:fiat_cash', currency: 'JPY', amount: '100' },
            { posting_id: postingId, account: 'mall:fx_conversion', currency: 'JPY', amount: '-99' },
          ])
          .execute();
      }),
    ).rejects.toThrow(/does not balance/);
    const left = await sql<{ n: string }>`select count(*) as n from ledger_postings where id = ${postingId}`.execute(db.kysely);
    expect(left.rows[0]?.n).toBe('0');
  });

  // The balance check runs once per statement (migration 0018); these prove no way around it was opened.
  test('one unbalanced posting among many booked in one statement refuses the whole transaction', async () => {
    const { db } = fixture();
    const storeId = newId('st');
    const good = Array.from({ length: 50 }, () => settlement(storeId, newId('co'), 10n, 1_000n));
    const badId = newId('lp');
    await expect(
      db.transaction(async (trx) => {
        await appendPostings(trx, good);
        await trx
          .insertInto('ledger_postings')
          .values([{ id: badId, kind: 'settlement', dedupe_key: `manual:${badId}`, occurred_at: new Date() }])
          .execute();
        await trx
          .insertInto('ledger_entries')
          .values([
            { posting_id: badId, account: 'mall:fiat_cash', currency: 'JPY', amount: '100' },
            { posting_id: badId, account: 'mall:fx_conversion', currency: 'JPY', amount: '-100' },
            { posting_id: badId, account: 'mall:fiat_cash', currency: 'USD', amount: '1' },
            { posting_id: badId, account: 'mall:fx_conversion', currency: 'EUR', amount: '-1' },
          ])
          .execute();
      }),
    ).rejects.toThrow(new RegExp(`ledger posting ${badId} does not balance in (EUR|USD)`));
    const left = await sql<{ n: string }>`select count(*) as n from ledger_postings where store_id = ${storeId} or id = ${badId}`.execute(db.kysely);
    expect(left.rows[0]?.n).toBe('0');
  });

  test('a posting with a single entry, or none, is refused', async () => {
    const { db } = fixture();
    for (const entries of [1, 0]) {
      const postingId = newId('lp');
      await expect(
        db.transaction(async (trx) => {
          await trx.insertInto('ledger_postings').values({ id: postingId, kind: 'settlement', dedupe_key: `manual:${postingId}`, occurred_at: new Date() }).execute();
          if (entries > 0) await trx.insertInto('ledger_entries').values({ posting_id: postingId, account: 'mall:fiat_cash', currency: 'JPY', amount: '100' }).execute();
        }),
      ).rejects.toThrow(`ledger posting ${postingId} has ${entries} entries, needs at least 2`);
    }
  });

  test('entries added to a posting already booked are checked with it and refused when they unbalance it', async () => {
    const { db } = fixture();
    const ledger = new LedgerRepository(db);
    const posting = settlement(newId('st'), newId('co'), 10n, 1_000n);
    expect(await ledger.append(posting)).toBe(true);
    const entry = { posting_id: posting.meta.postingId, account: 'mall:fiat_cash', currency: 'JPY', amount: '7' };
    await expect(db.kysely.insertInto('ledger_entries').values(entry).execute()).rejects.toThrow(/does not balance in JPY/);
    // Balanced additions are still possible in one statement (the check sees the posting as a whole).
    await db.kysely
      .insertInto('ledger_entries')
      .values([entry, { ...entry, account: 'mall:fx_conversion', amount: '-7' }])
      .execute();
    expect((await ledger.findByDedupeKey(posting.meta.dedupeKey))?.entries).toHaveLength(posting.entries.length + 2);
  });

  test('removing the queued checks before commit does not skip them', async () => {
    const { db } = fixture();
    const postingId = newId('lp');
    await expect(
      db.transaction(async (trx) => {
        await trx.insertInto('ledger_postings').values({ id: postingId, kind: 'settlement', dedupe_key: `manual:${postingId}`, occurred_at: new Date() }).execute();
        await trx
          .insertInto('ledger_entries')
          .values([
            { posting_id: postingId, account: 'mall:fiat_cash', currency: 'JPY', amount: '100' },
            { posting_id: postingId, account: 'mall:fx_conversion', currency: 'JPY', amount: '-1' },
          ])
          .execute();
        const queued = await sql<{ n: string }>`select count(*) as n from ledger_balance_checks`.execute(trx);
        expect(Number(queued.rows[0]?.n)).toBeGreaterThanOrEqual(2);
        await sql`update ledger_balance_checks set posting_ids = '{}'`.execute(trx);
        await sql`delete from ledger_balance_checks`.execute(trx);
      }),
    ).rejects.toThrow(/does not balance in JPY/);
    await expect(
      db.transaction(async (trx) => {
        await trx.insertInto('ledger_postings').values({ id: postingId, kind: 'settlement', dedupe_key: `manual:${postingId}`, occurred_at: new Date() }).execute();
        await sql`truncate ledger_balance_checks`.execute(trx);
      }),
    ).rejects.toThrow(/pending trigger events/);
    const left = await sql<{ n: string }>`select (select count(*) from ledger_postings where id = ${postingId}) + (select count(*) from ledger_balance_checks) as n`.execute(db.kysely);
    expect(left.rows[0]?.n).toBe('0');
  });
});
