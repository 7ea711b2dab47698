import type { StoreId } from '@coinstile/core';
import { type Database, migrateToLatest, openDatabase } from '@coinstile/platform';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';
import { insertStore, newId } from '../../platform/test/db/fixtures';
import { WalletIndexLeases } from '../src/checkouts/wallet-index-leases';

let postgres: PostgresServer;
let db: Database;

beforeAll(async () => {
  postgres = await startPostgres();
  db = await openDatabase({ url: await postgres.createDatabase(), poolSize: 4 });
  await migrateToLatest(db);
}, 60_000);
afterAll(async () => {
  await db?.close();
  await postgres?.stop();
});

/** The shared counter: indexes leased so far (0 when the wallet never leased). */
async function leased(storeId: StoreId, asset = 'BTC'): Promise<number> {
  const row = await db.kysely.selectFrom('store_wallet_indexes').select('next_index').where('store_id', '=', storeId).where('asset', '=', asset).executeTakeFirst();
  return row === undefined ? 0 : Number(row.next_index);
}

/** A clock the test moves: demand is what was handed out within the last 50 ms of it. */
function testClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Lets the lease statements scheduled so far run, as the event loop does between requests. */
function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

/** True when `promise` settled within a few microtasks, i.e. without a round trip to the database. */
async function settlesAtOnce(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
  return settled;
}

