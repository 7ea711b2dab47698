import { Worker } from 'node:worker_threads';
import type { PostgresQueryResult } from 'kysely';

/**
 * The worker's program, plain CommonJS run with `eval` so it needs no build step and loads PGlite with
 * Node's own loader. Two reasons PGlite lives in a worker thread:
 * - PGlite executes Postgres synchronously in WebAssembly; on the main thread every query would block
 *   the event loop (HTTP, queues, timers) for its whole duration;
 * - PGlite's CommonJS build loads Node built-ins with dynamic `import()`, which module sandboxes such as
 *   jest's cannot run; a worker always has the native loader.
 * Only plain data crosses the thread boundary (structured clone keeps Date, arrays and objects).
 */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.modulePath);
const asText = (value) => value;
const errorFields = ['code', 'detail', 'hint', 'constraint', 'table', 'column', 'schema', 'dataType', 'severity', 'where', 'position'];
function plainError(err) {
  const out = { message: err && err.message ? String(err.message) : String(err) };
  for (const field of errorFields) {
    if (err && err[field] !== undefined && err[field] !== null) out[field] = String(err[field]);
  }
  return out;
}
function toResult(result, rowCount) {
  if (!result) return { command: 'SELECT', rowCount: 0, rows: [] };
  return { command: result.command || 'SELECT', rowCount: rowCount || 0, rows: result.rows };
}
(async () => {
  let db;
  try {
    db = await PGlite.create(workerData.location, { parsers: { 20: asText, 1700: asText } });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', error: plainError(err) });
    return;
  }
  parentPort.on('message', async (msg) => {
    try {
      if (msg.op === 'close') {
        await db.close();
        parentPort.postMessage({ type: 'reply', id: msg.id, ok: true });
        parentPort.close();
        return;
      }
      let result;
      if (msg.op === 'exec') {
        const results = await db.exec(msg.sql);
        const last = results[results.length - 1];
        // exec's affectedRows adds up every statement; the last statement's own count is its rowCount.
        result = toResult(last, last && last.rowCount);
      } else {
        const one = await db.query(msg.sql, msg.params);
        result = toResult(one, one.affectedRows);
      }
      parentPort.postMessage({ type: 'reply', id: msg.id, ok: true, result });
    } catch (err) {
      parentPort.postMessage({ type: 'reply', id: msg.id, ok: false, error: plainError(err) });
    }
  });
  parentPort.postMessage({ type: 'ready' });
})();
`;

/** A statement PGlite refused; carries the same fields as `pg`'s `DatabaseError` (SQLSTATE `code`, …). */
export class PGliteError extends Error {
  override readonly name = 'PGliteError';
  readonly code?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly constraint?: string;
  readonly table?: string;
  readonly column?: string;
  readonly schema?: string;
  readonly severity?: string;

  constructor(fields: PlainError) {
    super(fields.message);
    Object.assign(this, fields, { name: 'PGliteError' });
  }
}

interface PlainError {
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
  constraint?: string;
  table?: string;
  column?: string;
  schema?: string;
  severity?: string;
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; error: PlainError }
  | { type: 'reply'; id: number; ok: true; result?: PostgresQueryResult<unknown> }
  | { type: 'reply'; id: number; ok: false; error: PlainError };

interface Pending {
  resolve(result: PostgresQueryResult<unknown> | undefined): void;
  reject(err: Error): void;
}

/** One PGlite instance running in its own worker thread. Statements run one at a time, in order. */
export class PGliteWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type !== 'reply') return;
      const pending = this.#pending.get(msg.id);
      if (!pending) return;
      this.#pending.delete(msg.id);
      if (this.#pending.size === 0) worker.unref();
      if (msg.ok) pending.resolve(msg.result);
      else pending.reject(new PGliteError(msg.error));
    });
    const fail = (err: Error): void => {
      this.#failure ??= err;
      for (const pending of this.#pending.values()) pending.reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the PGlite worker exited (code ${code})`)));
  }

  /** Starts PGlite at `location` (a directory, or `memory://`) and resolves once it accepts queries. */
  static async start(location: string): Promise<PGliteWorker> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { modulePath: require.resolve('@electric-sql/pglite'), location },
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: WorkerMessage): void => {
        if (msg.type === 'ready') {
          cleanup();
          resolve();
        } else if (msg.type === 'failed') {
          cleanup();
          void worker.terminate();
          reject(new PGliteError(msg.error));
        }
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(err);
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new Error(`the PGlite worker exited during start (code ${code})`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
    worker.unref();
    return new PGliteWorker(worker);
  }

  /** One statement through the extended protocol (parameters allowed). */
  query<R>(sql: string, params: readonly unknown[]): Promise<PostgresQueryResult<R>> {
    return this.#send('query', sql, params) as Promise<PostgresQueryResult<R>>;
  }

  /** Any number of statements through the simple-query protocol (no parameters); the last one's result. */
  exec<R>(sql: string): Promise<PostgresQueryResult<R>> {
    return this.#send('exec', sql, []) as Promise<PostgresQueryResult<R>>;
  }

  /** Closes PGlite (flushing it to disk) and ends the thread. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#failure === undefined) {
        try {
          await this.#send('close', '', []);
        } catch {
          // The worker is gone already: nothing left to flush.
        }
      }
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  #send(op: 'query' | 'exec' | 'close', sql: string, params: readonly unknown[]): Promise<PostgresQueryResult<unknown> | undefined> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // Referenced only while a statement is in flight: an idle database never keeps the process
      // alive (as a pg pool with allowExitOnIdle), a running statement always does.
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ op, id, sql, params: [...params] });
    });
  }
}
