import type { Response } from 'express';

/** A client that stops reading is cut off before its buffer grows past this. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * Opens a Server-Sent Events response: 200, not cached or transformed, not buffered by proxies, headers
 * sent at once, then the browser's reconnection delay (`retry:`).
 */
export function startEventStream(res: Response, retryMs: number): void {
  res.status(200);
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store, no-transform',
    Connection: 'keep-alive',
    // nginx and similar proxies otherwise buffer the stream.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write(`retry: ${retryMs}\n\n`);
}

/**
 * Writes one chunk of an event stream; false (and the connection destroyed) when the client has stopped
 * reading, so a stalled reader cannot make this process buffer without bound.
 */
export function writeEventChunk(res: Response, chunk: string): boolean {
  if (res.writableLength > MAX_BUFFERED_BYTES) {
    res.destroy();
    return false;
  }
  res.write(chunk);
  return true;
}
