import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConflictError, NotFoundError, ValidationError } from '@coinstile/core';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import express from 'express';
import { sql } from 'kysely';
import { Client } from 'pg';
import type { Redis } from 'ioredis';
import {
  createLogger,
  createMetrics,
  createRedisConnection,
  type Database,
  healthRouter,
  jsonErrorHandler,
  jsonNotFoundHandler,
  Lifecycle,
  openDatabase,
  postgresReadinessCheck,
  redisReadinessCheck,
  requestIdMiddleware,
  waitForRedisReady,
} from '../src';
import { httpRequest } from './http-client';

describe('health router and JSON error handling', () => {
  const logLines: string[] = [];
  const logger = createLogger({ logLevel: 'info' }, { destination: { write: (l: string) => void logLines.push(l) } });
  let redis: RedisServer;
  let postgres: PostgresServer;
  let db: Database;
  let redisConnection: Redis;
  let server: Server;
  let port: number;
  const lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 1_000 });

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    db = await openDatabase({ url: await postgres.createDatabase() });
    redisConnection = createRedisConnection(redis.url, 'producer', { logger });
    await waitForRedisReady(redisConnection);

    const metrics = createMetrics();
    const app = express();
    app.use(requestIdMiddleware());
    app.use(metrics.httpMetricsMiddleware);
    app.use(
      healthRouter({
        checks: [postgresReadinessCheck(db), { ...redisReadinessCheck(redisConnection), timeoutMs: 500 }],
        lifecycle,
        registry: metrics.registry,
      }),
    );
    const api = express.Router();
    api.use(express.json({ limit: '1kb' }));
    api.post('/echo', (req, res) => void res.json(req.body));
    api.get('/invalid', () => {
      throw new ValidationError('amount must be a positive decimal string', { field: 'amount' }, 'invalid_amount');
    });
    api.get('/missing/:id', (req) => {
      throw new NotFoundError('checkout', req.params.id as string);
    });
    api.get('/conflict', async () => {
      throw new ConflictError('version changed');
    });
    api.get('/db', async (_req, res) => {
      await db.kysely.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
      res.json({ ok: true });
    });
    api.get('/slow', async (_req, res) => {
      await sql`SELECT pg_sleep(20)`.execute(db.kysely);
      res.json({ ok: true });
    });
    api.get('/bug', () => {
      throw new Error('connect ECONNREFUSED postgres://app:dbpass@10.0.0.5:5432 at internal/secret.ts:42');
    });
    app.use('/v1', api);
    app.use(jsonNotFoundHandler());
    app.use(jsonErrorHandler(logger));
    server = createServer(app);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  }, 60_000);

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    redisConnection?.disconnect();
    await db?.close();
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });

  const json = async (path: string, opts: Parameters<typeof httpRequest>[2] = {}) => {
    const res = await httpRequest(port, path, opts);
    return { ...res, json: JSON.parse(res.body) as unknown };
  };

  it('/healthz answers 200', async () => {
    expect(await json('/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } });
  });

  it('/readyz is 200 with Postgres and Redis up, 503 naming redis once it is killed, 200 again after restart', async () => {
    const up = await json('/readyz');
    expect(up.status).toBe(200);
    expect(up.json).toMatchObject({ status: 'ok', checks: { postgres: { status: 'ok' }, redis: { status: 'ok' } } });

    await redis.kill9();
    const down = await json('/readyz');
    expect(down.status).toBe(503);
    expect(down.json).toMatchObject({ status: 'fail', checks: { postgres: { status: 'ok' }, redis: { status: 'fail' } } });
    expect((down.json as { checks: { redis: { error: string } } }).checks.redis.error).toEqual(expect.any(String));

    await redis.restart();
    await waitForRedisReady(redisConnection, 10_000);
    expect((await json('/readyz')).status).toBe(200);
  }, 30_000);

  it('answers 503 service_unavailable with Retry-After while PostgreSQL is down, and 200 once it is back', async () => {
    expect((await json('/v1/db')).status).toBe(200);
    await postgres.kill9();
    logLines.length = 0;
    const down = await json('/v1/db');
    expect(down).toMatchObject({ status: 503, json: { error: { code: 'service_unavailable' } } });
    expect(down.headers['retry-after']).toBe('1');
    expect(logLines.some((l) => l.includes('unhandled error'))).toBe(false);
    await postgres.restart();
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      status = (await json('/v1/db')).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
  }, 30_000);

  it('answers 503, not 500, when PostgreSQL ends the connection of a query in flight (SQLSTATE 57P01, as in a shutdown)', async () => {
    logLines.length = 0;
    const slow = json('/v1/slow');
    const admin = new Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      let terminated = 0;
      for (let attempt = 0; attempt < 100 && terminated === 0; attempt += 1) {
        const result = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'select pg_sleep(20)%' OR query LIKE 'SELECT pg_sleep(20)%'`,
        );
        terminated = result.rowCount ?? 0;
        if (terminated === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(terminated).toBe(1);
    } finally {
      await admin.end();
    }
    expect(await slow).toMatchObject({ status: 503, json: { error: { code: 'service_unavailable' } } });
    expect(logLines.some((l) => l.includes('unhandled error'))).toBe(false);
    expect((await json('/v1/db')).status).toBe(200);
  }, 30_000);

  it('/metrics exposes default metrics and the HTTP histogram by route pattern', async () => {
    await json('/v1/missing/co_123');
    const res = await httpRequest(port, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('process_cpu_user_seconds_total');
    expect(res.body).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/v1\/missing\/:id",status_code="404"\} 1/);
    expect(res.body).not.toContain('co_123');
  });

  it('maps domain errors to their status and the public error body', async () => {
    expect(await json('/v1/invalid')).toMatchObject({
      status: 400,
      json: { error: { code: 'invalid_amount', message: 'amount must be a positive decimal string', details: { field: 'amount' } } },
    });
    expect(await json('/v1/missing/co_1')).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
    expect(await json('/v1/conflict')).toMatchObject({ status: 409, json: { error: { code: 'conflict' } } });
  });

  it('answers a path parameter that is not valid percent-encoding with 400, not 500', async () => {
    for (const id of ['%ZZ', 'co_%ED%A0%80']) {
      expect(await json(`/v1/missing/${id}`)).toEqual(
        expect.objectContaining({ status: 400, json: { error: { code: 'invalid_path', message: 'The request path is not valid percent-encoded UTF-8' } } }),
      );
    }
  });

  it('answers bad JSON with 400 and an oversized body with 413', async () => {
    const headers = { 'content-type': 'application/json' };
    expect(await json('/v1/echo', { method: 'POST', headers, body: '{"amount": ' })).toEqual(
      expect.objectContaining({ status: 400, json: { error: { code: 'invalid_json', message: 'The request body is not valid JSON' } } }),
    );
    expect(await json('/v1/echo', { method: 'POST', headers, body: JSON.stringify({ pad: 'x'.repeat(2_000) }) })).toEqual(
      expect.objectContaining({ status: 413, json: { error: { code: 'payload_too_large', message: 'The request body is too large' } } }),
    );
    expect(await json('/v1/echo', { method: 'POST', headers, body: '{"ok":true}' })).toMatchObject({ status: 200, json: { ok: true } });
  });

  it('answers an unknown error with a bare 500, logged with its request id, leaking nothing', async () => {
    logLines.length = 0;
    const res = await json('/v1/bug', { headers: { 'x-request-id': 'trace-42' } });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: { code: 'internal_error', message: 'Internal error' } });
    expect(res.body).not.toMatch(/ECONNREFUSED|dbpass|secret\.ts/);
    expect(res.headers['x-request-id']).toBe('trace-42');
    const logged = logLines.map((l) => JSON.parse(l) as { msg: string; requestId?: string; err?: { message: string } });
    const entry = logged.find((l) => l.msg === 'unhandled error');
    expect(entry).toMatchObject({ requestId: 'trace-42' });
    expect(entry!.err!.message).toContain('postgres://app:***@10.0.0.5');
  });

  it('answers unknown routes with a JSON 404', async () => {
    expect(await json('/v1/nope')).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
  });

  it('gives every response a request id, honouring a sane incoming one', async () => {
    const generated = await httpRequest(port, '/healthz');
    expect(generated.headers['x-request-id']).toMatch(/^req_[0-9a-f-]{36}$/);
    expect((await httpRequest(port, '/healthz', { headers: { 'x-request-id': 'abc-123' } })).headers['x-request-id']).toBe('abc-123');
    for (const insane of ['x'.repeat(200), 'id with spaces', '"><script>']) {
      expect((await httpRequest(port, '/healthz', { headers: { 'x-request-id': insane } })).headers['x-request-id']).toMatch(/^req_/);
    }
  });

  it('/readyz answers 503 once shutdown has begun', async () => {
    await lifecycle.shutdown('test');
    expect(await json('/readyz')).toMatchObject({ status: 503, json: { status: 'shutting_down' } });
  });
});
