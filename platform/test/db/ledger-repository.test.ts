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
import { LedgerRepository } from '../../src/db';
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
});
