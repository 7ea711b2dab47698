import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql, type LogEvent, type Transaction } from 'kysely';
import { Client, Pool, types as pgTypes, type CustomTypesConfig } from 'pg';
import { PGlitePool } from './pglite-pool';
import { PGliteWorker } from './pglite-worker';
import type { DB } from './schema';

/** Which engine a `Database` runs on. */
export type DatabaseEngine = 'postgres' | 'pglite';

/** The part of a pino logger the database uses (a pino `Logger` satisfies it). */
export interface DbLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface OpenDatabaseOptions {
  /** `postgres://…` (or `postgresql://…`): a real PostgreSQL server through a `pg` pool. */
  url?: string;
  /** Without `url`: embedded PGlite stored in `<dataDir>/pglite`; without both, PGlite in memory. */
  dataDir?: string;
  /** Connections in the `pg` pool (default 10). PGlite always has exactly one. */
  poolSize?: number;
  logger?: DbLogger;
}

/** A kysely handle on the store of record, whichever engine runs it. */
export interface Database {
  readonly engine: DatabaseEngine;
  readonly kysely: Kysely<DB>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Inside `fn`
   * use only `trx` (pass it to repositories as their executor): on PGlite there is one connection, so a
   * query through `kysely` would wait for this very transaction to end, i.e. forever.
   */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /**
   * Marks `sqlText`, exactly as kysely compiles it, as a statement run often: on PostgreSQL each connection
   * then parses and plans it once, as a named prepared statement, instead of on every execution (for the
   * checkout writer's statement that was ~20 % of PostgreSQL's CPU per checkout). Only for statements whose
   * text is fixed and whose parameters alone change. PGlite runs it as any other statement.
   */
  prepareOnce(sqlText: string): void;
  /** Resolves when the database answers a query; rejects otherwise. */
  ping(): Promise<void>;
  /** Closes the pool (and for PGlite the embedded instance). Idempotent. */
  close(): Promise<void>;
}

/** Type OIDs both drivers must return as decimal strings: JS numbers cannot hold them exactly. */
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const asText = (value: string): string => value;

/** Per-pool `pg` type parsers (never the global `types.setTypeParser`, which would affect every pool). */
const pgTypeParsers: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID ? asText : pgTypes.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const { logger } = options;
  const log = logger
    ? (event: LogEvent): void => {
        if (event.level === 'error') {
          logger.debug({ err: event.error, sql: event.query.sql, durationMs: event.queryDurationMillis }, 'query failed');
        }
      }
    : undefined;

  if (options.url !== undefined) {
    const url = options.url;
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error(`database URL must start with postgres:// or postgresql://, got ${JSON.stringify(redact(url))}`);
    }
    const prepared = new Map<string, string>();
    const pool = new Pool({ connectionString: url, max: options.poolSize ?? 10, types: pgTypeParsers, Client: preparingClient(prepared) });
    // An idle client losing its server (Postgres restart) emits 'error' on the pool; unhandled, it
    // would crash the process. The next checkout simply gets a fresh connection.
    pool.on('error', (err) => logger?.warn({ err }, 'idle PostgreSQL connection failed'));
    // A client checked out (inside a transaction, say) when the server dies emits 'error' on itself, not
    // on the pool; unhandled, that also crashes the process. The query in flight already rejects, which
    // rolls the caller's work back; the listener only keeps the process alive.
    pool.on('connect', (client) => {
      client.on('error', (err) => logger?.warn({ err }, 'PostgreSQL connection failed while in use'));
    });
    const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
    return createDatabase('postgres', kysely, (sqlText) => {
      if (!prepared.has(sqlText)) prepared.set(sqlText, `coinstile_${createHash('sha256').update(sqlText).digest('hex').slice(0, 24)}`);
    });
  }

  let location = 'memory://';
  if (options.dataDir !== undefined) {
    location = join(options.dataDir, 'pglite');
    await mkdir(location, { recursive: true });
  }
  // The worker configures PGlite's parsers the same way: INT8 and NUMERIC stay decimal strings.
  const pglite = await PGliteWorker.start(location);
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new PGlitePool(pglite) }), ...(log ? { log } : {}) });
  logger?.info({ location }, 'embedded PGlite database opened');
  return createDatabase('pglite', kysely, () => undefined);
}

/**
 * `pg`'s Client, running the texts in `prepared` as the named statements given there: `pg` sends the text
 * to be parsed (and planned) on a connection's first execution only, then binds the parameters alone.
 */
function preparingClient(prepared: ReadonlyMap<string, string>): typeof Client {
  return class PreparingClient extends Client {
    override query(...args: unknown[]): never {
      const [text, values] = args;
      const name = typeof text === 'string' && args.length === 2 && Array.isArray(values) ? prepared.get(text) : undefined;
      const query = super.query as (...queryArgs: unknown[]) => never;
      return name === undefined ? query.apply(this, args) : query.call(this, { name, text, values });
    }
  };
}

function createDatabase(engine: DatabaseEngine, kysely: Kysely<DB>, prepareOnce: (sqlText: string) => void): Database {
  let closing: Promise<void> | undefined;
  return {
    engine,
    kysely,
    prepareOnce,
    transaction: (fn) => kysely.transaction().execute(fn),
    async ping() {
      await sql`select 1`.execute(kysely);
    },
    close() {
      closing ??= kysely.destroy();
      return closing;
    },
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