describe('WalletIndexLeases', () => {
  it('a lone take leases exactly one; a burst leases exactly the takes waiting, then as many ahead', async () => {
    const storeId = await insertStore(db);
    const clock = testClock();
    const leases = new WalletIndexLeases(db, { now: clock.now });
    expect(await leases.take(storeId, 'BTC')).toBe(0);
    await pause();
    expect(await leased(storeId)).toBe(1);
    clock.advance(1_000);
    expect(await leases.take(storeId, 'BTC')).toBe(1);
    await pause();
    expect(await leased(storeId)).toBe(2);

    clock.advance(1_000);
    expect(await Promise.all(Array.from({ length: 5 }, () => leases.take(storeId, 'BTC')))).toEqual([2, 3, 4, 5, 6]);
    await pause();
    // Five for the waiting takes, then five ahead: five were handed out within the demand window.
    expect(await leased(storeId)).toBe(12);
    // Idle: the five ahead are handed out without a lease, then a lone take leases one again.
    for (const expected of [7, 8, 9, 10, 11, 12]) {
      clock.advance(1_000);
      expect(await leases.take(storeId, 'BTC')).toBe(expected);
      await pause();
    }
    expect(await leased(storeId)).toBe(13);
  });

  it('under demand leases ahead (at most maxAhead) and refills before the run is empty; back to exact leases when idle', async () => {
    const storeId = await insertStore(db);
    const clock = testClock();
    const leases = new WalletIndexLeases(db, { now: clock.now, maxAhead: 64 });
    const handedOut: number[] = [];
    for (let i = 0; i < 300; i += 1) handedOut.push(await leases.take(storeId, 'BTC'));
    expect(handedOut).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const ahead = (await leased(storeId)) - handedOut.length;
    expect(ahead).toBeGreaterThan(0);
    expect(ahead).toBeLessThanOrEqual(64);
    // In steady state a take is served from the run, without waiting for a statement.
    for (let i = 0; i < 100; i += 1) {
      const take = leases.take(storeId, 'BTC');
      expect(await settlesAtOnce(take)).toBe(true);
      handedOut.push(await take);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(await leased(storeId)).toBeLessThanOrEqual(handedOut.length + 64);

    // Idle again: the run is used up without new leases, then each lone take leases exactly one.
    const counterWhenIdle = await leased(storeId);
    while (handedOut.length < counterWhenIdle) {
      clock.advance(1_000);
      handedOut.push(await leases.take(storeId, 'BTC'));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(await leased(storeId)).toBe(counterWhenIdle);
    for (let i = 1; i <= 3; i += 1) {
      clock.advance(1_000);
      handedOut.push(await leases.take(storeId, 'BTC'));
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(await leased(storeId)).toBe(counterWhenIdle + i);
    }
    expect(handedOut).toEqual(Array.from({ length: handedOut.length }, (_, i) => i));
  });

  it('hands given-back indexes out again first, smallest first, before leasing new ones', async () => {
    const storeId = await insertStore(db);
    const clock = testClock();
    // Nothing leased ahead, so the counter shows exactly what was leased for waiting takes.
    const leases = new WalletIndexLeases(db, { now: clock.now, maxAhead: 0 });
    expect(await Promise.all([0, 1, 2].map(() => leases.take(storeId, 'ETH')))).toEqual([0, 1, 2]);
    leases.giveBack(storeId, 'ETH', 2);
    leases.giveBack(storeId, 'ETH', 0);
    clock.advance(1_000);
    expect(await Promise.all([0, 1, 2].map(() => leases.take(storeId, 'ETH')))).toEqual([0, 2, 3]);
    expect(await leased(storeId, 'ETH')).toBe(4);
    // A waiting take gets an index given back meanwhile.
    clock.advance(1_000);
    const waiting = [leases.take(storeId, 'ETH'), leases.take(storeId, 'ETH')];
    leases.giveBack(storeId, 'ETH', 1);
    expect(await Promise.all(waiting)).toEqual([1, 4]);
    expect(await leased(storeId, 'ETH')).toBe(5);
  });

  it('close gives the unused tail of its last lease back to the counter, so a graceful restart under load leaves no gap', async () => {
    const storeId = await insertStore(db);
    const leases = new WalletIndexLeases(db, { maxAhead: 64 });
    const handedOut: number[] = [];
    for (let i = 0; i < 200; i += 1) handedOut.push(await leases.take(storeId, 'BTC'));
    await pause();
    expect(await leased(storeId)).toBeGreaterThan(200);
    await leases.close();
    expect(await leased(storeId)).toBe(200);
    // The next process starts where this one stopped handing out.
    const next = new WalletIndexLeases(db);
    expect(await next.take(storeId, 'BTC')).toBe(200);
    await next.close();
    expect(await leased(storeId)).toBe(201);
  });

  it('close leaves the counter alone when another process leased after it (that gap stays, nothing is handed out twice)', async () => {
    const storeId = await insertStore(db);
    const a = new WalletIndexLeases(db, { maxAhead: 64 });
    for (let i = 0; i < 100; i += 1) await a.take(storeId, 'BTC');
    await pause();
    const leasedByA = await leased(storeId);
    expect(leasedByA).toBeGreaterThan(100);
    const b = new WalletIndexLeases(db);
    expect(await b.take(storeId, 'BTC')).toBe(leasedByA);
    await a.close();
    expect(await leased(storeId)).toBe(leasedByA + 1);
    expect(await b.take(storeId, 'BTC')).toBe(leasedByA + 1);
  });

  it('two instances on one database (two gateway processes) never hand out the same index, each in increasing order', async () => {
    const stores = [await insertStore(db), await insertStore(db)];
    const a = new WalletIndexLeases(db);
    const b = new WalletIndexLeases(db, { maxAhead: 8 });
    const takes = { a: new Map<string, Promise<number>[]>(), b: new Map<string, Promise<number>[]>() };
    for (let round = 0; round < 40; round += 1) {
      for (const [name, leases] of [['a', a], ['b', b]] as const) {
        for (const storeId of stores) {
          for (const asset of ['BTC', 'ETH'] as const) {
            const key = `${storeId}|${asset}`;
            const list = takes[name].get(key) ?? [];
            for (let i = 0; i < 5; i += 1) list.push(leases.take(storeId, asset));
            takes[name].set(key, list);
          }
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const storeId of stores) {
      for (const asset of ['BTC', 'ETH'] as const) {
        const key = `${storeId}|${asset}`;
        const ofA = await Promise.all(takes.a.get(key)!);
        const ofB = await Promise.all(takes.b.get(key)!);
        expect([...ofA].sort((x, y) => x - y)).toEqual(ofA);
        expect([...ofB].sort((x, y) => x - y)).toEqual(ofB);
        const all = [...ofA, ...ofB];
        expect(new Set(all).size).toBe(all.length);
        expect(Math.max(...all)).toBeLessThan(await leased(storeId, asset));
      }
    }
  });

  it('a wallet whose lease fails fails only its own takes, not the wallets leased in the same statement', async () => {
    const storeId = await insertStore(db);
    const leases = new WalletIndexLeases(db);
    const unknownStore = newId('st');
    const [good, bad] = await Promise.allSettled([leases.take(storeId, 'USDC'), leases.take(unknownStore, 'USDC')]);
    expect(good).toEqual({ status: 'fulfilled', value: 0 });
    expect(bad.status).toBe('rejected');
    expect(await leased(storeId, 'USDC')).toBe(1);
    // The failed wallet leases again on the next take (here failing again: the store does not exist).
    await expect(leases.take(unknownStore, 'USDC')).rejects.toThrow();
  });
});
