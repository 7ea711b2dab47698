import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandomSource, type Database, instanceSecret, migrateToLatest, openDatabase } from '@coinstile/platform';
import { type PostgresServer, startPostgres } from '@coinstile/testkit';

describe('instanceSecret on PostgreSQL', () => {
  let pg: PostgresServer;
  let url: string;
  const opened: Database[] = [];
  const open = async (): Promise<Database> => {
    const db = await openDatabase({ url });
    opened.push(db);
    return db;
  };

  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase();
    const db = await open();
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await pg?.stop();
  });

  it('gives every process of one installation the same secret, also when they ask at once', async () => {
    const processes = await Promise.all([open(), open(), open(), open()]);
    const secrets = await Promise.all(processes.map((db) => instanceSecret(db, 'quote-token', cryptoRandomSource)));
    expect(secrets[0]).toHaveLength(32);
    for (const s of secrets) expect(s.equals(secrets[0]!)).toBe(true);
    const later = await instanceSecret(await open(), 'quote-token', cryptoRandomSource);
    expect(later.equals(secrets[0]!)).toBe(true);
  });

  it('keeps secrets of different names apart', async () => {
    const db = await open();
    const a = await instanceSecret(db, 'receipts', cryptoRandomSource);
    const b = await instanceSecret(db, 'quote-token', cryptoRandomSource);
    expect(a.equals(b)).toBe(false);
  });
});

describe('instanceSecret on PGlite', () => {
  it('survives a restart of the embedded database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinstile-secret-'));
    try {
      const first = await openDatabase({ dataDir: dir });
      await migrateToLatest(first);
      const secret = await instanceSecret(first, 'quote-token', cryptoRandomSource);
      await first.close();
      const second = await openDatabase({ dataDir: dir });
      const again = await instanceSecret(second, 'quote-token', cryptoRandomSource);
      await second.close();
      expect(again.equals(secret)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
