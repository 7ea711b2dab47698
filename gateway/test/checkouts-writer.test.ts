import { type Checkout, createCheckout, parseFiatCurrency, type StoreId } from '@coinstile/core';
import { KyselyQuoteRepository, type Quote } from '@coinstile/fx-oracle';
import { type CheckoutDetails, CheckoutRepository, type Database, migrateToLatest, openDatabase } from '@coinstile/platform';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';
import { insertStore, newId } from '../../platform/test/db/fixtures';
import { CheckoutWriter, type IdempotentResponse } from '../src/checkouts/checkout-writer';

let postgres: PostgresServer;
let db: Database;
let storeId: StoreId;
const jpy = parseFiatCurrency('JPY');
const scope = 'st_test:POST /v1/checkouts';

beforeAll(async () => {
  postgres = await startPostgres();
  db = await openDatabase({ url: await postgres.createDatabase(), poolSize: 4 });
  await migrateToLatest(db);
  storeId = await insertStore(db);
}, 60_000);
afterAll(async () => {
  await db?.close();
  await postgres?.stop();
});

let addressSeq = 0;

/** A new checkout of `store` (default the test's store) with a locked BTC quote, and its details. */
function newCheckout(store: StoreId = storeId): { checkout: Checkout; details: CheckoutDetails; quote: Quote } {
  const now = new Date();
  const quote: Quote = {
    id: newId('qt'),
    storeId: store,
    asset: 'BTC',
    currency: jpy,
    priceMinor: 4980n,
    amountDueBase: 55334n,
    rate: '9000000',
    marketRate: '9000000',
    spreadBps: 0,
    sources: [{ source: 'static', pair: 'BTC-JPY', value: '9000000', observedAtMs: now.getTime(), demo: true }] as unknown as Quote['sources'],
    demo: true,
    createdAt: now,
    expiresAt: new Date(now.getTime() + 15 * 60_000),
  };
  addressSeq += 1;
  const checkout = createCheckout({
    id: newId('co'),
    storeId: store,
    orderId: `W-${addressSeq}`,
    priceMinor: 4980n,
    currency: jpy,
    createdAt: now,
    policy: { expiryMinutes: 15, monitoringMinutes: 60 },
    payment: { asset: 'BTC', address: `bc1qtest${addressSeq}`, quote },
  });
  const details: CheckoutDetails = { assetsOffered: ['BTC', 'ETH'], derivationIndex: addressSeq, escrow: true, metadata: { customer: 'c-1', n: 7 }, items: [{ name: 'Sencha', quantity: 2 }] };
  return { checkout, details, quote };
}

function claimOf(key: string, body: unknown = { key }): IdempotentResponse {
  return { kind: 'claim', scope, key, requestHash: 'h', claimedAt: new Date(), status: 201, bodyJson: JSON.stringify(body) };
}

function writeOne(writer: CheckoutWriter, response: IdempotentResponse) {
  const { checkout, details, quote } = newCheckout();
  return writer.insert(checkout, details, response, quote);
}

async function storedKey(key: string) {
  return db.kysely.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
}

async function checkoutExists(checkout: Checkout): Promise<boolean> {
  return (await new CheckoutRepository(db).findById(checkout.id)) !== null;
}

async function quoteExists(quote: Quote): Promise<boolean> {
  return (await new KyselyQuoteRepository(db.kysely).findById(quote.id)) !== null;
}

