import { API_KEY_SCOPES, type ApiKeyScope } from '../../src';
import { activeStoreWithKey, type GatewayHarness, OPERATOR_TOKEN, startHarness } from '../support/gateway-harness';
import { type AppRoute, appRoutes, expressPathOf } from './app-routes';

/**
 * The auth matrix: every route of the real app (found by walking its router stack, so a new route cannot
 * escape) × every kind of caller, against the access its path prefix declares below. A route with no
 * declared access fails the test.
 */

/** Who may call a route. */
type Access =
  | { readonly kind: 'public' }
  /** The dashboard's sign-in form: public, and a wrong or missing token in the form is its 401. */
  | { readonly kind: 'sign-in' }
  /** The mall operator token only; store keys get 403. */
  | { readonly kind: 'operator' }
  /** The operator, or a key of the store the path names (any scope); another store's key gets 404. */
  | { readonly kind: 'operator-or-own-store' }
  /** Any valid credential (a store sees only its own resources: 404 for another store's). */
  | { readonly kind: 'any-credential' }
  /** A store key with `scope`; the operator gets 403; another store's resources are 404. */
  | { readonly kind: 'store'; readonly scope: ApiKeyScope }
  /** The operator dashboard: operator token (bearer) or its session; anything else is refused (401, or 303 to sign-in). */
  | { readonly kind: 'dashboard' }
  /** A carrier key (`csc_…`, scope shipments): no caller here holds one, so store keys and the operator get 403 (gateway/test/escrow covers the carrier). */
  | { readonly kind: 'carrier' }
  /** The store portal: its own session cookie only (no bearer credential opens it): 401, or 303 to its sign-in. */
  | { readonly kind: 'portal' };

interface AccessRule {
  /** `METHOD path-prefix`, or `* path-prefix` for every method; a trailing `$` matches that path only. The longest match wins. */
  readonly match: string;
  readonly access: Access;
  /** Why the rightful caller may get 404: the route names something the fixtures do not create. */
  readonly mayBeAbsent?: string;
}

const pub: Access = { kind: 'public' };
const operator: Access = { kind: 'operator' };
const dashboard: Access = { kind: 'dashboard' };
const store = (scope: ApiKeyScope): Access => ({ kind: 'store', scope });

/** Declared access, by path prefix (a path segment boundary: `/v1/stores` matches `/v1/stores/:id`, not `/v1/storesX`). */
const ACCESS_RULES: readonly AccessRule[] = [
  { match: 'GET /healthz', access: pub },
  { match: 'GET /readyz', access: pub },
  { match: 'GET /metrics', access: pub },
  { match: '* /openapi.json', access: pub },
  { match: '* /docs', access: pub },
  { match: 'GET /', access: pub },
  { match: '* /pay', access: pub },
  { match: '* /.well-known', access: pub },
  { match: 'GET /v1/checkouts/:id/qr.svg', access: pub },
  { match: '* /dashboard', access: dashboard },
  { match: '* /dashboard/assets', access: pub },
  { match: '* /dashboard/sign-in', access: { kind: 'sign-in' } },
  { match: '* /store', access: { kind: 'portal' } },
  { match: '* /store/assets', access: pub },
  { match: '* /store/sign-in', access: { kind: 'sign-in' } },
  // Invitation links: public, the one-time token in the path is the credential (unknown ones are 404).
  { match: '* /store/invitations', access: pub },
  // The authentication middleware of /v1 itself: an unknown /v1 path is 401 without a credential.
  { match: 'USE /v1', access: { kind: 'any-credential' } },
  { match: '* /v1/stores', access: operator },
  { match: 'GET /v1/stores/:id$', access: { kind: 'operator-or-own-store' } },
  { match: 'POST /v1/checkouts', access: store('checkouts:write') },
  { match: 'GET /v1/checkouts', access: store('checkouts:read') },
  { match: 'GET /v1/checkouts/:id/receipt$', access: store('checkouts:read'), mayBeAbsent: 'a receipt exists once the order is released' },
  { match: '* /v1/webhooks', access: store('webhooks:write') },
  { match: 'GET /v1/payouts', access: store('payouts:read') },
  { match: 'GET /v1/rates', access: { kind: 'any-credential' } },
  { match: 'GET /v1/quotes', access: { kind: 'any-credential' } },
  { match: 'GET /v1/fx/sources', access: operator },
  { match: '* /v1/voucher-batches', access: operator },
  { match: 'POST /v1/vouchers/activate$', access: store('pos') },
  { match: 'POST /v1/vouchers/balance$', access: pub },
  { match: '* /accept', access: pub },
  { match: '* /refunds', access: pub },
  { match: '* /v1/carriers', access: operator },
  { match: 'GET /v1/carriers$', access: { kind: 'any-credential' } },
  { match: '* /v1/escrow-holds', access: operator },
  { match: '* /v1/disputes', access: operator },
  { match: '* /v1/refunds', access: operator },
  { match: 'GET /v1/checkouts/:id/escrow$', access: store('checkouts:read'), mayBeAbsent: 'only an escrowed, released order has a hold' },
  { match: 'GET /v1/shipments', access: store('checkouts:read') },
  { match: 'POST /v1/shipments', access: { kind: 'carrier' } },
  { match: '* /v1/shopper-accounts', access: operator },
  // The shopper's own routes: the access code in the body is the credential (rate limited per IP).
  { match: 'POST /v1/shopper-accounts/:id/statement$', access: pub },
  { match: 'POST /v1/shopper-accounts/:id/top-ups$', access: pub },
  { match: 'POST /v1/shopper-accounts/:id/payments$', access: pub },
];

