import { cryptoRandomSource, migrateToLatest, openDatabase, systemClock, type Database } from '@coinstile/platform';
import { createReceiptSigner, issueReceipt, verifyReceipt } from '../../src/receipts';
import { insertStore, settleCheckout } from '../support/pipeline-fixtures';

// The embedded default runs on PGlite: key creation (advisory lock), encryption and issuance work there too.
describe('signed receipts on embedded PGlite', () => {
  let db: Database;

  beforeAll(async () => {
    db = await openDatabase();
    await migrateToLatest(db);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
  });

  test('issue, re-issue and verify; a second signer on the same database uses the same key', async () => {
    const signer = await createReceiptSigner({ db, issuer: 'http://localhost:8080', clock: systemClock(), random: cryptoRandomSource });
    const storeId = await insertStore(db);
    const checkoutId = await settleCheckout(db, storeId);
    const receipt = await db.transaction((trx) => issueReceipt(trx, checkoutId, signer));
    const other = await createReceiptSigner({ db, issuer: 'http://localhost:8080', clock: systemClock(), random: cryptoRandomSource });
    expect(await issueReceipt(db, checkoutId, other)).toEqual(receipt);
    expect((await other.keys.activeKey()).kid).toBe(receipt.kid);
    expect(verifyReceipt(receipt.jws, await other.keys.publishedKeys(), { expectedStoreId: storeId }).sub).toBe(checkoutId);
  });
});
