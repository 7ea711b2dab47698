import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import express from 'express';
import { EventStreamConnection } from './event-stream-response';

const TIMING = { retryMs: 1_500, heartbeatMs: 60_000, maxStreamMs: 60_000 };

async function withServer(handler: express.RequestHandler, run: (port: number) => Promise<void>): Promise<void> {
  const app = express();
  app.get('/events', handler);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await run((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

describe('EventStreamConnection', () => {
  it('opens an unbuffered, uncached event stream with the retry delay, and ends once', async () => {
    let ends = 0;
    let connection: EventStreamConnection | undefined;
    await withServer(
      (_req, res) => {
        connection = new EventStreamConnection(res, TIMING, { onEnd: () => (ends += 1), onCutOff: () => undefined });
        connection.write('event: x\ndata: 1\n\n');
        connection.end();
        connection.end();
        connection.write('data: after the end\n\n');
      },
      async (port) => {
        const res = await fetch(`http://127.0.0.1:${port}/events`);
        expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
        expect(res.headers.get('cache-control')).toBe('no-store, no-transform');
        expect(res.headers.get('x-accel-buffering')).toBe('no');
        expect(await res.text()).toBe('retry: 1500\n\nevent: x\ndata: 1\n\n');
      },
    );
    expect(ends).toBe(1);
    expect(connection?.ended).toBe(true);
  });

  it('cuts off a client that stops reading instead of buffering without bound', async () => {
    let cutOffs = 0;
    let ends = 0;
    let writes = 0;
    let markEnded = (): void => undefined;
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    await withServer(
      (_req, res) => {
        const connection = new EventStreamConnection(res, TIMING, { onEnd: () => ((ends += 1), markEnded()), onCutOff: () => (cutOffs += 1) });
        const chunk = `data: ${'x'.repeat(256 * 1024)}\n\n`;
        // Far more than any socket buffer: the server must give up on this client long before.
        while (!connection.ended && writes < 1_000) {
          connection.write(chunk);
          writes += 1;
        }
      },
      async (port) => {
        const socket = connect(port, '127.0.0.1');
        socket.pause();
        socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        await ended;
        socket.destroy();
      },
    );
    expect(cutOffs).toBe(1);
    expect(ends).toBe(1);
    expect(writes).toBeLessThan(1_000);
  });
});
