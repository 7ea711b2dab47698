import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db';
import { describeOnEngines } from './engines';

describeOnEngines('Database.prepareOnce', (fixture) => {
  it('runs a marked statement as a named prepared statement on PostgreSQL, with each execution its own parameters', async () => {
    const { engine } = fixture();
    // One connection, so the statements prepared on it can be listed from it.
    const db: Database = engine === 'postgres' ? await openDatabase({ url: await fixture().freshDatabaseUrl(), poolSize: 1 }) : fixture().db;
    try {
      const marked = sql<{ doubled: number }>`SELECT ${3}::int * 2 AS doubled`.compile(db.kysely);
      const unmarked = sql<{ tripled: number }>`SELECT ${3}::int * 3 AS tripled`.compile(db.kysely);
      db.prepareOnce(marked.sql);
      db.prepareOnce(marked.sql); // idempotent
      for (const n of [1, 2, 21]) {
        const again = sql<{ doubled: number }>`SELECT ${n}::int * 2 AS doubled`.compile(db.kysely);
        expect(again.sql).toBe(marked.sql);
        expect((await db.kysely.executeQuery(again)).rows).toEqual([{ doubled: n * 2 }]);
      }
      expect((await db.kysely.executeQuery(unmarked)).rows).toEqual([{ tripled: 9 }]);
      // A marked statement also runs inside a transaction, on the transaction's connection.
      expect(await db.transaction(async (trx) => (await trx.executeQuery(marked)).rows)).toEqual([{ doubled: 6 }]);

      const prepared = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements WHERE NOT from_sql`.execute(db.kysely);
      expect(prepared.rows.map((row) => row.statement)).toEqual(engine === 'postgres' ? [marked.sql] : []);
    } finally {
      if (engine === 'postgres') await db.close();
    }
  });
});
