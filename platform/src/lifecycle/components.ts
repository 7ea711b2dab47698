import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Queue, Worker } from 'bullmq';
import type { LifecycleComponent } from './lifecycle';

/**
 * The HTTP server stops accepting connections at once, closes idle keep-alive sockets, answers in-flight
 * requests with `Connection: close`, and resolves once the last request has finished. Forced: every
 * socket is destroyed. Create it right after the server starts so it sees every request.
 */
export function httpServerComponent(server: Server, name = 'http'): LifecycleComponent {
  // Responses still being written when shutdown starts must also close their connection afterwards.
  const openResponses = new Set<ServerResponse>();
  let closing = false;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (closing) {
      res.setHeader('Connection', 'close');
      return;
    }
    openResponses.add(res);
    res.once('close', () => openResponses.delete(res));
  });
  return {
    name,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        closing = true;
        for (const res of openResponses) if (!res.headersSent) res.setHeader('Connection', 'close');
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
