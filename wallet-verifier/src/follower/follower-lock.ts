import { Client } from 'pg';

/**
 * Who may follow a chain. Exactly one holder per chain at a time; the others wait as standbys.
 */
export interface FollowerLock {
  /** Tries once; true when this process now holds the lock. */
  tryAcquire(): Promise<boolean>;
  /** False once the lock was lost (its connection died): the holder must stop following at once. */
  readonly held: boolean;
  /** Releases the lock (and its connection). Idempotent. */
  release(): Promise<void>;
}

/** A fixed first key of the two-int advisory lock space, "COIN" in ASCII, so other users' locks never collide. */
const LOCK_NAMESPACE = 0x434f494e;

function chainLockKey(chain: string): number {
  let hash = 0;
  for (const ch of chain) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) | 0;
  return hash;
}

/**
 * A PostgreSQL session advisory lock held on a dedicated connection: it lasts exactly as long as that
 * connection, so a follower that dies (kill -9, network loss) frees it and a standby takes over, and a
 * holder whose connection fails learns it has lost the lock (`held` turns false; it is re-checked with a
 * query every `checkIntervalMs`).
 */
export class PostgresAdvisoryLock implements FollowerLock {
  #client: Client | undefined;
  #held = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly chain: string,
    private readonly checkIntervalMs = 2_000,
  ) {}

  get held(): boolean {
    return this.#held;
  }

  async tryAcquire(): Promise<boolean> {
    if (this.#held) return true;
    const client = new Client({ connectionString: this.databaseUrl, application_name: `coinstile-follower-${this.chain}` });
    client.on('error', () => this.#lose());
    client.on('end', () => this.#lose());
    try {
      await client.connect();
      const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [LOCK_NAMESPACE, chainLockKey(this.chain)]);
      if (result.rows[0]?.locked !== true) {
        await client.end().catch(() => undefined);
        return false;
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.#client = client;
    this.#held = true;
    this.#timer = setInterval(() => {
      client.query('SELECT 1').catch(() => this.#lose());
    }, this.checkIntervalMs);
    this.#timer.unref();
    return true;
  }

  #lose(): void {
    this.#held = false;
    clearInterval(this.#timer);
  }

  async release(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#lose();
    // Ending the session releases every advisory lock it held.
    if (client !== undefined) await client.end().catch(() => undefined);
  }
}

/** Embedded PGlite serves one process only: that process is the only possible follower. */
export class InProcessLock implements FollowerLock {
  #held = false;
  get held(): boolean {
    return this.#held;
  }
  async tryAcquire(): Promise<boolean> {
    this.#held = true;
    return true;
  }
  async release(): Promise<void> {
    this.#held = false;
  }
}
