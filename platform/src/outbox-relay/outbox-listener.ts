import { Client } from 'pg';
import type { Logger } from 'pino';

/** The channel the outbox's insert trigger notifies (migration 0021) after rows are written. */
export const OUTBOX_NOTIFY_CHANNEL = 'coinstile_outbox';

/** Tells a relay that outbox rows were committed, from whichever process wrote them. */
export interface OutboxNotifications {
  /** Starts listening; `onNotify` runs on each notification and after every (re)connection. */
  start(onNotify: () => void): void;
  /** Stops listening and closes its connection. */
  stop(): Promise<void>;
}

const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * `LISTEN coinstile_outbox` on a dedicated PostgreSQL connection: a statement inserting outbox rows
 * notifies at its commit (migration 0021's trigger), so a relay in any process publishes a fresh row at
 * once instead of at its next poll. An accelerator only: polling still finds every row, so a lost
 * connection merely falls back to it until the listener reconnects (with back-off); each reconnection
 * also wakes the relay, for rows committed while nobody listened.
 */
export class PostgresOutboxListener implements OutboxNotifications {
  #client: Client | undefined;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  start(onNotify: () => void): void {
    this.#stopped = false;
    void this.#connect(onNotify, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #connect(onNotify: () => void, failures: number): Promise<void> {
    if (this.#stopped) return;
    const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5_000 });
    let lost = false;
    const reconnect = (err?: unknown): void => {
      if (lost) return;
      lost = true;
      if (this.#client === client) this.#client = undefined;
      client.end().catch(() => undefined);
      if (this.#stopped) return;
      if (failures === 0) this.logger.warn({ err }, 'outbox notifications lost; polling until the listener reconnects');
      this.#retry = setTimeout(() => void this.#connect(onNotify, failures + 1), Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** Math.min(failures, 6)));
    };
    client.on('notification', () => onNotify());
    client.on('error', reconnect);
    client.on('end', () => reconnect());
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
    } catch (err) {
      reconnect(err);
      return;
    }
    if (this.#stopped) {
      lost = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    if (failures > 0) this.logger.info({ failures }, 'outbox notifications back');
    failures = 0;
    onNotify();
  }
}
