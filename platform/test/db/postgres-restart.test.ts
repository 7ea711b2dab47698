import { type Database, openDatabase } from '@coinstile/platform';
import { type PostgresServer, startPostgres } from '@coinstile/testkit';
import { sql } from 'kysely';

describe('a PostgreSQL restart under load', () => {
  let pg: PostgresServer;
  let db: Database;
  const warnings: string[] = [];
  const logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (_obj: object, msg?: string) => void warnings.push(msg ?? ''),
  };

  beforeAll(async () => {
    pg = await startPostgres();
    db = await openDatabase({ url: await pg.createDatabase(), logger, poolSize: 4 });
  });
  afterAll(async () => {
    await db?.close();
    await pg?.stop();
  });

  it('fails the transactions in flight, keeps the process alive, and serves again once the server is back', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      // Connections held inside open transactions when the server dies.
      const inFlight = Array.from({ length: 3 }, () =>
        db.transaction(async (trx) => {
          await sql`SELECT 1`.execute(trx);
          await sql`SELECT pg_sleep(30)`.execute(trx);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await pg.kill9();
      const outcomes = await Promise.allSettled(inFlight);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(uncaught).toEqual([]);
      expect(warnings).toContain('PostgreSQL connection failed while in use');

      await pg.restart();
      await expect(db.ping()).resolves.toBeUndefined();
      const rows = await sql<{ n: number }>`SELECT 41 + 1 AS n`.execute(db.kysely);
      expect(rows.rows[0]?.n).toBe(42);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });
});
