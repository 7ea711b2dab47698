import { once } from 'node:events';
import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRedis, type RedisServer } from '@coinstile/testkit';
import type { Queue, Worker } from 'bullmq';
import express from 'express';
import type { Redis } from 'ioredis';
import {
  bullmqQueueComponent,
  bullmqWorkerComponent,
  closeableComponent,
  createLogger,
  createMetrics,
  createQueue,
  createRedisConnection,
  createWorker,
  healthRouter,
  httpServerComponent,
  Lifecycle,
  redisReadinessCheck,
  requestIdMiddleware,
  waitForRedisReady,
} from '../src';
import { httpRequest } from './http-client';

describe('graceful shutdown of HTTP server, worker, queue and Redis connections', () => {
  const logger = createLogger({ logLevel: 'silent' });
  let redis: RedisServer;
  let server: Server | undefined;
  let producer: Redis | undefined;
  let workerConnection: Redis | undefined;
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  const agents: Agent[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const agent of agents) agent.destroy();
    server?.closeAllConnections();
    server?.close();
    await worker?.close(true);
    await queue?.close();
    // disconnect() on a connection the lifecycle already quit would arm a 2 s ioredis timer.
    for (const connection of [producer, workerConnection]) if (connection && connection.status !== 'end') connection.disconnect();
    await redis?.stop();
  });

  it('lets the in-flight request and job finish, answers 503 on /readyz meanwhile, then refuses connections', async () => {
    const SLOW_MS = 1_000;
    const SHUTDOWN_TIMEOUT_MS = 8_000;
    const lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS, readinessDrainMs: 300 });

    producer = createRedisConnection(redis.url, 'producer', { logger });
    await waitForRedisReady(producer);
    lifecycle.register(closeableComponent('redis:producer', () => producer!.quit()));
    workerConnection = createRedisConnection(redis.url, 'worker', { logger });
    lifecycle.register(closeableComponent('redis:worker', () => workerConnection!.quit()));
    queue = createQueue('graceful', producer, { logger });
    lifecycle.register(bullmqQueueComponent(queue));

    let jobStarted!: () => void;
    const jobStartedPromise = new Promise<void>((resolve) => (jobStarted = resolve));
    let jobFinished = false;
    worker = createWorker(
      'graceful',
      async () => {
        jobStarted();
        await new Promise((r) => setTimeout(r, SLOW_MS));
        jobFinished = true;
        return 'done';
      },
      workerConnection,
      { logger },
    );
    lifecycle.register(bullmqWorkerComponent(worker, 5_000));

    let slowRequestArrived!: () => void;
    const slowArrived = new Promise<void>((resolve) => (slowRequestArrived = resolve));
    const app = express();
    app.use(requestIdMiddleware());
    app.use(healthRouter({ checks: [redisReadinessCheck(producer)], lifecycle, registry: createMetrics().registry }));
    app.get('/fast', (_req, res) => void res.json({ ok: true }));
    app.get('/slow', (_req, res) => {
      slowRequestArrived();
      setTimeout(() => res.json({ finished: true }), SLOW_MS);
    });
    server = createServer(app);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    lifecycle.register(httpServerComponent(server));

    expect((await httpRequest(port, '/readyz')).status).toBe(200);

    // One keep-alive connection left idle, one busy with the slow request.
    const idleAgent = new Agent({ keepAlive: true });
    const busyAgent = new Agent({ keepAlive: true });
    agents.push(idleAgent, busyAgent);
    expect((await httpRequest(port, '/fast', { agent: idleAgent })).status).toBe(200);
    const slowResponse = httpRequest(port, '/slow', { agent: busyAgent });
    await slowArrived;
    const job = await queue.add('work', {});
    await jobStartedPromise;

    const started = Date.now();
    const shutdown = lifecycle.shutdown('test');
    const readyDuringShutdown = await httpRequest(port, '/readyz');
    expect(readyDuringShutdown.status).toBe(503);
    expect(JSON.parse(readyDuringShutdown.body)).toEqual({ status: 'shutting_down', checks: {} });

    const report = await shutdown;
    const elapsed = Date.now() - started;
    expect(report.clean).toBe(true);
    expect(report.components.map((c) => c.name)).toEqual(['http', 'worker:graceful', 'queue:graceful', 'redis:worker', 'redis:producer']);
    expect(elapsed).toBeLessThan(SHUTDOWN_TIMEOUT_MS);

    const slow = await slowResponse;
    expect(slow.status).toBe(200);
    expect(JSON.parse(slow.body)).toEqual({ finished: true });
    expect(slow.headers.connection).toBe('close');

    expect(jobFinished).toBe(true);
    const inspector = createRedisConnection(redis.url, 'producer', { logger });
    await waitForRedisReady(inspector);
    const inspectQueue = createQueue('graceful', inspector, { logger });
    expect(await inspectQueue.getJobState(job.id!)).toBe('completed');
    await inspectQueue.close();
    inspector.disconnect();

    await expect(httpRequest(port, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(server.listening).toBe(false);
  }, 30_000);
});
