import fc from 'fast-check';
import { sql } from 'kysely';
import { API_KEY_SCOPES } from '../../src';
import { activeStoreWithKey, type GatewayHarness, OPERATOR_TOKEN, startHarness, storeBody } from '../support/gateway-harness';
import { appRoutes } from '../auth-matrix/app-routes';
import { arbitraryOf, boundaryValues, exampleOf, type JsonSchema, resolver } from './json-schema-values';

/**
 * The OpenAPI-driven fuzzer: for every operation `/openapi.json` publishes, malformed, oversized,
 * wrong-typed and boundary values for each path parameter, query parameter, header and body property
 * (derived from the operation's JSON Schemas), with the operation's credential and without. The figures:
 * 5xx answers (goal 0) and 4xx answers that changed the database (goal 0: row count and checksum of every
 * table, compared before and after each request). Bounded in time (`FUZZ_OPENAPI_SECONDS`, default 45).
 * Routes the app serves but `/openapi.json` does not describe (found on the router stack: undocumented
 * `/v1` routes, the hosted page, the dashboard) are fuzzed too, with what needs no schema: bad ids, query
 * junk, bodies that are not the document, random objects.
 */

const SECONDS = Number(process.env['FUZZ_OPENAPI_SECONDS'] ?? 45);
const SEED = Number(process.env['FUZZ_OPENAPI_SEED'] ?? 20261121);
/** Random fast-check samples per body / query schema, on top of the one-value-at-a-time cases. */
const RANDOM_SAMPLES = 25;

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required?: boolean;
  readonly schema?: JsonSchema;
}
interface Operation {
  readonly security?: readonly Record<string, unknown>[];
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly content?: Record<string, { readonly schema?: JsonSchema }> };
}
interface OpenApiDoc {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly schemas: Record<string, JsonSchema> };
}

/** One request the fuzzer sends. */
interface FuzzCase {
  readonly operation: string;
  readonly what: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** JSON text (or deliberately malformed text); undefined: no body. */
  readonly body: string | undefined;
}

let h: GatewayHarness;
let storeA: string;
let keyA: string;
/** Store operator-only operations act on (suspend, verify, keys), so store A stays usable. */
let storeV: string;
let doc: OpenApiDoc;

