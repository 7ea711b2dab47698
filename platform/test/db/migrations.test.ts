import { sql } from 'kysely';
import { startPostgres } from '@coinstile/testkit';
import { appliedMigrations, migrateToLatest, openDatabase } from '../../src/db';
import { migrations } from '../../src/db/migrations';
import { describeOnEngines } from './engines';

describeOnEngines('migrations', (fixture) => {
  test('every migration is applied, and running them again applies nothing', async () => {
    const { db } = fixture();
    expect(await appliedMigrations(db)).toEqual(Object.keys(migrations));
    expect(await migrateToLatest(db)).toEqual([]);
    const tables = (await db.kysely.introspection.getTables()).map((t) => t.name);
    for (const table of ['stores', 'store_wallet_indexes', 'api_keys', 'operator_tokens', 'quotes', 'checkouts', 'payments',
      'idempotency_keys', 'outbox', 'ledger_postings', 'ledger_entries', 'payouts', 'webhook_endpoints', 'webhook_deliveries',
      'chain_cursors', 'chain_recent_blocks']) {
      expect(tables).toContain(table);
    }
  });

  test('concurrent migrateToLatest calls on one handle apply each migration once', async () => {
    const { db } = fixture();
    const results = await Promise.all([migrateToLatest(db), migrateToLatest(db), migrateToLatest(db)]);
    expect(results.flat()).toEqual([]);
    const rows = await sql<{ n: string }>`select count(*) as n from kysely_migration`.execute(db.kysely);
    expect(rows.rows[0]?.n).toBe(String(Object.keys(migrations).length));
  });
});

describe('migrations on an empty PostgreSQL database', () => {
  test('two processes migrating at once apply the schema exactly once', async () => {
    const server = await startPostgres();
    try {
      const url = await server.createDatabase();
      // Two handles with their own pools stand for two processes starting together.
      const [a, b] = await Promise.all([openDatabase({ url }), openDatabase({ url })]);
      try {
        const results = await Promise.all([migrateToLatest(a), migrateToLatest(b)]);
        expect(results.flat().sort()).toEqual(Object.keys(migrations));
        expect(results.some((applied) => applied.length === 0)).toBe(true);
        const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(a.kysely);
        expect(rows.rows.map((r) => r.name)).toEqual(Object.keys(migrations));
        expect(await appliedMigrations(b)).toEqual(Object.keys(migrations));
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    } finally {
      await server.stop();
    }
  }, 120_000);
});
