import type { Database } from '@coinstile/platform';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CHECKOUT_UPDATE_CHANNEL_PREFIX, checkoutUpdateChannel } from '@coinstile/platform';

/** Called when the watched checkout may have changed; the watcher re-reads it. */
export type CheckoutUpdateListener = () => void;

export interface CheckoutUpdateHubOptions {
  /** A connection of its own: the hub puts it in subscriber mode (it can run no other command). */
  readonly subscriber: Redis;
  readonly db: Database;
  readonly logger: Logger;
  /** How often the versions of every watched checkout are read from the database. */
  readonly pollIntervalMs: number;
}

/** Ids per poll query: keeps the statement and its parameter list small. */
const POLL_CHUNK = 500;

/**
 * Tells the open hosted pages of this process when their checkout changes, whichever process changed
 * it. Two paths: a Redis channel per watched checkout (`publishCheckoutUpdate`, immediate), and one
 * shared poller reading the versions of all watched checkouts in one query per interval, so a message
 * lost to a Redis outage or a writer that does not publish leaves no page stale for long.
 */
export class CheckoutUpdateHub {
  readonly #options: CheckoutUpdateHubOptions;
  readonly #listeners = new Map<string, Set<CheckoutUpdateListener>>();
  /** The newest version seen per watched checkout (from watchers, messages and polls). */
  readonly #versions = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #polling = false;
  #closed = false;

  constructor(options: CheckoutUpdateHubOptions) {
    this.#options = options;
    options.subscriber.on('message', this.#onMessage);
    this.#timer = setInterval(() => void this.poll(), options.pollIntervalMs);
    this.#timer.unref();
  }

  /** Calls `listener` whenever `checkoutId` moves past `knownVersion`; returns the function that stops it. */
  watch(checkoutId: string, knownVersion: number, listener: CheckoutUpdateListener): () => void {
    let listeners = this.#listeners.get(checkoutId);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(checkoutId, listeners);
      this.#options.subscriber.subscribe(checkoutUpdateChannel(checkoutId)).catch((err: unknown) => {
        // The poller still covers this checkout.
        this.#options.logger.warn({ err, checkoutId }, 'hosted page could not subscribe to checkout updates');
      });
    }
    listeners.add(listener);
    this.#versions.set(checkoutId, Math.max(this.#versions.get(checkoutId) ?? 0, knownVersion));
    return () => {
      const current = this.#listeners.get(checkoutId);
      if (current === undefined || !current.delete(listener) || current.size > 0) return;
      this.#listeners.delete(checkoutId);
      this.#versions.delete(checkoutId);
      if (!this.#closed) {
        this.#options.subscriber.unsubscribe(checkoutUpdateChannel(checkoutId)).catch(() => {
          // A dropped connection forgets its subscriptions anyway.
        });
      }
    };
  }

  /** Reads the version of every watched checkout once and notifies those that moved (the interval calls it). */
  async poll(): Promise<void> {
    if (this.#polling || this.#closed || this.#listeners.size === 0) return;
    this.#polling = true;
    try {
      const ids = [...this.#listeners.keys()];
      for (let i = 0; i < ids.length; i += POLL_CHUNK) {
        const rows = await this.#options.db.kysely
          .selectFrom('checkouts')
          .select(['id', 'version'])
          .where('id', 'in', ids.slice(i, i + POLL_CHUNK))
          .execute();
        for (const row of rows) this.#observe(row.id, row.version);
      }
    } catch (err) {
      this.#options.logger.warn({ err }, 'hosted page poll of checkout versions failed');
    } finally {
      this.#polling = false;
    }
  }

  /** Stops polling and listening; the subscriber connection belongs to the caller (close it after). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#options.subscriber.off('message', this.#onMessage);
    const channels = [...this.#listeners.keys()].map(checkoutUpdateChannel);
    this.#listeners.clear();
    this.#versions.clear();
    if (channels.length > 0) await this.#options.subscriber.unsubscribe(...channels).catch(() => undefined);
  }

  readonly #onMessage = (channel: string, message: string): void => {
    if (!channel.startsWith(CHECKOUT_UPDATE_CHANNEL_PREFIX)) return;
    const checkoutId = channel.slice(CHECKOUT_UPDATE_CHANNEL_PREFIX.length);
    const version = /^\d{1,15}$/.test(message) ? Number(message) : undefined;
    if (version === undefined) this.#notify(checkoutId);
    else this.#observe(checkoutId, version);
  };

  #observe(checkoutId: string, version: number): void {
    const known = this.#versions.get(checkoutId);
    if (known !== undefined && version <= known) return;
    if (this.#listeners.has(checkoutId)) this.#versions.set(checkoutId, version);
    this.#notify(checkoutId);
  }

  #notify(checkoutId: string): void {
    for (const listener of this.#listeners.get(checkoutId) ?? []) {
      try {
        listener();
      } catch (err) {
        this.#options.logger.error({ err, checkoutId }, 'hosted page update listener failed');
      }
    }
  }
}