describe('CheckoutWriter', () => {
  it('writes a batch: checkouts, their quotes and claimed keys (complete), exactly as they read back', async () => {
    const writer = new CheckoutWriter(db);
    const plain = newCheckout();
    const keyed = newCheckout();
    const outcomes = await Promise.all([
      writer.insert(plain.checkout, plain.details, undefined, plain.quote),
      writer.insert(keyed.checkout, keyed.details, claimOf('k-1', { id: keyed.checkout.id, note: 'the 201 body' }), keyed.quote),
    ]);
    expect(outcomes).toEqual(['written', 'written']);
    const record = await new CheckoutRepository(db).findById(keyed.checkout.id);
    expect(record).toMatchObject({ ...keyed.checkout, ...keyed.details, cancelledAt: null });
    expect(await new KyselyQuoteRepository(db.kysely).findById(keyed.quote.id)).toEqual(keyed.quote);
    expect(await storedKey('k-1')).toMatchObject({ request_hash: 'h', response_status: 201, response_body: { id: keyed.checkout.id, note: 'the 201 body' }, completed_at: expect.any(Date) });
    const link = await db.kysely.selectFrom('checkouts').select(['shopper_account_id', 'purpose']).where('id', '=', keyed.checkout.id).executeTakeFirstOrThrow();
    expect(link).toEqual({ shopper_account_id: null, purpose: 'sale' });
    expect(await checkoutExists(plain.checkout)).toBe(true);
  });

  it('a key already used, or claimed by an earlier checkout of the same batch: that checkout and its quote are not written', async () => {
    const writer = new CheckoutWriter(db);
    expect(await writeOne(writer, claimOf('k-used'))).toBe('written');
    const [used, first, second, other] = [newCheckout(), newCheckout(), newCheckout(), newCheckout()];
    const outcomes = await Promise.all([
      writer.insert(used.checkout, used.details, claimOf('k-used', 'replaced?'), used.quote),
      writer.insert(first.checkout, first.details, claimOf('k-2', 'first'), first.quote),
      writer.insert(second.checkout, second.details, claimOf('k-2', 'second'), second.quote),
      writer.insert(other.checkout, other.details, undefined, other.quote),
    ]);
    expect(outcomes).toEqual(['key_in_use', 'written', 'key_in_use', 'written']);
    expect(await Promise.all([used, first, second, other].map((c) => checkoutExists(c.checkout)))).toEqual([false, true, false, true]);
    expect(await Promise.all([used, first, second, other].map((c) => quoteExists(c.quote)))).toEqual([false, true, false, true]);
    expect((await storedKey('k-used'))?.response_body).toEqual({ key: 'k-used' });
    expect((await storedKey('k-2'))?.response_body).toBe('first');
  });

  it('completes a key the request already holds (a takeover) with its checkout', async () => {
    const writer = new CheckoutWriter(db);
    await db.kysely.insertInto('idempotency_keys').values({ scope, key: 'k-taken', request_hash: 'h', created_at: new Date() }).execute();
    const taken = newCheckout();
    expect(await writer.insert(taken.checkout, taken.details, { kind: 'complete', scope, key: 'k-taken', status: 201, bodyJson: '{"ok":true}' }, taken.quote)).toBe('written');
    expect(await storedKey('k-taken')).toMatchObject({ response_status: 201, response_body: { ok: true }, completed_at: expect.any(Date) });
    expect(await checkoutExists(taken.checkout)).toBe(true);
  });

  it('one batch of every kind at once (a claim, a completion, quoted and unquoted checkouts): each document binds to its own part', async () => {
    const writer = new CheckoutWriter(db);
    await db.kysely.insertInto('idempotency_keys').values({ scope, key: 'k-held', request_hash: 'h', created_at: new Date() }).execute();
    const [claimed, completing, plain] = [newCheckout(), newCheckout(), newCheckout()];
    // No asset chosen yet: no address, no quote.
    const unquoted = {
      checkout: createCheckout({ id: newId('co'), storeId, orderId: 'W-no-asset', priceMinor: 1200n, currency: jpy, createdAt: new Date(), policy: { expiryMinutes: 15, monitoringMinutes: 60 } }),
      details: { ...plain.details, derivationIndex: null },
      quote: newCheckout().quote,
    };
    const outcomes = await Promise.all([
      writer.insert(claimed.checkout, claimed.details, claimOf('k-mixed', { claimed: true }), claimed.quote),
      writer.insert(completing.checkout, completing.details, { kind: 'complete', scope, key: 'k-held', status: 201, bodyJson: '{"completed":true}' }, completing.quote),
      writer.insert(unquoted.checkout, unquoted.details, undefined, undefined),
      writer.insert(plain.checkout, plain.details, undefined, plain.quote),
    ]);
    expect(outcomes).toEqual(['written', 'written', 'written', 'written']);
    expect(await Promise.all([claimed, completing, unquoted, plain].map((c) => checkoutExists(c.checkout)))).toEqual([true, true, true, true]);
    expect(await Promise.all([claimed, completing, unquoted, plain].map((c) => quoteExists(c.quote)))).toEqual([true, true, false, true]);
    expect(await storedKey('k-mixed')).toMatchObject({ response_status: 201, response_body: { claimed: true } });
    expect(await storedKey('k-held')).toMatchObject({ response_status: 201, response_body: { completed: true } });
    // The same shape again binds the next batch's documents, not the first one's.
    const again = newCheckout();
    expect(await writer.insert(again.checkout, again.details, claimOf('k-mixed-2', { again: true }), again.quote)).toBe('written');
    expect((await storedKey('k-mixed-2'))?.response_body).toEqual({ again: true });
  });

  it('after a failed batch each checkout is written alone; a key found in use then is flagged: the failed batch may have committed it', async () => {
    const writer = new CheckoutWriter(db);
    expect(await writeOne(writer, claimOf('k-3'))).toBe('written');
    const unknownStore = newId('st');
    const [bad, good, used] = [newCheckout(unknownStore), newCheckout(), newCheckout()];
    const outcomes = await Promise.allSettled([
      writer.insert(bad.checkout, bad.details, undefined, bad.quote),
      writer.insert(good.checkout, good.details, claimOf('k-4'), good.quote),
      writer.insert(used.checkout, used.details, claimOf('k-3'), used.quote),
    ]);
    expect(outcomes[0].status).toBe('rejected');
    expect(outcomes.slice(1)).toEqual([
      { status: 'fulfilled', value: 'written' },
      { status: 'fulfilled', value: 'key_in_use_after_error' },
    ]);
    expect(await Promise.all([bad, good, used].map((c) => checkoutExists(c.checkout)))).toEqual([false, true, false]);
  });
});
