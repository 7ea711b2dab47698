import { randomBytes } from 'node:crypto';
import { ID_RANDOM_BYTES, makeId, type Id, type IdPrefix } from '@coinstile/core';
import type { Database } from '../../src/db';

export function newId<P extends IdPrefix>(prefix: P): Id<P> {
  return makeId(prefix, Date.now(), randomBytes(ID_RANDOM_BYTES));
}

/** Inserts an active store and returns its id. */
export async function insertStore(db: Database): Promise<string> {
  const id = newId('st');
  await db.kysely
    .insertInto('stores')
    .values({
      id,
      name: 'Kobe Tea House',
      status: 'active',
      payout_currency: 'JPY',
      payout_account: JSON.stringify({ iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Kobe Tea House KK' }),
    })
    .execute();
  return id;
}