const underPrefix = (path: string, prefix: string): boolean => path === prefix || (prefix === '/' ? false : path.startsWith(`${prefix}/`));

function ruleOf(route: AppRoute): AccessRule | undefined {
  let best: { rule: AccessRule; length: number } | undefined;
  for (const rule of ACCESS_RULES) {
    const [method, prefix] = rule.match.split(' ') as [string, string];
    if (method !== '*' && method !== route.method) continue;
    if (prefix.endsWith('$') ? route.path !== prefix.slice(0, -1) : !underPrefix(route.path, prefix)) continue;
    if (!best || prefix.length > best.length) best = { rule, length: prefix.length };
  }
  return best?.rule;
}

const accessOf = (route: AppRoute): Access | undefined => ruleOf(route)?.access;

type Caller = 'no key' | 'garbage key' | "another store's key" | 'key missing the scope' | 'operator token' | 'right store key';
/** The rightful caller comes last: it may cancel or delete the route's resource. */
const CALLERS: readonly Caller[] = ['no key', 'garbage key', "another store's key", 'key missing the scope', 'operator token', 'right store key'];

/** What a caller must get: an exact status, or `authorized` (past authentication and authorization: neither 401 nor 403, never 5xx). */
type Expected = { readonly answered: true } | { readonly status: number } | { readonly authorized: true; readonly notFound?: 'forbidden' } | { readonly refusedDashboard: true };

const authorized: Expected = { authorized: true };
const ownedAuthorized: Expected = { authorized: true, notFound: 'forbidden' };

/** `ownsResource`: the path names a resource of store A (another store must get 404); `allExist`: everything it names exists. */
function expectedFor(access: Access, caller: Caller, ownsResource: boolean, allExist: boolean): Expected {
  const rightful = ownsResource && allExist ? ownedAuthorized : authorized;
  switch (access.kind) {
    case 'public':
      return authorized;
    case 'sign-in':
      return { answered: true };
    case 'dashboard':
      return caller === 'operator token' ? authorized : { refusedDashboard: true };
    case 'portal':
      return { refusedDashboard: true };
    case 'operator':
      switch (caller) {
        case 'no key':
        case 'garbage key':
          return { status: 401 };
        case 'operator token':
          return authorized;
        case "another store's key":
        case 'key missing the scope':
        case 'right store key':
          return { status: 403 };
      }
    // eslint-disable-next-line no-fallthrough
    case 'operator-or-own-store':
      switch (caller) {
        case 'no key':
        case 'garbage key':
          return { status: 401 };
        case "another store's key":
          return { status: 404 };
        case 'operator token':
        case 'key missing the scope':
        case 'right store key':
          return rightful;
      }
    // eslint-disable-next-line no-fallthrough
    case 'any-credential':
      switch (caller) {
        case 'no key':
        case 'garbage key':
          return { status: 401 };
        case "another store's key":
          return ownsResource ? { status: 404 } : authorized;
        case 'operator token':
        case 'key missing the scope':
        case 'right store key':
          return rightful;
      }
    // eslint-disable-next-line no-fallthrough
    case 'store':
      switch (caller) {
        case 'no key':
        case 'garbage key':
          return { status: 401 };
        case "another store's key":
          return ownsResource ? { status: 404 } : authorized;
        case 'key missing the scope':
        case 'operator token':
          return { status: 403 };
        case 'right store key':
          return rightful;
      }
    // eslint-disable-next-line no-fallthrough
    case 'carrier':
      switch (caller) {
        case 'no key':
        case 'garbage key':
          return { status: 401 };
        case "another store's key":
        case 'key missing the scope':
        case 'operator token':
        case 'right store key':
          return { status: 403 };
      }
  }
}

