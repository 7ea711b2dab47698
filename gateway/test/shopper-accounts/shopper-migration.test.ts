import { POSTING_KINDS } from '@coinstile/core';
import { type Database, migrateToLatest, openDatabase } from '@coinstile/platform';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';
import { sql } from 'kysely';

/**
 * Migration 0016 rebuilds the ledger's posting-kind check from the kinds allowed before it plus the shopper
 * kinds, so kinds other migrations add stay allowed. Whatever order the features' migrations land in, the
 * database must accept every kind core can build and nothing else, on PostgreSQL and on embedded PGlite.
 */
describe.each(['postgres', 'pglite'] as const)('ledger posting kinds after every migration [%s]', (engine) => {
  let postgres: PostgresServer | undefined;
  let db: Database;

  beforeAll(async () => {
    postgres = engine === 'postgres' ? await startPostgres() : undefined;
    db = await openDatabase(postgres ? { url: await postgres.createDatabase(), poolSize: 2 } : {});
    await migrateToLatest(db);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await postgres?.stop();
  });

  const book = (kind: string, n: number) =>
    db.transaction(async (trx) => {
      const id = `lp_MIGRATIONTEST${String(n).padStart(12, '0')}`;
      await sql`INSERT INTO ledger_postings (id, kind, dedupe_key, occurred_at) VALUES (${id}, ${kind}, ${`migration-test:${kind}:${n}`}, now())`.execute(trx);
      await sql`INSERT INTO ledger_entries (posting_id, account, currency, amount) VALUES (${id}, 'a:x', 'JPY', 1), (${id}, 'b:y', 'JPY', -1)`.execute(trx);
    });

  test('every kind core builds is accepted', async () => {
    let n = 0;
    for (const kind of POSTING_KINDS) await expect(book(kind, ++n)).resolves.toBeUndefined();
    expect(POSTING_KINDS).toEqual(expect.arrayContaining(['shopper_overpayment_credit', 'shopper_top_up', 'shopper_balance_hold', 'shopper_balance_hold_release', 'shopper_refund_credit']));
  });

  test('an unknown kind is refused', async () => {
    await expect(book('not_a_kind', 999)).rejects.toThrow(/ledger_postings_kind_check|check constraint/);
  });

  test('a top-up checkout needs an account', async () => {
    const check = await sql<{ def: string }>`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'checkouts_top_up_has_account'`.execute(db.kysely);
    expect(check.rows[0]?.def).toContain('shopper_account_id IS NOT NULL');
  });
});
