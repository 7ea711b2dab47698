import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseFiatCurrency, type Clock, type PayoutId, type StoreId } from '@coinstile/core';
import { cryptoRandomSource, migrateToLatest, openDatabase, type Database } from '@coinstile/platform';
import type { PostgresServer } from '@coinstile/testkit';
import { pipelineKysely, SettlementProcessor } from '../../../src';
import { insertStore, settleCheckout } from '../../support/pipeline-fixtures';

export const random = cryptoRandomSource;

/** A clock tests can move. */
export class TestClock implements Clock {
  constructor(private current = new Date()) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** A fresh migrated database on `postgres`. */
export async function openTestDatabase(postgres: PostgresServer): Promise<Database> {
  const db = await openDatabase({ url: await postgres.createDatabase() });
  await migrateToLatest(db);
  return db;
}

export type TestAccount =
  | { kind?: 'iban'; iban: string; bic?: string; holderName: string }
  | { kind: 'jp_zengin'; bankCode: string; branchCode: string; accountType: string; accountNumber: string; holderNameKana: string };

/** A store paid in `currency` to `account` (default: a German IBAN with BIC). */
export async function storeWith(db: Database, currency: string, account?: TestAccount): Promise<StoreId> {
  const storeId = await insertStore(db, { currency, feeBps: 100, feeFixedMinor: 0n });
  if (account) {
    await db.kysely.updateTable('stores').set({ payout_account: JSON.stringify(account) }).where('id', '=', storeId).execute();
  }
  return storeId;
}

/**
 * A payout made the way production makes it: a settled checkout released (settlement posting) and
 * its payout scheduled (`scheduled`, due now). Returns the payout id and its amount.
 */
export async function scheduledPayout(db: Database, clock: Clock, storeId: StoreId, currency: string, priceMinor: bigint): Promise<{ payoutId: PayoutId; amountMinor: bigint }> {
  parseFiatCurrency(currency);
  const checkoutId = await settleCheckout(db, storeId, { currency, priceMinor });
  await new SettlementProcessor({ db, clock, random }).process(checkoutId);
  const row = await pipelineKysely(db)
    .selectFrom('payouts')
    .select(['id', 'amount_minor', 'status'])
    .where('checkout_id', '=', checkoutId)
    .executeTakeFirstOrThrow();
  if (row.status !== 'scheduled') throw new Error(`fixture payout is ${row.status}`);
  // Due a moment ago, so a batcher using the test clock finds it whatever the fixture's own clock said.
  await pipelineKysely(db).updateTable('payouts').set({ due_at: new Date(clock.now().getTime() - 1000) }).where('id', '=', row.id).execute();
  return { payoutId: row.id as PayoutId, amountMinor: BigInt(row.amount_minor) };
}

const exec = promisify(execFile);

/** `xmllint --noout` on `paths`; resolves with its stderr (empty when every file is well-formed). */
export async function xmllint(...args: string[]): Promise<string> {
  try {
    const { stderr } = await exec('xmllint', ['--noout', ...args]);
    return stderr;
  } catch (err) {
    return (err as { stderr?: string }).stderr ?? String(err);
  }
}

/** Sum of ledger entries per (account, currency). */
export async function ledgerBalance(db: Database, account: string, currency: string): Promise<bigint> {
  const row = await db.kysely
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('amount'), eb.val('0')).as('total'))
    .where('account', '=', account)
    .where('currency', '=', currency)
    .executeTakeFirstOrThrow();
  return BigInt(row.total);
}
