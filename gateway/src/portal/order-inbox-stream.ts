import type { Response } from 'express';
import type { Logger } from 'pino';
import type { CheckoutUpdateHub } from '../pages/checkout-update-hub';
import { EventStreamConnection, type StreamTiming } from '../pages/event-stream-response';
import { encodeReleaseCursor, type ReleaseCursor, type ReleasedOrder } from './portal-orders';

export interface OrderInboxStreamOptions {
  readonly hub: CheckoutUpdateHub;
  readonly logger: Logger;
  readonly timing: StreamTiming;
  /** Releases and the watched checkouts are re-read this often even when no update is heard. */
  readonly resyncMs: number;
  /** Releases after `after`, oldest first, at most `limit`. */
  readonly releasedSince: (after: ReleaseCursor | null, limit: number) => Promise<readonly ReleasedOrder[]>;
  /** The store's checkouts that may still be released (watched through the hub). */
  readonly awaitingRelease: () => Promise<readonly { id: string; version: number }[]>;
  /** The inbox row of an order, as the page renders it. */
  readonly renderRow: (order: ReleasedOrder) => string;
  /** Called once when the stream ends, however it ends. */
  readonly onEnd: () => void;
}

const BATCH = 50;
/**
 * The pipeline releases a settled checkout moments after it settles and announces the release with no
 * message of its own: after each update heard, the stream looks once more this much later.
 */
const FOLLOW_UP_MS = 1_500;

/**
 * Serves a store's live orders inbox as Server-Sent Events: each order released after `start` is sent
 * once (`event: order`, its rendered row), with the release cursor as the event id, so a reconnecting
 * browser (`Last-Event-ID`) gets only what it missed. It hears the store's checkouts that may still be
 * released through the hosted page's `CheckoutUpdateHub` (their settlement, or a release announced on the
 * checkout's channel) and looks again shortly after each, and re-reads every `resyncMs` for checkouts
 * created since and for messages Redis lost.
 */
export class OrderInboxStream {
  #cursor: ReleaseCursor | null;
  #running = false;
  #dirty = false;
  #followUp: NodeJS.Timeout | undefined;
  readonly #watched = new Map<string, () => void>();
  readonly #resync: NodeJS.Timeout;
  readonly #stream: EventStreamConnection;

  constructor(
    res: Response,
    start: ReleaseCursor | null,
    private readonly options: OrderInboxStreamOptions,
  ) {
    this.#cursor = start;
    this.#resync = setInterval(() => void this.refresh(), options.resyncMs);
    this.#stream = new EventStreamConnection(res, options.timing, {
      onEnd: () => this.#cleanup(),
      onCutOff: () => options.logger.warn('store portal inbox stream cut off: the client stopped reading'),
    });
    void this.refresh();
  }

  /** Sends the releases not sent yet and updates the watched checkouts; overlapping calls coalesce. */
  async refresh(): Promise<void> {
    if (this.#stream.ended) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    this.#running = true;
    try {
      do {
        this.#dirty = false;
        await this.#sendReleases();
        await this.#syncWatches();
      } while (this.#dirty && !this.#stream.ended);
    } catch (err) {
      // The next notification or resync tries again.
      this.options.logger.warn({ err }, 'store portal inbox stream could not refresh');
    } finally {
      this.#running = false;
    }
  }

  end(): void {
    this.#stream.end();
  }

  async #sendReleases(): Promise<void> {
    for (;;) {
      const orders = await this.options.releasedSince(this.#cursor, BATCH);
      for (const order of orders) {
        if (this.#stream.ended) return;
        const cursor: ReleaseCursor = { releasedAt: order.releasedAt, checkoutId: order.checkoutId };
        const data = JSON.stringify({ checkoutId: order.checkoutId, html: this.options.renderRow(order) });
        this.#stream.write(`id: ${encodeReleaseCursor(cursor)}\nevent: order\ndata: ${data}\n\n`);
        this.#cursor = cursor;
      }
      if (orders.length < BATCH) return;
    }
  }

  async #syncWatches(): Promise<void> {
    const awaiting = await this.options.awaitingRelease();
    if (this.#stream.ended) return;
    const current = new Set(awaiting.map((c) => c.id));
    for (const [id, unwatch] of this.#watched) {
      if (current.has(id)) continue;
      unwatch();
      this.#watched.delete(id);
    }
    for (const c of awaiting) {
      if (!this.#watched.has(c.id)) this.#watched.set(c.id, this.options.hub.watch(c.id, c.version, () => this.#heardUpdate()));
    }
  }

  #heardUpdate(): void {
    void this.refresh();
    if (this.#followUp !== undefined) return;
    this.#followUp = setTimeout(() => {
      this.#followUp = undefined;
      void this.refresh();
    }, FOLLOW_UP_MS);
  }

  /** Once, when the stream ends. */
  #cleanup(): void {
    clearInterval(this.#resync);
    if (this.#followUp !== undefined) clearTimeout(this.#followUp);
    for (const unwatch of this.#watched.values()) unwatch();
    this.#watched.clear();
    this.options.onEnd();
  }
}
