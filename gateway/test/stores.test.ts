import { apiKeyListSchema, createdApiKeySchema, storeListSchema, storeSchema } from '../src/openapi/response-schemas';
import { activeStoreWithKey, type GatewayHarness, keys, OPERATOR_TOKEN, rowCounts, startHarness, storeBody, walletsOfAccount } from './support/gateway-harness';

let h: GatewayHarness;
beforeAll(async () => {
  h = await startHarness();
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

const op = { token: OPERATOR_TOKEN };

describe('stores (operator)', () => {
  it('creates a store pending verification with validated wallets, payout account and policy', async () => {
    const res = await h.request('POST', '/v1/stores', { ...op, body: storeBody() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^st_[0-9A-Z]{26}$/),
      object: 'store',
      name: 'Kobe Tea House',
      status: 'pending_verification',
      payoutCurrency: 'JPY',
      payoutAccount: { kind: 'iban', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Kobe Tea House KK' },
      policy: { speedPolicy: 'medium_speed', paymentTolerancePct: '0.5', expiryMinutes: 15, monitoringMinutes: 1440, spreadBps: 0 },
    });
    // The zpub is stored in the node's canonical xpub form with its descriptor.
    expect(res.body.wallets.BTC).toMatchObject({ kind: 'p2wpkh', chain: 'bitcoin', network: 'mainnet', extendedPublicKey: expect.stringMatching(/^xpub/) });
    expect(res.body.wallets.BTC.descriptor).toMatch(/^wpkh\(xpub.+\/0\/\*\)#[a-z0-9]{8}$/);
    expect(res.body.wallets.ETH).toEqual({ kind: 'evm', chain: 'ethereum', extendedPublicKey: expect.stringMatching(/^xpub/) });

    expect(storeSchema.safeParse(res.body).error).toBeUndefined();
    const got = await h.request('GET', `/v1/stores/${res.body.id}`, op);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
  });

  it('refuses a private key with a clear error, without echoing it, and writes nothing', async () => {
    const before = await rowCounts(h);
    const res = await h.request('POST', '/v1/stores', { ...op, body: storeBody({ wallets: { BTC: { xpub: keys.btcXprv } } }) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('private_key_refused');
    expect(res.body.error.message).toMatch(/never accepts private keys/);
    expect(res.text).not.toContain(keys.btcXprv);
    expect(await rowCounts(h)).toEqual(before);
  });

  it('refuses a wallet another store already receives on (409 wallet_in_use): addresses would collide', async () => {
    const wallets = walletsOfAccount(900);
    expect((await h.request('POST', '/v1/stores', { ...op, body: storeBody({ wallets }) })).status).toBe(201);
    const before = await rowCounts(h);
    const again = await h.request('POST', '/v1/stores', { ...op, body: storeBody({ wallets: { ETH: wallets['ETH'] } }) });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'wallet_in_use', details: { asset: 'ETH' } });
    // The same ETH key for USDC in another store collides too (same chain, same addresses).
    expect((await h.request('POST', '/v1/stores', { ...op, body: storeBody({ wallets: { USDC: wallets['ETH'] } }) })).status).toBe(409);
    expect(await rowCounts(h)).toEqual(before);
  });

  it('refuses one key for ETH and USDC in the same store (400): both would get the same addresses', async () => {
    const wallets = walletsOfAccount(901);
    const before = await rowCounts(h);
    const res = await h.request('POST', '/v1/stores', { ...op, body: storeBody({ wallets: { ETH: wallets['ETH'], USDC: wallets['ETH'] } }) });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'wallet_shared_between_assets', details: { field: 'wallets.USDC', sameAs: 'wallets.ETH' } });
    expect(await rowCounts(h)).toEqual(before);
    // Different keys per asset are fine.
    expect((await h.request('POST', '/v1/stores', { ...op, body: storeBody({ wallets }) })).status).toBe(201);
  });

  it('validates wallets against the configured network (LTC_NETWORK=regtest refuses a mainnet key)', async () => {
    const wrong = await h.request('POST', '/v1/stores', { ...op, body: storeBody({ wallets: { LTC: { xpub: keys.btcZpub } } }) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('wallet_network_mismatch');
    const tpub = await h.request('POST', '/v1/stores', { ...op, body: storeBody({ wallets: { LTC: { xpub: keys.ltcTpub } } }) });
    expect(tpub.status).toBe(201);
    expect(tpub.body.wallets.LTC).toMatchObject({ chain: 'litecoin', network: 'regtest', extendedPublicKey: keys.ltcTpub });
  });

  it.each([
    ['bad IBAN checksum', { payoutAccount: { iban: 'DE89370400440532013001', holderName: 'X' } }, 'invalid_payout_account'],
    ['unknown currency', { payoutCurrency: 'XXX' }, 'invalid_currency'],
    ['bad tolerance', { policy: { paymentTolerancePct: '100' } }, 'invalid_tolerance'],
    ['unknown speed policy', { policy: { speedPolicy: 'warp' } }, 'validation_failed'],
    ['garbage wallet', { wallets: { BTC: { xpub: 'hello' } } }, 'wallet_malformed'],
    ['unknown field', { colour: 'red' }, 'validation_failed'],
    ['empty name', { name: '' }, 'validation_failed'],
  ])('refuses %s with 400 %s', async (_what, overrides, code) => {
    const res = await h.request('POST', '/v1/stores', { ...op, body: storeBody(overrides) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it('lists stores newest first with a cursor', async () => {
    for (let i = 0; i < 3; i += 1) expect((await h.request('POST', '/v1/stores', { ...op, body: storeBody({ name: `List ${i}` }) })).status).toBe(201);
    const first = await h.request('GET', '/v1/stores?limit=2', op);
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(storeListSchema.safeParse(first.body).error).toBeUndefined();
    expect(first.body.data[0].name).toBe('List 2');
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await h.request('GET', `/v1/stores?limit=2&cursor=${first.body.nextCursor}`, op);
    expect(second.body.data[0].name).toBe('List 0');
    expect((await h.request('GET', '/v1/stores?cursor=nope', op)).body.error.code).toBe('invalid_cursor');
    expect((await h.request('GET', '/v1/stores?limit=0', op)).status).toBe(400);
  });

  it('updates the policy (given fields only), verifies and suspends', async () => {
    const created = await h.request('POST', '/v1/stores', { ...op, body: storeBody() });
    const id = created.body.id as string;
    const patched = await h.request('PATCH', `/v1/stores/${id}/policy`, {
      ...op,
      body: { speedPolicy: 'low_speed', spreadBps: 100, amountThresholds: [{ currency: 'JPY', above: '100000', speedPolicy: 'low_speed' }] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.policy).toMatchObject({
      speedPolicy: 'low_speed',
      spreadBps: 100,
      paymentTolerancePct: '0.5',
      amountThresholds: [{ currency: 'JPY', above: '100000', speedPolicy: 'low_speed' }],
    });
    expect((await h.request('PATCH', `/v1/stores/${id}/policy`, { ...op, body: { expiryMinutes: 0 } })).status).toBe(400);
    expect((await h.request('PATCH', `/v1/stores/${id}/policy`, { ...op, body: { amountThresholds: [{ currency: 'JPY', above: '1.5', speedPolicy: 'low_speed' }] } })).body.error.code).toBe('invalid_amount');

    const verified = await h.request('POST', `/v1/stores/${id}/verify`, op);
    expect(verified.body.status).toBe('active');
    expect((await h.request('POST', `/v1/stores/${id}/verify`, op)).body.status).toBe('active');
    const suspended = await h.request('POST', `/v1/stores/${id}/suspend`, op);
    expect(suspended.body.status).toBe('suspended');
    expect((await h.request('POST', `/v1/stores/${id}/verify`, op)).body.status).toBe('active');
  });

  it("sets the mall's fee and the payout schedule at creation and by PATCH …/payout-terms; the pipeline's columns hold them", async () => {
    const created = await h.request('POST', '/v1/stores', { ...op, body: storeBody({ payoutTerms: { feePercent: '2.5', feeFixed: '30' } }) });
    expect(created.status).toBe(201);
    expect(storeSchema.parse(created.body).payoutTerms).toEqual({ feePercent: '2.5', feeFixed: '30', schedule: { kind: 'instant' } });
    const id = created.body.id as string;
    const columns = async () =>
      h.runtime.db.kysely.selectFrom('stores').select(['fee_bps', 'fee_fixed_minor', 'payout_schedule']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(await columns()).toMatchObject({ fee_bps: 250, fee_fixed_minor: '30', payout_schedule: { kind: 'instant' } });

    const daily = await h.request('PATCH', `/v1/stores/${id}/payout-terms`, { ...op, body: { schedule: { kind: 'daily', time: '17:30', timeZone: 'Asia/Tokyo' } } });
    expect(daily.status).toBe(200);
    expect(daily.body.payoutTerms).toEqual({ feePercent: '2.5', feeFixed: '30', schedule: { kind: 'daily', time: '17:30', timeZone: 'Asia/Tokyo' } });
    const threshold = await h.request('PATCH', `/v1/stores/${id}/payout-terms`, { ...op, body: { feePercent: '0.05', schedule: { kind: 'threshold', minimum: '50000' } } });
    expect(threshold.body.payoutTerms).toEqual({ feePercent: '0.05', feeFixed: '30', schedule: { kind: 'threshold', minimum: '50000' } });
    expect(await columns()).toMatchObject({ fee_bps: 5, payout_schedule: { kind: 'threshold', minimumMinor: '50000' } });

    // Refused, and nothing changed: a fee over 100 %, three decimals, JPY cents, a bad time zone, a zero threshold, a store key.
    for (const body of [
      { feePercent: '100.5' },
      { feePercent: '1.125' },
      { feeFixed: '1.5' },
      { schedule: { kind: 'daily', time: '25:00', timeZone: 'Asia/Tokyo' } },
      { schedule: { kind: 'daily', time: '09:00', timeZone: 'Mars/Olympus' } },
      { schedule: { kind: 'threshold', minimum: '0' } },
      { schedule: { kind: 'weekly' } },
      { feePercent: 2 },
    ]) {
      expect({ body, status: (await h.request('PATCH', `/v1/stores/${id}/payout-terms`, { ...op, body })).status }).toEqual({ body, status: 400 });
    }
    expect(await columns()).toMatchObject({ fee_bps: 5, fee_fixed_minor: '30', payout_schedule: { kind: 'threshold', minimumMinor: '50000' } });
    const { key } = await activeStoreWithKey(h);
    expect((await h.request('PATCH', `/v1/stores/${id}/payout-terms`, { token: key, body: { feePercent: '0' } })).status).toBe(403);
  });

  it('answers 404 for an unknown store and 400 for a malformed id', async () => {
    expect((await h.request('GET', '/v1/stores/st_01ARYZ6S41TSV4RRFFQ69G5FAV', op)).status).toBe(404);
    const bad = await h.request('GET', '/v1/stores/nope', op);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_id');
    expect((await h.request('POST', '/v1/stores/st_01ARYZ6S41TSV4RRFFQ69G5FAV/verify', op)).status).toBe(404);
  });
});

describe('API keys', () => {
  it('are shown once, stored hashed with prefix and last 4, listed without the key, and revocable', async () => {
    const { storeId, key } = await activeStoreWithKey(h, ['checkouts:read']);
    expect(key).toMatch(/^csk_[A-Za-z0-9_-]{43}$/);
    const rows = await h.runtime.db.kysely.selectFrom('api_keys').selectAll().where('store_id', '=', storeId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(key);
    expect(rows[0]!.last4).toBe(key.slice(-4));

    const listed = await h.request('GET', `/v1/stores/${storeId}/api-keys`, op);
    expect(listed.status).toBe(200);
    expect(apiKeyListSchema.safeParse(listed.body).error).toBeUndefined();
    expect(listed.body.data).toEqual([expect.objectContaining({ id: rows[0]!.id, prefix: key.slice(0, 10), last4: key.slice(-4), scopes: ['checkouts:read'], revokedAt: null })]);
    expect(listed.text).not.toContain(key);

    expect((await h.request('GET', '/v1/checkouts', { token: key })).status).toBe(200);
    const lastUsed = await h.runtime.db.kysely.selectFrom('api_keys').select('last_used_at').where('id', '=', rows[0]!.id).executeTakeFirstOrThrow();
    for (let i = 0; i < 200 && lastUsed.last_used_at === null; i += 1) await new Promise((r) => setTimeout(r, 10));
    const after = await h.runtime.db.kysely.selectFrom('api_keys').select('last_used_at').where('id', '=', rows[0]!.id).executeTakeFirstOrThrow();
    expect(after.last_used_at).toBeInstanceOf(Date);

    const revoked = await h.request('DELETE', `/v1/stores/${storeId}/api-keys/${rows[0]!.id}`, op);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await h.request('GET', '/v1/checkouts', { token: key })).status).toBe(401);
  });

  it('refuses unknown scopes and empty scope lists', async () => {
    const created = await h.request('POST', '/v1/stores', { ...op, body: storeBody() });
    const id = created.body.id as string;
    const issued = await h.request('POST', `/v1/stores/${id}/api-keys`, { ...op, body: { scopes: ['pos', 'pos', 'payouts:read'] } });
    expect(issued.status).toBe(201);
    expect(createdApiKeySchema.safeParse(issued.body).error).toBeUndefined();
    expect(issued.body.scopes).toEqual(['pos', 'payouts:read']);
    expect((await h.request('POST', `/v1/stores/${id}/api-keys`, { ...op, body: { scopes: ['admin'] } })).status).toBe(400);
    expect((await h.request('POST', `/v1/stores/${id}/api-keys`, { ...op, body: { scopes: [] } })).status).toBe(400);
    expect((await h.request('POST', '/v1/stores/st_01ARYZ6S41TSV4RRFFQ69G5FAV/api-keys', { ...op, body: { scopes: ['pos'] } })).status).toBe(404);
  });
});

describe('authentication and isolation', () => {
  it('401 without or with garbage credentials, on every API route', async () => {
    for (const [method, path] of [
      ['POST', '/v1/stores'],
      ['GET', '/v1/stores'],
      ['POST', '/v1/checkouts'],
      ['GET', '/v1/checkouts'],
      ['GET', '/v1/rates'],
    ] as const) {
      const body = method === 'POST' ? { body: {} } : {};
      const none = await h.request(method, path, body);
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('unauthenticated');
      expect((await h.request(method, path, { token: 'csk_garbage', ...body })).status).toBe(401);
      expect((await h.request(method, path, { token: 'not-a-token-at-all', ...body })).status).toBe(401);
      expect((await h.request(method, path, { headers: { authorization: 'Basic abc' }, ...body })).status).toBe(401);
    }
  });

  it("403 for a store key on operator routes or without the scope; 404 for another store's store", async () => {
    const a = await activeStoreWithKey(h, ['checkouts:read']);
    const b = await activeStoreWithKey(h, ['checkouts:write']);
    expect((await h.request('POST', '/v1/stores', { token: a.key, body: storeBody() })).status).toBe(403);
    expect((await h.request('POST', `/v1/stores/${a.storeId}/api-keys`, { token: a.key, body: { scopes: ['pos'] } })).status).toBe(403);
    expect((await h.request('POST', '/v1/checkouts', { token: a.key, body: { orderId: 'x', amount: '1', currency: 'JPY' } })).status).toBe(403);
    expect((await h.request('GET', '/v1/checkouts', { token: b.key })).status).toBe(403);
    expect((await h.request('GET', `/v1/stores/${a.storeId}`, { token: a.key })).status).toBe(200);
    expect((await h.request('GET', `/v1/stores/${b.storeId}`, { token: a.key })).status).toBe(404);
    // The operator token cannot act as a store.
    expect((await h.request('GET', '/v1/checkouts', op)).status).toBe(403);
  });
});

describe('HTTP hygiene', () => {
  it('sets security headers and request ids, answers unknown routes and bad JSON in the error shape', async () => {
    const res = await h.request('GET', '/v1/stores', { ...op, headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const unknown = await h.request('GET', '/v1/nowhere', op);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const badJson = await h.request('POST', '/v1/stores', { ...op, rawBody: '{"name":' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe('invalid_json');
    const big = await h.request('POST', '/v1/stores', { ...op, rawBody: JSON.stringify({ name: 'x'.repeat(200_000) }) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
  });

  it('publishes OpenAPI 3.1 generated from the request schemas and renders it at /docs from the npm package', async () => {
    const doc = await h.request('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.components.schemas.CreateCheckoutRequest.required).toEqual(['orderId', 'amount', 'currency']);
    expect(doc.body.components.schemas.CreateStoreRequest.properties.payoutAccount).toEqual({ $ref: '#/components/schemas/PayoutAccountInput' });
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/stores', '/v1/checkouts', '/v1/checkouts/{id}/cancel', '/v1/stores/{id}/api-keys']));
    const refs = JSON.stringify(doc.body).match(/"\$ref":"([^"]+)"/g) ?? [];
    for (const ref of refs) {
      const name = /#\/components\/schemas\/([A-Za-z]+)/.exec(ref)?.[1];
      expect(name && doc.body.components.schemas[name]).toBeTruthy();
    }
    // startGateway mounts the operator dashboard too.
    const dashboard = await fetch(`${h.url}/dashboard`, { redirect: 'manual' });
    expect([200, 302, 303, 401]).toContain(dashboard.status);
    const docs = await h.request('GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('/docs/assets/swagger-ui-bundle.js');
    const bundle = await fetch(`${h.url}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
  });
});

describe('webhooks (mounted by startGateway)', () => {
  it('POST /v1/webhooks is behind the gateway auth: 401 without a key, 403 without webhooks:write, SSRF refusals as 4xx', async () => {
    const withScope = await activeStoreWithKey(h, ['webhooks:write']);
    const without = await activeStoreWithKey(h, ['checkouts:read']);
    expect((await h.request('POST', '/v1/webhooks', { body: { url: 'https://example.com/hook' } })).status).toBe(401);
    expect((await h.request('POST', '/v1/webhooks', { token: without.key, body: { url: 'https://example.com/hook' } })).status).toBe(403);
    // Loopback targets are refused unless WEBHOOK_ALLOW_PRIVATE: a 4xx in the API's error shape.
    const refused = await h.request('POST', '/v1/webhooks', { token: withScope.key, body: { url: 'http://127.0.0.1:9/hook' } });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(refused.body.error.code).toEqual(expect.any(String));
  });
});
