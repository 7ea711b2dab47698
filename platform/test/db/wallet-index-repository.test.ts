import { WalletIndexRepository } from '../../src/db';
import { describeOnEngines } from './engines';
import { insertStore } from './fixtures';

describeOnEngines('WalletIndexRepository', (fixture) => {
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
