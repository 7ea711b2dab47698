import type { Clock } from '@coinstile/core';
import type { Response } from 'express';
import type { Logger } from 'pino';
import type { CheckoutUpdateHub } from './checkout-update-hub';
import { EventStreamConnection, type StreamTiming } from './event-stream-response';
import { type HostedCheckoutSnapshot, nextTimeBoundary } from './hosted-checkout-view';

export type { StreamTiming } from './event-stream-response';

/** One rendering of the checkout section, as the stream sends it. */
export interface RenderedState {
  /** `viewKey`: sent as the SSE event id and compared with `Last-Event-ID`. */
  readonly key: string;
  readonly final: boolean;
  readonly title: string;
  readonly html: string;
}

export interface CheckoutStreamOptions {
  readonly hub: CheckoutUpdateHub;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timing: StreamTiming;
  readonly load: () => Promise<HostedCheckoutSnapshot | null>;
  readonly render: (snapshot: HostedCheckoutSnapshot, now: Date) => Promise<RenderedState>;
  /** Called once when the stream ends, however it ends. */
  readonly onEnd: () => void;
}

/** Re-read a little after a deadline so the checkout is past it on any clock rounding. */
const BOUNDARY_SLACK_MS = 250;

/**
 * Serves `GET /pay/{id}/events`: Server-Sent Events carrying the rendered checkout section whenever what
 * the page shows changes (a status change announced by the hub, or a deadline passing), with `retry:`,
 * heartbeats, and event ids the browser sends back as `Last-Event-ID` so a reconnect sends only what it
 * missed. Ends itself once the view is final. `first` is the snapshot already read by the route.
 */
export class CheckoutEventStream {
  #lastKey: string | undefined;
  #running = false;
  #dirty = false;
  #boundaryTimer: NodeJS.Timeout | undefined;
  readonly #stream: EventStreamConnection;
  readonly #unwatch: () => void;

  constructor(
    res: Response,
    first: HostedCheckoutSnapshot,
    lastEventId: string | undefined,
    private readonly options: CheckoutStreamOptions,
  ) {
    this.#lastKey = lastEventId;
    this.#stream = new EventStreamConnection(res, options.timing, {
      onEnd: () => this.#cleanup(),
      onCutOff: () => options.logger.warn('hosted page stream cut off: the client stopped reading'),
    });
    this.#unwatch = options.hub.watch(first.checkout.id, first.checkout.version, () => void this.refresh());
    void this.#run(() => Promise.resolve(first));
  }

  /** Re-reads the checkout and sends it if the view changed; overlapping calls coalesce into one more read. */
  refresh(): Promise<void> {
    return this.#run(this.options.load);
  }

  /** Ends the stream (the browser reconnects unless the view was final). */
  end(): void {
    this.#stream.end();
  }

  async #run(read: () => Promise<HostedCheckoutSnapshot | null>): Promise<void> {
    if (this.#stream.ended) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    this.#running = true;
    try {
      let next: (() => Promise<HostedCheckoutSnapshot | null>) | undefined = read;
      while (next !== undefined && !this.#stream.ended) {
        this.#dirty = false;
        const snapshot = await next();
        if (this.#stream.ended) return;
        if (snapshot === null) {
          this.end();
          return;
        }
        await this.#send(snapshot);
        next = this.#dirty ? this.options.load : undefined;
      }
    } catch (err) {
      // A failed read keeps the stream: the next notification or poll tries again.
      this.options.logger.warn({ err }, 'hosted page stream could not refresh the checkout');
    } finally {
      this.#running = false;
    }
  }

  async #send(snapshot: HostedCheckoutSnapshot): Promise<void> {
    const now = this.options.clock.now();
    const state = await this.options.render(snapshot, now);
    if (this.#stream.ended) return;
    if (state.key !== this.#lastKey) {
      const data = JSON.stringify({ key: state.key, final: state.final, title: state.title, html: state.html });
      this.#stream.write(`id: ${state.key}\nevent: checkout\ndata: ${data}\n\n`);
      this.#lastKey = state.key;
    }
    if (state.final) {
      this.end();
      return;
    }
    this.#scheduleBoundary(nextTimeBoundary(snapshot.checkout, now), now);
  }

  #scheduleBoundary(boundary: Date | null, now: Date): void {
    if (this.#boundaryTimer !== undefined) clearTimeout(this.#boundaryTimer);
    this.#boundaryTimer = undefined;
    if (boundary === null) return;
    const delayMs = boundary.getTime() - now.getTime() + BOUNDARY_SLACK_MS;
    // Beyond the stream's lifetime the reconnecting stream schedules it.
    if (delayMs > this.options.timing.maxStreamMs) return;
    this.#boundaryTimer = setTimeout(() => void this.refresh(), Math.max(0, delayMs));
  }

  /** Once, when the stream ends. */
  #cleanup(): void {
    if (this.#boundaryTimer !== undefined) clearTimeout(this.#boundaryTimer);
    this.#unwatch();
    this.options.onEnd();
  }
}