beforeAll(async () => {
  h = await startHarness({ rateLimits: { key: 10_000_000, operator: 10_000_000, ip: 10_000_000 }, env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
  const a = await activeStoreWithKey(h, [...API_KEY_SCOPES]);
  storeA = a.storeId;
  keyA = a.key;
  storeV = (await activeStoreWithKey(h, ['checkouts:read'])).storeId;
  doc = (await h.request('GET', '/openapi.json')).body as OpenApiDoc;
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

/** Row count and a checksum of every column (but `last_used_at`, which authentication touches) of every table. */
async function snapshot(tables: readonly string[]): Promise<string> {
  const row = await sql<Record<string, string>>`SELECT ${sql.join(
    tables.map(
      (t) =>
        sql`(SELECT count(*) || ':' || coalesce(md5(string_agg(md5((to_jsonb(x) - 'last_used_at')::text), '' ORDER BY md5((to_jsonb(x) - 'last_used_at')::text))), '') FROM ${sql.table(t)} x) AS ${sql.ref(t)}`,
    ),
  )}`.execute(h.runtime.db.kysely);
  return JSON.stringify(row.rows[0]);
}

/** Valid bodies per request schema, where the schema alone cannot say (wallet keys, IBANs). */
function validBodyOf(schemaRef: string | undefined, schema: JsonSchema, resolve: (s: JsonSchema | undefined) => JsonSchema): Record<string, unknown> {
  switch (schemaRef?.replace('#/components/schemas/', '')) {
    case 'CreateStoreRequest':
      return storeBody();
    case 'CreateCheckoutRequest':
      return { orderId: 'F-1', amount: '4980', currency: 'JPY', asset: 'BTC' };
    case 'CreateApiKeyRequest':
      return { scopes: ['checkouts:read'] };
    case 'StorePolicyInput':
      return { speedPolicy: 'medium_speed' };
    default:
      return exampleOf(schema, resolve) as Record<string, unknown>;
  }
}

/** Path parameter values that name real resources of the caller. */
async function validPathParams(path: string, operation: Operation): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  const operatorOnly = (operation.security ?? []).every((s) => 'operatorToken' in s);
  for (const p of operation.parameters ?? []) {
    if (p.in !== 'path') continue;
    if (path.startsWith('/v1/stores/') && p.name === 'id') values[p.name] = operatorOnly ? storeV : storeA;
    else if (p.name === 'keyId') {
      values[p.name] = (await h.request('POST', `/v1/stores/${storeV}/api-keys`, { token: OPERATOR_TOKEN, body: { scopes: ['checkouts:read'] } })).body.id as string;
    } else if (path.startsWith('/v1/checkouts/') || path.startsWith('/v1/quotes/')) {
      const co = await h.request('POST', '/v1/checkouts', { token: keyA, body: { orderId: `F-${Math.random()}`, amount: '4980', currency: 'JPY', asset: 'BTC' } });
      if (co.status !== 201) throw new Error(`checkout ${co.status} ${co.text}`);
      values[p.name] = path.startsWith('/v1/quotes/') ? (co.body.payment.quoteId as string) : (co.body.id as string);
    } else if (path.startsWith('/v1/webhooks/') && p.name === 'id') {
      const wh = await h.request('POST', '/v1/webhooks', { token: keyA, body: { url: 'http://127.0.0.1:9/hook' } });
      if (wh.status !== 201) throw new Error(`webhook ${wh.status} ${wh.text}`);
      values[p.name] = wh.body.id as string;
    } else values[p.name] = exampleOf(p.schema ?? {}, (s) => s ?? {}) as string;
  }
  return values;
}

/** Path parameter values that are not ids: wrong prefix, length, alphabet, encoding, size. */
const BAD_IDS = [
  'x',
  '0',
  '-1',
  'null',
  'undefined',
  'st_',
  'co_01ARZ3NDEKTSV4RRFFQ69G5FA',
  'co_01ARZ3NDEKTSV4RRFFQ69G5FAVV',
  'co_01arz3ndektsv4rrffq69g5fav',
  'co_01ARZ3NDEKTSV4RRFFQ69G5FAU',
  'co_00000000000000000000000000',
  'co_ZZZZZZZZZZZZZZZZZZZZZZZZZZ',
  'x'.repeat(10_000),
  '😀',
  '%00',
  '%ZZ',
  '..%2F..%2F',
  '%2F',
  '\u0000',
  'co_\ud800',
  '1e999',
  "'; select 1; --",
];

/** Percent-encodes `v`; a lone surrogate (not encodable) goes as the invalid UTF-8 bytes it would be in CESU-8. */
function encode(v: string): string {
  return Array.from(v)
    .map((ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        const code = ch.charCodeAt(0);
        return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      }
    })
    .join('');
}

function buildCases(pathTemplate: string, method: string, op: Operation, resolve: (s: JsonSchema | undefined) => JsonSchema, valid: Record<string, string>): FuzzCase[] {
  const operation = `${method.toUpperCase()} ${pathTemplate}`;
  const security = op.security ?? [];
  const token = security.length === 0 ? undefined : security.some((s) => 'apiKey' in s) ? keyA : OPERATOR_TOKEN;
  const params = op.parameters ?? [];
  const content = op.requestBody?.content?.['application/json'];
  const bodySchema = content?.schema ? resolve(content.schema) : undefined;
  const validBody = bodySchema ? validBodyOf(content?.schema?.$ref, bodySchema, resolve) : undefined;
  const pathWith = (overrides: Record<string, string>) =>
    pathTemplate.replace(/\{([^}]+)\}/g, (_m, name: string) => encode(overrides[name] ?? valid[name] ?? 'x').replace(/%25/g, '%'));
  const cases: FuzzCase[] = [];
  const add = (what: string, parts: { path?: string; query?: string; headers?: Record<string, string>; body?: string | undefined }) => {
    const base = { operation, method: method.toUpperCase(), path: `${parts.path ?? pathWith({})}${parts.query ?? ''}` };
    const headers = { ...(validBody !== undefined || parts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...parts.headers };
    const body = 'body' in parts ? parts.body : validBody === undefined ? undefined : JSON.stringify(validBody);
    const withAuth = token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` };
    cases.push({ ...base, what, headers: withAuth, body });
    if (token !== undefined) cases.push({ ...base, what: `${what} (no credential)`, headers, body });
  };

  add('valid request', {});
  // An idempotency key replayed with another body must be refused without writing.
  if (params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key') && validBody !== undefined) {
    const reused = { 'Idempotency-Key': `fuzz-${pathTemplate}-${method}` };
    add('Idempotency-Key first use', { headers: reused });
    for (const amount of ['1', '-1', '4980.0', '1e3', '99999999999999999999']) {
      add(`Idempotency-Key replayed with amount ${amount}`, { headers: reused, body: JSON.stringify({ ...validBody, amount }) });
    }
  }
  for (const p of params) {
    const values = p.in === 'path' ? BAD_IDS : boundaryValues(p.schema ?? {}, resolve).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? ''));
    for (const v of values) {
      if (p.in === 'path') add(`path ${p.name}=${v.slice(0, 40)}`, { path: pathWith({ [p.name]: v }) });
      else if (p.in === 'query') add(`query ${p.name}=${v.slice(0, 40)}`, { query: `?${encode(p.name)}=${encode(v)}` });
      else if (p.in === 'header') {
        // Header values must be bytes (fetch refuses anything else); the rest is sent as its UTF-8 bytes read as latin1.
        const bytes = Buffer.from(v, 'utf8').toString('latin1').replace(/[\r\n\u0000]/g, '');
        add(`header ${p.name}=${bytes.slice(0, 40)}`, { headers: { [p.name]: bytes } });
      }
    }
    if (p.in === 'query') {
      add(`query ${p.name} repeated`, { query: `?${p.name}=a&${p.name}=b` });
      add(`query ${p.name}[] nested`, { query: `?${p.name}[a][b]=1` });
    }
  }
  if (params.some((p) => p.in === 'query')) {
    for (const sample of fc.sample(fc.dictionary(fc.constantFrom(...params.filter((p) => p.in === 'query').map((p) => p.name), 'junk'), fc.string({ unit: 'binary' }), { maxKeys: 4 }), { numRuns: RANDOM_SAMPLES, seed: SEED })) {
      add(`random query ${JSON.stringify(sample).slice(0, 60)}`, { query: `?${new URLSearchParams(sample).toString()}` });
    }
  }
  if (bodySchema && validBody !== undefined) {
    const props = Object.entries(bodySchema.properties ?? {});
    for (const [name, propSchema] of props) {
      for (const v of boundaryValues(propSchema, resolve)) add(`body.${name}=${JSON.stringify(v)?.slice(0, 40)}`, { body: JSON.stringify({ ...validBody, [name]: v }) });
      // One level down: each property of a nested object (payout account, policy, wallets).
      const inner = resolve(propSchema);
      const innerValid = validBody[name];
      if (inner.properties && typeof innerValid === 'object' && innerValid !== null && !Array.isArray(innerValid)) {
        for (const [innerName, innerSchema] of Object.entries(inner.properties)) {
          for (const v of boundaryValues(innerSchema, resolve).slice(0, 30)) {
            add(`body.${name}.${innerName}=${JSON.stringify(v)?.slice(0, 40)}`, { body: JSON.stringify({ ...validBody, [name]: { ...innerValid, [innerName]: v } }) });
          }
        }
      }
      // Huge numbers and exponents where JSON.stringify cannot write them.
      for (const raw of ['1e400', '-1e400', '123456789012345678901234567890123456789', '-0', '0.0000000000000000000000001']) {
        add(`body.${name}=${raw} (raw)`, { body: JSON.stringify({ ...validBody, [name]: '__RAW__' }).replace('"__RAW__"', raw) });
      }
    }
    for (const name of bodySchema.required ?? []) {
      add(`missing required ${name}`, { body: JSON.stringify(Object.fromEntries(Object.entries(validBody).filter(([k]) => k !== name))) });
    }
    add('extra field', { body: JSON.stringify({ ...validBody, unexpectedField: 'x' }) });
    add('__proto__ field', { body: JSON.stringify(validBody).replace(/^\{/, '{"__proto__":{"isAdmin":true},') });
    add('duplicate keys', { body: JSON.stringify(validBody).replace(/^\{/, '{"amount":"1",') });
    for (const sample of fc.sample(arbitraryOf(bodySchema, resolve), { numRuns: RANDOM_SAMPLES, seed: SEED })) {
      add(`random body ${JSON.stringify(sample)?.slice(0, 60)}`, { body: JSON.stringify(sample) ?? 'null' });
    }
  }
  // Whatever the operation (fetch sends no body with GET), bodies that are not the right document at all.
  if (method.toUpperCase() === 'GET') return cases;
  for (const [what, body] of [
    ['body null', 'null'],
    ['body array', '[]'],
    ['body string', '"x"'],
    ['body number', '42'],
    ['body truncated JSON', '{"a":'],
    ['body not JSON', 'not json'],
    ['body empty', ''],
    ['body 1,000-deep array', `${'['.repeat(1_000)}${']'.repeat(1_000)}`],
    ['body 150 kB (over the limit)', JSON.stringify({ x: 'x'.repeat(150_000) })],
    ['body with a lone surrogate escape', '{"orderId":"\\ud800"}'],
  ] as const) {
    add(what, { body });
  }
  add('wrong content type', { headers: { 'content-type': 'text/plain' } });
  add('form content type', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2' });
  return cases;
}

test('every OpenAPI operation: no 5xx, and no 4xx changes the database', async () => {
  const resolve = resolver(doc.components.schemas);
  const tables = (
    await sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(
      h.runtime.db.kysely,
    )
  )
    .rows.map((r) => r.table_name)
    // `store_wallet_indexes` counts the derivation indexes gateways have LEASED (WalletIndexLeases), not the
    // addresses handed out: a refused request may take an index from a lease that then refills, and gives
    // it back unused to the next checkout. An address handed out is a `checkouts` row, which is checked.
    .filter((table) => table !== 'store_wallet_indexes');

  const perOperation: FuzzCase[][] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      perOperation.push(buildCases(path, method, op, resolve, await validPathParams(path, op)));
    }
  }
  const documented = new Set(Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)));
  const undocumented: string[] = [];
  for (const route of appRoutes(h.gateway.server)) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    if (route.method === 'USE' || documented.has(`${route.method} ${path}`)) continue;
    undocumented.push(`${route.method} ${path}`);
    const op: Operation = {
      security: path.startsWith('/v1/fx/') || path.startsWith('/dashboard') ? [{ operatorToken: [] }] : path.startsWith('/v1/') ? [{ apiKey: [] }] : [],
      parameters: [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1]!, in: 'path' as const, required: true, schema: { type: 'string' } })),
      ...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { requestBody: { content: { 'application/json': { schema: { type: 'object' } } } } } : {}),
    };
    perOperation.push(buildCases(path, route.method.toLowerCase(), op, resolve, await validPathParams(path, op)));
  }
  // Round robin over the operations, so every one is fuzzed even when time runs out.
  const queue: FuzzCase[] = [];
  for (let i = 0; perOperation.some((c) => i < c.length); i += 1) for (const cases of perOperation) if (i < cases.length) queue.push(cases[i]!);

  const deadline = Date.now() + SECONDS * 1000;
  const byClass = new Map<string, number>();
  const byOperation = new Map<string, number>();
  const serverErrors: string[] = [];
  const stateChanging: string[] = [];
  let sent = 0;
  /** Successful requests that wrote: proof the snapshot sees writes at all. */
  let writingSuccesses = 0;
  let before = await snapshot(tables);
  for (const c of queue) {
    if (Date.now() > deadline) break;
    const res = await fetch(`${h.url}${c.path}`, { method: c.method, headers: c.headers, redirect: 'manual', signal: AbortSignal.timeout(15_000), ...(c.body !== undefined ? { body: c.body } : {}) });
    // The hosted page's live status is an endless event stream: its status line is the answer.
    const text = (res.headers.get('content-type') ?? '').startsWith('text/event-stream') ? await (res.body?.cancel() ?? Promise.resolve()).then(() => '(event stream)') : await res.text();
    sent += 1;
    byOperation.set(c.operation, (byOperation.get(c.operation) ?? 0) + 1);
    const statusClass = `${Math.floor(res.status / 100)}xx`;
    byClass.set(statusClass, (byClass.get(statusClass) ?? 0) + 1);
    const after = await snapshot(tables);
    const described = () => `${c.method} ${c.path.slice(0, 200)} [${c.what}] → ${res.status} ${text.slice(0, 300)}; body: ${c.body?.slice(0, 300)}`;
    if (res.status >= 500) serverErrors.push(described());
    if (res.status >= 400 && res.status < 500 && after !== before) {
      const b = JSON.parse(before) as Record<string, string>;
      const a = JSON.parse(after) as Record<string, string>;
      stateChanging.push(`${described()}; changed: ${tables.filter((t) => a[t] !== b[t]).join(', ')}`);
    }
    if (res.status < 300 && after !== before) writingSuccesses += 1;
    before = after;
  }

  console.log(
    [
      `OpenAPI fuzzer (seed ${SEED}, ${SECONDS} s budget): ${sent} of ${queue.length} requests sent over ${perOperation.length} operations ` +
        `(${perOperation.length - undocumented.length} from /openapi.json, ${undocumented.length} served but undocumented); ` +
        `by class ${[...byClass].sort().map(([k, n]) => `${k} ${n}`).join(', ')}; 5xx: ${serverErrors.length}; state-changing 4xx: ${stateChanging.length} (2xx that wrote: ${writingSuccesses})`,
      `served but not in /openapi.json: ${undocumented.join(', ')}`,
      `per operation: ${[...byOperation].map(([k, n]) => `${k} ${n}`).join('; ')}`,
      ...serverErrors.slice(0, 20).map((e) => `5xx: ${e}`),
      ...stateChanging.slice(0, 20).map((e) => `state-changing 4xx: ${e}`),
    ].join('\n'),
  );
  expect(byOperation.size).toBe(perOperation.length);
  expect(writingSuccesses).toBeGreaterThan(0);
  expect(serverErrors).toEqual([]);
  expect(stateChanging).toEqual([]);
}, 180_000);
