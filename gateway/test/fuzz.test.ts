import fc from 'fast-check';
import { activeStoreWithKey, type GatewayHarness, OPERATOR_TOKEN, rowCounts, startHarness, storeBody, walletsOfAccount } from './support/gateway-harness';

/**
 * Property: whatever a client sends — random JSON, wrong types, huge strings, any Unicode (lone
 * surrogates, NUL), nested junk, junk ids, queries and headers — the API never answers 5xx, and a 4xx
 * changes nothing in the database (row counts of every table, and the addresses handed out).
 */
let h: GatewayHarness;
let store: { storeId: string; key: string };
let pendingStoreId: string;

beforeAll(async () => {
  h = await startHarness();
  store = await activeStoreWithKey(h, ['checkouts:read', 'checkouts:write']);
  pendingStoreId = (await h.request('POST', '/v1/stores', { token: OPERATOR_TOKEN, body: storeBody() })).body.id as string;
}, 120_000);
afterAll(async () => {
  if (h?.logs.length) console.log(h.logs.join(''));
  await h?.stop();
});

const RUNS = Number(process.env['GATEWAY_FUZZ_RUNS'] ?? 60);

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const junkString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.oneof(loneSurrogate, fc.constant('\u0000'), fc.constant('\u202e'), fc.constant('😀'), fc.constant('Ａ')) }),
  fc.string({ minLength: 1_000, maxLength: 5_000 }),
  fc.constantFrom('x'.repeat(60_000), '', ' ', '0', '-1', '1e5', '0x10', 'NaN', 'null', '__proto__', 'constructor', '12.50', '4980', 'BTC', 'JPY'),
);
const junkValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    junkString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt().map((b) => Number(b)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(junkString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A valid body with one field replaced, removed, or junk added at the top or one level down. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), junkValue).map(([k, v]) => ({ ...valid, [k]: v })),
    fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k))),
    fc.tuple(junkString, junkValue).map(([k, v]) => ({ ...valid, [k]: v })),
    fc.tuple(fc.constantFrom(...keys), junkString, junkValue).map(([k, inner, v]) => ({
      ...valid,
      [k]: typeof valid[k] === 'object' && valid[k] !== null ? { ...(valid[k] as object), [inner]: v } : v,
    })),
  );
}

const anyBody = (valid: Record<string, unknown>) => fc.oneof(junkValue, mutated(valid), fc.constant(valid));

async function check(method: string, path: string, opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<void> {
  const before = await rowCounts(h);
  const res = await h.request(method, path, opts);
  const what = () => `${method} ${path.slice(0, 200)} → ${res.status} ${res.text.slice(0, 300)} body: ${(JSON.stringify(opts.body) ?? opts.rawBody)?.slice(0, 300)}`;
  if (res.status >= 500) throw new Error(what());
  if (res.status >= 400) {
    if (typeof res.body?.error?.code !== 'string') throw new Error(`not the error shape: ${what()}`);
    const after = await rowCounts(h);
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      throw new Error(`changed the database: ${what()}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    }
  }
}

/** Sends `body` as JSON, or as raw text when it is not representable as JSON (top-level scalars are sent raw too). */
function bodyOpts(body: unknown): { body?: unknown; rawBody?: string } {
  return typeof body === 'object' && body !== null ? { body } : { rawBody: JSON.stringify(body) ?? 'undefined' };
}

const validCheckout = { orderId: 'F-1', amount: '4980', currency: 'JPY', asset: 'BTC', assets: ['BTC'], escrow: false, metadata: { a: 'b' }, items: [{ name: 'Tea', quantity: 1, unitPrice: '4980' }] };

it('POST /v1/checkouts', async () => {
  await fc.assert(
    fc.asyncProperty(anyBody(validCheckout), fc.option(junkString.filter((s) => /^[\x20-\x7e]*$/.test(s))), async (body, idem) => {
      await check('POST', '/v1/checkouts', { token: store.key, ...bodyOpts(body), ...(idem !== null ? { headers: { 'idempotency-key': idem } } : {}) });
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
}, 300_000);

it('POST /v1/stores', async () => {
  const valid = storeBody({ wallets: walletsOfAccount(777) });
  await fc.assert(
    fc.asyncProperty(anyBody(valid), async (body) => {
      // A valid store would be created once; later runs of the same wallets answer 409.
      await check('POST', '/v1/stores', { token: OPERATOR_TOKEN, ...bodyOpts(body) });
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
}, 300_000);

it('PATCH /v1/stores/{id}/policy and POST /v1/stores/{id}/api-keys', async () => {
  const validPolicy = { speedPolicy: 'low_speed', paymentTolerancePct: '1', expiryMinutes: 30, monitoringMinutes: 60, spreadBps: 50, perAssetSpeedPolicy: { ETH: 'low_speed' }, amountThresholds: [{ currency: 'JPY', above: '10000', speedPolicy: 'low_speed' }] };
  await fc.assert(
    fc.asyncProperty(anyBody(validPolicy), anyBody({ scopes: ['pos'] }), async (policy, keyBody) => {
      await check('PATCH', `/v1/stores/${pendingStoreId}/policy`, { token: OPERATOR_TOKEN, ...bodyOpts(policy) });
      await check('POST', `/v1/stores/${pendingStoreId}/api-keys`, { token: OPERATOR_TOKEN, ...bodyOpts(keyBody) });
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
}, 300_000);

it('queries, path ids and headers', async () => {
  const queryPart = fc.tuple(fc.constantFrom('status', 'cursor', 'limit', 'pairs', 'x', 'status[]', '__proto__'), junkString).map(
    ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '?'))}`,
  );
  const query = fc.array(queryPart, { maxLength: 4 }).map((parts) => (parts.length ? `?${parts.join('&')}` : ''));
  const id = fc.oneof(junkString.map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '?'))), fc.constant('co_01ARYZ6S41TSV4RRFFQ69G5FAV'), fc.constant('st_01ARYZ6S41TSV4RRFFQ69G5FAV'));
  const token = fc.oneof(fc.constant(store.key), fc.constant(OPERATOR_TOKEN), junkString.filter((s) => /^[\x21-\x7e]+$/.test(s)));
  await fc.assert(
    fc.asyncProperty(query, id, token, async (q, i, t) => {
      await check('GET', `/v1/checkouts${q}`, { token: store.key });
      await check('GET', `/v1/stores${q}`, { token: OPERATOR_TOKEN });
      await check('GET', `/v1/rates${q}`, { token: store.key });
      await check('GET', `/v1/checkouts/${i}${q}`, { token: t });
      await check('POST', `/v1/checkouts/${i}/cancel`, { token: t });
      await check('GET', `/v1/stores/${i}`, { token: t });
      await check('POST', `/v1/stores/${i}/verify`, { token: OPERATOR_TOKEN, rawBody: '{}' });
      await check('GET', `/v1/quotes/${i}`, { token: t });
      await check('GET', `/v1/checkouts/${i}/qr.svg`, {});
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
}, 300_000);
