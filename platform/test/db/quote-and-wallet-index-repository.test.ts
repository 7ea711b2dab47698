import { cryptoDueForFiat, parseFiatCurrency, parseRate } from '@coinstile/core';
import { QuoteRepository, WalletIndexRepository, type QuoteRecord } from '../../src/db';
import { describeOnEngines } from './engines';
import { insertStore, newId } from './fixtures';

describeOnEngines('QuoteRepository and WalletIndexRepository', (fixture) => {
  test('a quote round-trips with its sources, exact amounts and rate', async () => {
    const { db } = fixture();
    const quotes = new QuoteRepository(db);
    const storeId = await insertStore(db);
    const createdAt = new Date();
    const currency = parseFiatCurrency('USD');
    const rate = parseRate('3012.123456789012345678');
    const quote: QuoteRecord = {
      id: newId('qt'),
      storeId,
      asset: 'ETH',
      currency,
      priceMinor: 1999n,
      rate,
      amountDueBase: cryptoDueForFiat(1999n, currency, 'ETH', rate),
      spreadBps: 75,
      sources: [{ source: 'kraken', rate: '3010.5', at: createdAt.toISOString() }, { source: 'coinbase', rate: '3011' }],
      createdAt,
      expiresAt: new Date(createdAt.getTime() + 900_000),
    };
    await quotes.insert(quote);
    expect(await quotes.findById(quote.id)).toEqual(quote);
    expect(await quotes.findById(newId('qt'))).toBeNull();
    await expect(quotes.insert(quote)).rejects.toThrow(/duplicate key/);
  });

  test('concurrent index allocations are distinct and gap-free per store and asset', async () => {
    const { db } = fixture();
    const indexes = new WalletIndexRepository(db);
    const storeId = await insertStore(db);
    const other = await insertStore(db);
    const allocated = await Promise.all(Array.from({ length: 25 }, () => indexes.allocate(storeId, 'BTC')));
    expect([...allocated].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(await indexes.allocate(storeId, 'LTC')).toBe(0);
    expect(await indexes.allocate(other, 'BTC')).toBe(0);
    expect(await indexes.allocate(storeId, 'BTC')).toBe(25);
    // An allocation rolled back with the checkout it was for is handed out again: no checkout holds it.
    await expect(
      db.transaction(async (trx) => {
        expect(await indexes.allocate(storeId, 'BTC', trx)).toBe(26);
        throw new Error('checkout creation failed');
      }),
    ).rejects.toThrow('checkout creation failed');
    expect(await indexes.allocate(storeId, 'BTC')).toBe(26);
  });
});
