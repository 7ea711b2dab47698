import { Redis } from 'ioredis';
import { RateLimiter } from '../src/rate-limit/rate-limiter';
import { activeStoreWithKey, type GatewayHarness, startHarness } from './support/gateway-harness';

let h: GatewayHarness;
beforeAll(async () => {
  h = await startHarness({ rateLimits: { key: 3, ip: 3, operator: 1_000 }, rateLimitWindowMs: 3_600_000 });
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

it('limits each API key in Redis, answering 429 rate_limited with Retry-After', async () => {
  const a = await activeStoreWithKey(h, ['checkouts:read']);
  const b = await activeStoreWithKey(h, ['checkouts:read']);
  for (let i = 0; i < 3; i += 1) expect((await h.request('GET', '/v1/checkouts', { token: a.key })).status).toBe(200);
  const limited = await h.request('GET', '/v1/checkouts', { token: a.key });
  expect(limited.status).toBe(429);
  expect(limited.body.error.code).toBe('rate_limited');
  const retryAfter = Number(limited.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3_600).toBe(true);
  expect(limited.body.error.details.retryAfterSeconds).toBe(retryAfter);
  // Another key has its own budget; the counters live in Redis.
  expect((await h.request('GET', '/v1/checkouts', { token: b.key })).status).toBe(200);
  const keys = await h.runtime.redis.keys('coinstile:rl:key:*');
  expect(keys.length).toBe(2);
});

it('limits public routes and failed authentication per client IP', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 2; i += 1) statuses.push((await h.request('GET', '/v1/checkouts', { token: 'csk_wrong' })).status);
  statuses.push((await h.request('GET', '/openapi.json')).status);
  const limited = await h.request('GET', '/openapi.json');
  expect(statuses).toEqual([401, 401, 200]);
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  expect((await h.request('GET', '/v1/checkouts', { token: 'csk_wrong' })).status).toBe(429);
});

it('fails open when Redis cannot be asked: requests pass, never a 500', async () => {
  const warnings: string[] = [];
  // A connection to a port nothing listens on, failing fast like the gateway's producer connections.
  const dead = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  dead.on('error', () => undefined);
  const limiter = new RateLimiter(dead, { limits: { key: 1 }, logger: { warn: (_o, msg) => void warnings.push(msg ?? '') } });
  await expect(limiter.consume('key', 'k1')).resolves.toBeUndefined();
  await expect(limiter.consume('key', 'k1')).resolves.toBeUndefined();
  expect(warnings).toEqual(['rate limits unavailable (Redis); requests pass unlimited']);
  dead.disconnect();
});

it('takes budgets from Redis in leases shared by replicas: never more than the limit in all', async () => {
  const opts = { limits: { key: 1_000 }, prefix: `lease-test-${Date.now()}:`, windowMs: 3_600_000 };
  const replicas = [new RateLimiter(h.runtime.redis, opts), new RateLimiter(h.runtime.redis, opts)];
  let allowed = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: 1_200 }, (_, i) =>
      replicas[i % 2]!.consume('key', 'shared').then(
        () => void (allowed += 1),
        (err: unknown) => {
          expect(err).toMatchObject({ code: 'rate_limited' });
          refused += 1;
        },
      ),
    ),
  );
  expect(allowed + refused).toBe(1_200);
  expect(allowed).toBeLessThanOrEqual(1_000);
  // Leases of 10 (1 % of the budget): a replica holds back at most one partial lease.
  expect(allowed).toBeGreaterThanOrEqual(1_000 - 2 * 10);
  const counter = Number(await h.runtime.redis.get(`${opts.prefix}key:shared:${Math.floor(Date.now() / opts.windowMs)}`));
  // Far fewer Redis calls than requests: the counter moved in steps of 10.
  expect(counter % 10).toBe(0);
});
