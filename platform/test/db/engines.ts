import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type PostgresServer } from '@coinstile/testkit';
import { migrateToLatest, openDatabase, type Database, type DatabaseEngine } from '../../src/db';

/** A migrated database on one engine, shared by the tests of one file. */
export interface EngineFixture {
  readonly engine: DatabaseEngine;
  readonly db: Database;
  /** Postgres only: a URL to a fresh, empty database on the same server. */
  freshDatabaseUrl(): Promise<string>;
}

const ENGINES: DatabaseEngine[] = ['postgres', 'pglite'];

/**
 * Runs `body` once per engine: against a real temporary PostgreSQL server (testkit) and against
 * embedded PGlite in a temporary directory. Every server, database and directory is removed afterwards,
 * also when a test fails.
 */
export function describeOnEngines(title: string, body: (fixture: () => EngineFixture) => void): void {
  describe.each(ENGINES)(`${title} [%s]`, (engine) => {
    let fixture: EngineFixture | undefined;
    const cleanups: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      if (engine === 'postgres') {
        const server: PostgresServer = await startPostgres();
        cleanups.push(() => server.stop());
        const db = await openDatabase({ url: await server.createDatabase(), poolSize: 25 });
        cleanups.push(() => db.close());
        await migrateToLatest(db);
        fixture = { engine, db, freshDatabaseUrl: () => server.createDatabase() };
      } else {
        const dir = await mkdtemp(join(tmpdir(), 'coinstile-db-test-'));
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        const db = await openDatabase({ dataDir: dir });
        cleanups.push(() => db.close());
        await migrateToLatest(db);
        fixture = {
          engine,
          db,
          freshDatabaseUrl: () => Promise.reject(new Error('PGlite has no server to create databases on')),
        };
      }
    }, 120_000);

    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) {
        await cleanup();
      }
    }, 60_000);

    body(() => {
      if (!fixture) throw new Error('engine fixture not started');
      return fixture;
    });
  });
}