let h: GatewayHarness;
let storeA: string;
/** Store A's keys: one with every scope, and one lacking each scope in turn. */
let fullKeyA: string;
const keyLacking = new Map<ApiKeyScope, string>();
let fullKeyB: string;
/** The store operator-only routes act on (suspend, verify, revoke keys), so store A stays active. */
let storeV: string;
let routes: AppRoute[];

beforeAll(async () => {
  h = await startHarness({
    rateLimits: { key: 1_000_000, operator: 1_000_000, ip: 1_000_000 },
    env: { WEBHOOK_ALLOW_PRIVATE: 'true' },
  });
  const a = await activeStoreWithKey(h, [...API_KEY_SCOPES]);
  storeA = a.storeId;
  fullKeyA = a.key;
  for (const scope of API_KEY_SCOPES) {
    const res = await h.request('POST', `/v1/stores/${storeA}/api-keys`, { token: OPERATOR_TOKEN, body: { scopes: API_KEY_SCOPES.filter((s) => s !== scope) } });
    if (res.status !== 201) throw new Error(`api key ${res.status} ${res.text}`);
    keyLacking.set(scope, res.body.key as string);
  }
  fullKeyB = (await activeStoreWithKey(h, [...API_KEY_SCOPES])).key;
  storeV = (await activeStoreWithKey(h, ['checkouts:read'])).storeId;
  routes = appRoutes(h.gateway.server);
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

/** Store A's resources for one route's path parameters, fresh per route (the right caller may cancel or delete them). */
async function paramsFor(route: AppRoute, access: Access): Promise<{ values: Record<string, string>; owned: boolean; allExist: boolean }> {
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const values: Record<string, string> = {};
  let owned = false;
  for (const name of names) {
    if (route.path.startsWith('/v1/stores/') && name === 'id') {
      values[name] = access.kind === 'operator-or-own-store' ? storeA : storeV;
      owned = access.kind === 'operator-or-own-store';
    } else if (route.path.startsWith('/v1/stores/') && name === 'keyId') {
      const key = await h.request('POST', `/v1/stores/${storeV}/api-keys`, { token: OPERATOR_TOKEN, body: { scopes: ['checkouts:read'] } });
      values[name] = key.body.id as string;
    } else if ((route.path.startsWith('/v1/checkouts/') || route.path.startsWith('/pay/')) && name === 'id') {
      const co = await h.request('POST', '/v1/checkouts', { token: fullKeyA, body: { orderId: `AM-${Math.random()}`, amount: '4980', currency: 'JPY' } });
      if (co.status !== 201) throw new Error(`checkout ${co.status} ${co.text}`);
      values[name] = co.body.id as string;
      owned = route.path.startsWith('/v1/');
    } else if (route.path.startsWith('/v1/quotes/') && name === 'id') {
      const co = await h.request('POST', '/v1/checkouts', { token: fullKeyA, body: { orderId: `AM-${Math.random()}`, amount: '4980', currency: 'JPY', asset: 'BTC' } });
      if (co.status !== 201) throw new Error(`checkout ${co.status} ${co.text}`);
      values[name] = co.body.payment.quoteId as string;
      owned = true;
    } else if (route.path.startsWith('/v1/webhooks/') && name === 'id') {
      const wh = await h.request('POST', '/v1/webhooks', { token: fullKeyA, body: { url: 'http://127.0.0.1:9/hook' } });
      if (wh.status !== 201) throw new Error(`webhook ${wh.status} ${wh.text}`);
      values[name] = wh.body.id as string;
      owned = true;
    } else {
      // A well-formed-looking value of nothing that exists (delivery ids, dashboard queue and job names).
      values[name] = `no-such-${name}`;
    }
  }
  // A route whose other parameters name nothing that exists may answer 404 to its rightful caller too.
  return { values, owned, allExist: names.every((n) => !values[n]!.startsWith('no-such-')) };
}

function tokenOf(caller: Caller, access: Access): string | undefined {
  switch (caller) {
    case 'no key':
      return undefined;
    case 'garbage key':
      return 'csk_garbage0000000000000000000000000000';
    case "another store's key":
      return fullKeyB;
    case 'key missing the scope':
      return access.kind === 'store' ? keyLacking.get(access.scope)! : keyLacking.get('checkouts:read')!;
    case 'operator token':
      return OPERATOR_TOKEN;
    case 'right store key':
      return fullKeyA;
  }
}

/** One request; an event stream (the hosted page's live status) is judged by its status line and closed. */
async function send(method: string, path: string, token: string | undefined, withBody: boolean): Promise<{ status: number; location: string; text: string }> {
  // The hosted page's forms are same-origin only: the browser's Origin is the public URL.
  const headers: Record<string, string> = { origin: 'https://pay.example.test' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (withBody) headers['content-type'] = 'application/json';
  const res = await fetch(`${h.url}${path}`, { method, headers, redirect: 'manual', signal: AbortSignal.timeout(15_000), ...(withBody ? { body: '{}' } : {}) });
  const location = res.headers.get('location') ?? '';
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, location, text: '(event stream)' };
  }
  return { status: res.status, location, text: await res.text() };
}

function verdict(expected: Expected, method: string, res: { status: number; location: string }): string | null {
  if (res.status >= 500) return `5xx`;
  if ('answered' in expected) return null;
  if ('status' in expected) return res.status === expected.status ? null : `expected ${expected.status}`;
  if ('refusedDashboard' in expected) {
    const toSignIn = res.status === 303 && res.location.includes('/sign-in');
    return res.status === 401 || toSignIn ? null : 'expected 401 or 303 to sign-in';
  }
  if (res.status === 401 || res.status === 403) return 'expected authorized (not 401/403)';
  // Signing out ends at the sign-in page; any other page sending the operator there refused them.
  if (method === 'GET' && res.status === 303 && res.location.includes('/sign-in')) return 'expected authorized (not sent to sign-in)';
  if (expected.notFound === 'forbidden' && res.status === 404) return "expected the caller's own resource to be found (not 404)";
  return null;
}


test('every route of the app has a declared access rule', () => {
  const undeclared = routes.filter((r) => accessOf(r) === undefined).map((r) => `${r.method} ${r.path}`);
  expect(undeclared).toEqual([]);
  expect(routes.length).toBeGreaterThan(20);
});

test('every /v1 route of the app is in /openapi.json, and every OpenAPI operation is a route', async () => {
  const doc = (await h.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${expressPathOf(path)}`)));
  const served = new Set(routes.filter((r) => r.method !== 'USE' && r.path.startsWith('/v1/')).map((r) => `${r.method} ${r.path}`));
  expect({ undocumented: [...served].filter((r) => !documented.has(r)), notServed: [...documented].filter((r) => !served.has(r)) }).toEqual({ undocumented: [], notServed: [] });
});

test('every route × every caller gets the class its access rule declares', async () => {
  const failures: string[] = [];
  let requests = 0;
  const byStatus = new Map<number, number>();
  for (const route of routes) {
    const access = accessOf(route);
    if (access === undefined) continue; // reported by the test above
    const { values, owned, allExist: fixturesExist } = await paramsFor(route, access);
    const allExist = fixturesExist && ruleOf(route)?.mayBeAbsent === undefined;
    let path = route.path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(values[name]!));
    if (route.method === 'USE') path = `${path}/no-such-route`;
    const method = route.method === 'USE' ? 'GET' : route.method;
    for (const caller of CALLERS) {
      const expected = expectedFor(access, caller, owned, allExist);
      const token = tokenOf(caller, access);
      const res = await send(method, path, token, ['POST', 'PUT', 'PATCH'].includes(method));
      requests += 1;
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      const wrong = verdict(expected, method, res);
      if (wrong !== null) failures.push(`${route.method} ${route.path} (${method} ${path}) as ${caller} [${access.kind}]: ${res.status}, ${wrong} — ${res.text.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
  }
  console.log(
    `auth matrix: ${routes.length} routes × ${CALLERS.length} callers = ${requests} requests; statuses ${[...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}; ${failures.length} wrong`,
  );
  expect(failures).toEqual([]);
}, 180_000);
