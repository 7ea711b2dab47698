import { randomBytes } from 'node:crypto';
import {
  createCheckout,
  DEFAULT_STORE_POLICY,
  ID_RANDOM_BYTES,
  makeId,
  parseFiatCurrency,
  parseRate,
  type Checkout,
  type Id,
  type IdPrefix,
  type Quote,
  type StoreId,
} from '@coinstile/core';
import type { Database } from '../../src/db';

export function newId<P extends IdPrefix>(prefix: P): Id<P> {
  return makeId(prefix, Date.now(), randomBytes(ID_RANDOM_BYTES));
}

/** Inserts an active store and returns its id. */
export async function insertStore(db: Database): Promise<StoreId> {
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

/** Inserts a locked quote for `priceMinor` JPY paid in BTC and returns it as core's `Quote`. */
export async function insertQuote(db: Database, storeId: string, priceMinor: bigint, amountDueBase: bigint, now: Date): Promise<Quote> {
  const quote: Quote = {
    id: newId('qt'),
    asset: 'BTC',
    currency: parseFiatCurrency('JPY'),
    priceMinor,
    rate: parseRate('9003412'),
    amountDueBase,
    expiresAt: new Date(now.getTime() + 15 * 60_000),
  };
  await db.kysely
    .insertInto('quotes')
    .values({
      id: quote.id,
      store_id: storeId,
      base_asset: quote.asset,
      quote_currency: quote.currency,
      rate: quote.rate,
      spread_bps: 50,
      sources: JSON.stringify([{ source: 'static', rate: '9003412' }]),
      amount_due_base: amountDueBase.toString(),
      price_minor: priceMinor.toString(),
      created_at: now,
      expires_at: quote.expiresAt,
    })
    .execute();
  return quote;
}

/** A fresh `new` checkout for `storeId` (core's `createCheckout`), with BTC payment instructions when `quote` is given. */
export function newCheckout(storeId: string, now: Date, quote?: Quote): Checkout {
  return createCheckout({
    id: newId('co'),
    storeId: storeId as StoreId,
    orderId: `A-${Math.floor(Math.random() * 1e6)}`,
    priceMinor: quote?.priceMinor ?? 4980n,
    currency: parseFiatCurrency('JPY'),
    createdAt: now,
    policy: DEFAULT_STORE_POLICY,
    ...(quote ? { payment: { asset: 'BTC', address: `bcrt1q${newId('co').slice(3).toLowerCase()}`, quote } } : {}),
  });
}
