import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Queue, Worker } from 'bullmq';
import type { LifecycleComponent } from './lifecycle';

const RESPONSE_IN_FLIGHT = Symbol('coinstile.responseInFlight');
type SocketWithResponse = Socket & { [RESPONSE_IN_FLIGHT]?: ServerResponse | undefined };

/**
 * The HTTP server stops accepting connections at once, closes idle keep-alive sockets, answers in-flight
 * requests with `Connection: close`, and resolves once the last request has finished. Forced: every
 * socket is destroyed. Create it right after the server starts so it sees every request.
 */
export function httpServerComponent(server: Server, name = 'http'): LifecycleComponent {
  // Responses still being written when shutdown starts must also close their connection afterwards. Each
  // connection notes its response in flight on itself: a Set of responses, added to and deleted from on
  // every request, made V8 keep every response through a young-generation collection and promote it
  // (see createExpressServer); connections come and go far more rarely.
  const connections = new Set<Socket>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (closing) {
      res.setHeader('Connection', 'close');
      return;
    }
    const socket = req.socket as SocketWithResponse;
    socket[RESPONSE_IN_FLIGHT] = res;
    res.once('finish', () => {
      if (socket[RESPONSE_IN_FLIGHT] === res) socket[RESPONSE_IN_FLIGHT] = undefined;
    });
  });
  return {
    name,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        closing = true;
        for (const socket of connections) {
          const res = (socket as SocketWithResponse)[RESPONSE_IN_FLIGHT];
          if (res !== undefined && !res.headersSent) res.setHeader('Connection', 'close');
        }
        server.close((err) => (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? reject(err) : resolve()));
        // A keep-alive socket becomes idle when its in-flight response ends; close each as it does.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.once('close', () => clearInterval(sweep));
        server.closeIdleConnections();
      }),
    forceStop: () => server.closeAllConnections(),
  };
}

/**
 * The worker takes no new jobs and waits for its in-flight ones (`close()`); when that overruns its
 * bound, `close(true)` abandons them: their locks lapse and another worker retries them (processors are
 * idempotent).
 */
export function bullmqWorkerComponent(worker: Worker, timeoutMs?: number): LifecycleComponent {
  return {
    name: `worker:${worker.name}`,
    stop: () => worker.close(),
    forceStop: () => worker.close(true),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

export function bullmqQueueComponent(queue: Queue): LifecycleComponent {
  return { name: `queue:${queue.name}`, stop: () => queue.close() };
}

/** Anything with an async close: Redis and database connections, embedded servers. */
export function closeableComponent(
  name: string,
  close: () => Promise<unknown>,
  force?: () => unknown,
): LifecycleComponent {
  return {
    name,
    stop: async () => {
      await close();
    },
    ...(force ? { forceStop: async () => void (await force()) } : {}),
  };
}
