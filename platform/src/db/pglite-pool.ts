import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { types } from 'node:util';
import type { PGliteWorker } from './pglite-worker';

/**
 * Presents one PGlite instance as the `pg`-style pool kysely's `PostgresDialect` expects.
 *
 * PGlite is a single backend: there is one connection, so `connect()` waits until the previous client
 * is released. That makes every kysely connection (and so every transaction) exclusive, which keeps two
 * concurrent `db.transaction()` calls from interleaving their statements in one session.
 */
export class PGlitePool implements PostgresPool {
  readonly #pglite: PGliteWorker;
  readonly #waiting: Array<() => void> = [];
  #busy = false;
  #ended = false;

  constructor(pglite: PGliteWorker) {
    this.#pglite = pglite;
  }

  connect(): Promise<PostgresPoolClient> {
    if (this.#ended) {
      return Promise.reject(new Error('the PGlite pool has been ended'));
    }
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve(this.#client());
    }
    return new Promise((resolve) => {
      this.#waiting.push(() => resolve(this.#client()));
    });
  }

  async end(): Promise<void> {
    this.#ended = true;
    await this.#pglite.close();
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) {
      next();
    } else {
      this.#busy = false;
    }
  }

  #client(): PostgresPoolClient {
    const pglite = this.#pglite;
    let released = false;
    const query = <R>(sqlText: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> => {
      if (released) {
        return Promise.reject(new Error('query on a released PGlite client'));
      }
      // Only the simple-query protocol (exec) accepts several statements at once, which migrations
      // need; parameters need the extended protocol (query).
      const result = parameters.length === 0 ? pglite.exec<R>(sqlText) : pglite.query<R>(sqlText, parameters);
      return result.then(withLocalDates);
    };
    const client = {
      query(sqlOrCursor: string | PostgresCursor<unknown>, parameters?: ReadonlyArray<unknown>) {
        if (typeof sqlOrCursor !== 'string') {
          throw new Error('cursors (streaming queries) are not supported on PGlite');
        }
        return query(sqlOrCursor, parameters ?? []);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#release();
      },
    };
    return client as PostgresPoolClient;
  }
}

/**
 * Rows arrive by structured clone, which builds their Dates in the main realm. Code running in another
 * realm (a `vm` sandbox such as jest's) would see `row.created_at instanceof Date` false, so timestamp
 * values (top level and in arrays) are rebuilt with this module's own `Date`.
 */
function withLocalDates<R>(result: PostgresQueryResult<R>): PostgresQueryResult<R> {
  for (const row of result.rows as Array<Record<string, unknown>>) {
    for (const [key, value] of Object.entries(row)) {
      if (types.isDate(value)) row[key] = new Date(value.getTime());
      else if (Array.isArray(value) && value.some((item) => types.isDate(item))) {
        row[key] = value.map((item: unknown) => (types.isDate(item) ? new Date(item.getTime()) : item));
      }
    }
  }
  return result;
}
