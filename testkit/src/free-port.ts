import { createServer } from 'node:net';

/**
 * Ports this process has already handed out. The kernel rarely repeats an ephemeral port right away, but a
 * server started later in the same test process must never be given the port of one started earlier.
 */
const portsHandedOut = new Set<number>();

function bindEphemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('free-port: the socket has no TCP address'));
      });
    });
  });
}

/** A free TCP port on 127.0.0.1 (binds port 0, reads the port the kernel chose, releases it). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await bindEphemeralPort();
    if (!portsHandedOut.has(port)) {
      portsHandedOut.add(port);
      return port;
    }
  }
  throw new Error('free-port: the kernel kept returning ports this process already uses');
}
