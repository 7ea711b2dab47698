import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
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
      return parameters.length === 0 ? pglite.exec<R>(sqlText) : pglite.query<R>(sqlText, parameters);
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
