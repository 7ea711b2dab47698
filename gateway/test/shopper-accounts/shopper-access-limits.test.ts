import { type GatewayHarness, OPERATOR_TOKEN, startHarness } from '../support/gateway-harness';

/**
 * The shopper's routes are public: the access code is the credential, and every request spends the client
 * IP's budget first, so guessing codes stops at the per-IP limit (429) whatever is guessed.
 */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startHarness({ engine: 'pglite', rateLimits: { key: 1_000, ip: 10, operator: 1_000 }, rateLimitWindowMs: 3_600_000 });
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

test('guessing access codes is limited per IP: 401s until the budget is spent, then 429 even for the right code', async () => {
  const created = await h.request('POST', '/v1/shopper-accounts', { token: OPERATOR_TOKEN, body: { currency: 'JPY' } });
  expect(created.status).toBe(201);
  const { id, accessCode } = created.body as { id: string; accessCode: string };
  const statuses: number[] = [];
  for (let i = 0; i < 10; i += 1) {
    const guess = `${String(i).padStart(5, '0')}-AAAAA-AAAAA-AAAAA`;
    statuses.push((await h.request('POST', `/v1/shopper-accounts/${id}/statement`, { body: { accessCode: guess } })).status);
  }
  expect(statuses).toEqual(Array.from({ length: 10 }, () => 401));
  const limited = await h.request('POST', `/v1/shopper-accounts/${id}/statement`, { body: { accessCode } });
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  for (const path of ['top-ups', 'payments']) expect((await h.request('POST', `/v1/shopper-accounts/${id}/${path}`, { body: { accessCode } })).status).toBe(429);
});
