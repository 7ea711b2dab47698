import type { Response } from 'express';

export interface StreamTiming {
  /** The reconnection delay the browser is told (`retry:`). */
  readonly retryMs: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  readonly heartbeatMs: number;
  /** Streams end after this long; the browser reconnects with `Last-Event-ID` (spreads load over replicas). */
  readonly maxStreamMs: number;
}

/** A client that stops reading is cut off before its buffer grows past this. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * One Server-Sent Events response held open: 200, not cached, transformed or buffered by proxies, headers
 * sent at once, the browser's reconnection delay, a heartbeat comment, and an end after the maximum
 * lifetime. A client that stops reading is cut off (so it cannot make this process buffer without bound).
 * `onEnd` runs once, however the stream ends: the client leaving, `end()`, the lifetime, the cut-off.
 */
export class EventStreamConnection {
  #ended = false;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #lifetime: NodeJS.Timeout;

  constructor(
    private readonly res: Response,
    timing: StreamTiming,
    private readonly handlers: { readonly onEnd: () => void; readonly onCutOff: () => void },
  ) {
    res.status(200);
    res.set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store, no-transform',
      Connection: 'keep-alive',
      // nginx and similar proxies otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write(`retry: ${timing.retryMs}\n\n`);
    res.on('close', () => this.#finish());
    this.#heartbeat = setInterval(() => this.write(': keep-alive\n\n'), timing.heartbeatMs);
    this.#lifetime = setTimeout(() => this.end(), timing.maxStreamMs);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Sends one chunk (nothing once ended). */
  write(chunk: string): void {
    if (this.#ended) return;
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.handlers.onCutOff();
      this.#finish();
      this.res.destroy();
      return;
    }
    this.res.write(chunk);
  }

  /** Ends the stream (the browser reconnects unless told otherwise by what was sent). */
  end(): void {
    if (this.#ended) return;
    this.#finish();
    this.res.end();
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#lifetime);
    this.handlers.onEnd();
  }
}
