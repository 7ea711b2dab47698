import { CheckoutRepository, PaymentRepository, type PaymentSighting } from '../../src/db';
import { describeOnEngines } from './engines';
import { insertQuote, insertStore, newCheckout, newId } from './fixtures';

describeOnEngines('PaymentRepository', (fixture) => {
  test('the first sighting fixes id, amount and first-seen time; later ones move confirmations, block and state', async () => {
    const { db } = fixture();
    const checkouts = new CheckoutRepository(db);
    const payments = new PaymentRepository(db);
    const storeId = await insertStore(db);
    const now = new Date();
    const checkout = newCheckout(storeId, now, await insertQuote(db, storeId, 4980n, 55_312n, now));
    await checkouts.insert(checkout);
    expect((await checkouts.findByAddress('BTC', checkout.address!))?.id).toBe(checkout.id);
    expect(await checkouts.findByAddress('LTC', checkout.address!)).toBeNull();

    const seen: PaymentSighting = {
      id: newId('pay'),
      checkoutId: checkout.id,
      asset: 'BTC',
      txid: 'ab'.repeat(32),
      outputIndex: 1,
      amountBase: 55_312n,
      confirmations: 0,
      rbfSignalled: true,
      firstSeenAt: now,
      state: 'pending',
      blockHash: null,
      blockHeight: null,
    };
    const first = await payments.record(seen, now);
    expect(first).toEqual({ ...seen, chain: 'bitcoin', updatedAt: now });

    const later = new Date(now.getTime() + 600_000);
    const mined = await payments.record(
      { ...seen, id: newId('pay'), firstSeenAt: later, confirmations: 1, state: 'confirmed', blockHash: 'cd'.repeat(32), blockHeight: 812_345 },
      later,
    );
    expect(mined).toEqual({ ...seen, chain: 'bitcoin', confirmations: 1, state: 'confirmed', blockHash: 'cd'.repeat(32), blockHeight: 812_345, updatedAt: later });

    const other = await payments.record({ ...seen, id: newId('pay'), outputIndex: 0, amountBase: 5n }, later);
    expect((await payments.listForCheckout(checkout.id)).map((p) => p.id)).toEqual([first.id, other.id]);
    await expect(payments.record({ ...seen, id: newId('pay'), txid: 'ef'.repeat(32), state: 'seen' as 'pending' })).rejects.toThrow(/check constraint/);
  });
});
