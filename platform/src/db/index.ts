export {
  openDatabase,
  type Database,
  type DatabaseEngine,
  type DbLogger,
  type OpenDatabaseOptions,
} from './database';
export { PGliteError } from './pglite-worker';
export { migrateToLatest, appliedMigrations, MigrationFailedError } from './migrate';
export type * from './schema';
