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
