import { migrateToLatest, openDatabase } from '@coinstile/platform';
import { loadConfigOrExit } from './load-config-or-exit';

/** `coinstile migrate`: needs only the database, so it starts no redis-server. */
export async function migrateCommand(): Promise<void> {
  const config = loadConfigOrExit();
  const db = await openDatabase(config.databaseUrl === undefined ? { dataDir: config.dataDir } : { url: config.databaseUrl });
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database schema is current\n');
  } finally {
    await db.close();
  }
}
