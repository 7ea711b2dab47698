import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { sendWebhook, WebhookConnectionPool, type SsrfPolicy } from '../../src/webhooks';

/** Kept-alive webhook connections: reused per checked address only, and a stale one is replaced. */
describe('WebhookConnectionPool', () => {
  let server: Server;
  let port: number;
  let connections: Socket[];
  let hits: string[];
  let pool: WebhookConnectionPool;

  beforeEach(async () => {
    connections = [];
    hits = [];
    server = createServer((req, res) => {
      hits.push(`${req.headers.host} ${req.url}`);
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    server.on('connection', (socket: Socket) => connections.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    pool = new WebhookConnectionPool();
  });

  afterEach(async () => {
    pool.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (host: string, policy: SsrfPolicy) =>
    sendWebhook({ url: `http://${host}:${port}/hook`, body: '{"a":1}', headers: { 'Content-Type': 'application/json' }, timeoutMs: 2_000 }, policy, pool);
  const loopback: SsrfPolicy = { allowPrivate: true, resolver: async () => [{ address: '127.0.0.1', family: 4 }] };

  test('sequential deliveries to one checked address share one connection; without a pool each opens its own', async () => {
    for (let i = 0; i < 5; i++) expect(await send('127.0.0.1', loopback)).toMatchObject({ outcome: 'succeeded', httpStatus: 204 });
    expect(hits).toHaveLength(5);
    expect(connections).toHaveLength(1);
    const unpooled = { url: `http://127.0.0.1:${port}/hook`, body: '{}', headers: {}, timeoutMs: 2_000 };
    await sendWebhook(unpooled, loopback);
    await sendWebhook(unpooled, loopback);
    expect(connections).toHaveLength(3);
  });

  test('a host name whose check now resolves elsewhere never rides a connection opened to another address', async () => {
    await send('shop.example', loopback);
    expect(connections).toHaveLength(1);
    // Rebound to an address the policy refuses: refused before any connection, pooled or not.
    const rebound: SsrfPolicy = { allowPrivate: false, resolver: async () => [{ address: '127.0.0.1', family: 4 }] };
    const refused = await send('shop.example', rebound);
    expect(refused).toMatchObject({ outcome: 'failed', httpStatus: null });
    expect(refused.error).toMatch(/private, loopback or reserved/);
    expect(hits).toHaveLength(1);
    // Another checked address of the same name gets its own connection (127.0.0.2 is loopback too on Linux).
    const elsewhere: SsrfPolicy = { allowPrivate: true, resolver: async () => [{ address: '127.0.0.2', family: 4 }] };
    server.close();
    const other = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    const otherConnections: Socket[] = [];
    other.on('connection', (socket: Socket) => otherConnections.push(socket));
    await new Promise<void>((resolve) => other.listen(port, '127.0.0.2', resolve));
    try {
      expect(await send('shop.example', elsewhere)).toMatchObject({ outcome: 'succeeded' });
      expect(otherConnections).toHaveLength(1);
      expect(hits).toHaveLength(1);
    } finally {
      other.closeAllConnections();
      await new Promise((resolve) => other.close(resolve));
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    }
  });

  test('a kept-alive connection the server closes under a request is replaced by a fresh one, not counted as a failed attempt', async () => {
    expect(await send('127.0.0.1', loopback)).toMatchObject({ outcome: 'succeeded' });
    // The server ends the kept-alive connection as the next request arrives on it (its idle timeout racing it).
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      if (req.socket === connections[0]) {
        req.socket.destroy();
        return;
      }
      hits.push(`${req.headers.host} ${req.url}`);
      req.resume().on('end', () => res.writeHead(204).end());
    });
    expect(await send('127.0.0.1', loopback)).toMatchObject({ outcome: 'succeeded', httpStatus: 204 });
    expect(hits).toHaveLength(2);
    expect(connections).toHaveLength(2);
  });
});
