import { publishCheckoutUpdate } from '@coinstile/platform';
import { sql } from 'kysely';
import { SseClient } from '../pages/support/pages-harness';
import { activeStoreWithKey, type GatewayHarness, OPERATOR_TOKEN, startHarness } from '../support/gateway-harness';
import { invitationPath, inviteAndActivate, PORTAL_COOKIE, PortalClient } from './support/portal-client';
import { openCheckout, payAndRelease } from './support/paid-order';

/**
 * The store portal over HTTP on a real PostgreSQL and redis-server: invitations, sign-in and its lockout,
 * session cookies and fixation, CSRF, roles, and one store never seeing another's data.
 */
const PASSWORD = 'correct horse battery staple';

let h: GatewayHarness;
let storeA: { storeId: string; key: string };
let storeB: { storeId: string; key: string };
let releasedA: string;

beforeAll(async () => {
  h = await startHarness({
    env: { WEBHOOK_ALLOW_PRIVATE: 'true' },
    rateLimits: { key: 1_000_000, operator: 1_000_000, ip: 1_000_000 },
    // The inbox's periodic re-read is out of the way: the live test sees what the update hub brings.
    portal: { scryptCost: { log2N: 10, r: 8, p: 1 }, maxFailuresPerAccount: 3, maxFailuresPerIp: 1_000, inboxResyncMs: 60_000 },
  });
  storeA = await activeStoreWithKey(h, ['checkouts:read', 'checkouts:write', 'webhooks:write']);
  storeB = await activeStoreWithKey(h, ['checkouts:read', 'checkouts:write', 'webhooks:write']);
  await inviteAndActivate(h, storeA.storeId, 'owner-a@example.test', 'owner', PASSWORD);
  await inviteAndActivate(h, storeB.storeId, 'owner-b@example.test', 'owner', PASSWORD);
  releasedA = await openCheckout(h, storeA.key, 'A-1', [{ name: 'Sencha 100 g', quantity: 2 }]);
  await payAndRelease(h, releasedA as never);
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const count = async (table: 'api_keys' | 'store_users' | 'webhook_endpoints' | 'store_user_sessions') =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(h.runtime.db.kysely)).rows[0]?.n);

describe('invitations', () => {
  it('lets the operator invite by API (store keys get 403); the link sets a password once', async () => {
    const refused = await h.request('POST', `/v1/stores/${storeA.storeId}/users`, { token: storeA.key, body: { email: 'x@example.test', role: 'staff' } });
    expect(refused.status).toBe(403);
    const bad = await h.request('POST', `/v1/stores/${storeA.storeId}/users`, { token: OPERATOR_TOKEN, body: { email: 'not an email', role: 'staff' } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_email']);

    const invited = await h.request('POST', `/v1/stores/${storeA.storeId}/users`, { token: OPERATOR_TOKEN, body: { email: ' New.Staff@Example.test ', role: 'staff' } });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ email: 'new.staff@example.test', role: 'staff', status: 'invited', storeId: storeA.storeId });
    expect(invited.body.invitationUrl).toMatch(/^https:\/\/pay\.example\.test\/store\/invitations\/[A-Za-z0-9_-]{43}$/);
    const path = invitationPath(invited.body.invitationUrl);
    const browser = new PortalClient(h.url);

    const page = await browser.get(path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('new.staff@example.test');
    expect((await browser.request('POST', path, { password: PASSWORD, confirm: `${PASSWORD}!` })).status).toBe(400);
    expect((await browser.request('POST', path, { password: 'short', confirm: 'short' })).status).toBe(400);
    const accepted = await browser.request('POST', path, { password: PASSWORD, confirm: PASSWORD });
    expect([accepted.status, accepted.location]).toEqual([303, '/store/sign-in?done=invitationAccepted&lang=en']);
    expect((await browser.get(path)).status).toBe(404);
    expect((await browser.request('POST', path, { password: 'another password', confirm: 'another password' })).status).toBe(404);

    const again = await h.request('POST', `/v1/stores/${storeB.storeId}/users`, { token: OPERATOR_TOKEN, body: { email: 'new.staff@example.test', role: 'owner' } });
    expect([again.status, again.body.error.code]).toEqual([409, 'store_user_exists']);
    const listed = await h.request('GET', `/v1/stores/${storeA.storeId}/users`, { token: OPERATOR_TOKEN });
    expect(listed.body.data.map((u: { email: string; status: string }) => `${u.email} ${u.status}`)).toEqual(['owner-a@example.test active', 'new.staff@example.test active']);
    expect(JSON.stringify(listed.body)).not.toMatch(/scrypt|invitation_hash|password/);
    const unknown = await h.request('GET', '/v1/stores/st_01M7YRW1KH7CB9ATRF9X6DT0SG/users', { token: OPERATOR_TOKEN });
    expect(unknown.status).toBe(404);
    const unknownInvite = await h.request('POST', '/v1/stores/st_01M7YRW1KH7CB9ATRF9X6DT0SG/users', { token: OPERATOR_TOKEN, body: { email: 'ghost@example.test', role: 'owner' } });
    expect(unknownInvite.status).toBe(404);
  });
});

describe('sign-in and sessions', () => {
  it('sets an HttpOnly, SameSite=Strict, Secure (https public URL) cookie scoped to /store, and signs out', async () => {
    const browser = new PortalClient(h.url);
    const res = await browser.signIn('owner-a@example.test', PASSWORD);
    expect(res.setCookies).toHaveLength(1);
    expect(res.setCookies[0]).toMatch(new RegExp(`^${PORTAL_COOKIE}=[A-Za-z0-9_-]{43}; Path=/store; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$`));
    const inbox = await browser.get('/store/orders');
    expect(inbox.status).toBe(200);
    expect(inbox.text).toContain('A-1');

    const token = await browser.csrfToken();
    const out = await browser.request('POST', '/store/sign-out', { _csrf: token });
    expect(out.status).toBe(303);
    expect(browser.cookie).toBeUndefined();
    const after = await browser.get('/store/orders');
    expect([after.status, after.location]).toEqual([303, '/store/sign-in?lang=en']);
  });

  it('never adopts a session id planted before sign-in, and rotates the id of a signed-in browser', async () => {
    const browser = new PortalClient(h.url);
    const planted = 'A'.repeat(43);
    browser.cookie = planted;
    await browser.signIn('owner-a@example.test', PASSWORD);
    expect(browser.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(browser.cookie).not.toBe(planted);
    const attacker = new PortalClient(h.url);
    attacker.cookie = planted;
    expect((await attacker.get('/store/orders')).status).toBe(303);

    const first = browser.cookie!;
    await browser.signIn('owner-a@example.test', PASSWORD);
    expect(browser.cookie).not.toBe(first);
    const stale = new PortalClient(h.url);
    stale.cookie = first;
    expect((await stale.get('/store/orders')).status).toBe(303);
    expect((await browser.get('/store/orders')).status).toBe(200);
  });

  it('stores only hashes of session ids', async () => {
    const browser = new PortalClient(h.url);
    await browser.signIn('owner-a@example.test', PASSWORD);
    const rows = await h.runtime.db.kysely.selectFrom('store_user_sessions').select('id_hash').execute();
    expect(rows.some((r) => r.id_hash === browser.cookie)).toBe(false);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.id_hash))).toBe(true);
  });

  it('locks an account out after repeated failures, even for the right password, without revealing whether it exists', async () => {
    const browser = new PortalClient(h.url);
    await inviteAndActivate(h, storeA.storeId, 'locked@example.test', 'staff', PASSWORD);
    for (let i = 0; i < 3; i++) expect((await browser.request('POST', '/store/sign-in', { email: 'locked@example.test', password: 'wrong password!' })).status).toBe(401);
    const locked = await browser.request('POST', '/store/sign-in', { email: 'Locked@example.test', password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('Too many failed sign-ins');
    expect(browser.cookie).toBeUndefined();
    for (let i = 0; i < 3; i++) expect((await browser.request('POST', '/store/sign-in', { email: 'nobody@example.test', password: 'wrong password!' })).status).toBe(401);
    expect((await browser.request('POST', '/store/sign-in', { email: 'nobody@example.test', password: 'wrong password!' })).status).toBe(429);
    // Another account from the same client is not locked.
    await browser.signIn('owner-a@example.test', PASSWORD);
  });

  it('refuses a cross-origin sign-in form', async () => {
    const res = await new PortalClient(h.url).request('POST', '/store/sign-in', { email: 'owner-a@example.test', password: PASSWORD }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
  });
});

describe('CSRF', () => {
  it('refuses state-changing forms without the session token or with a wrong one, changing nothing', async () => {
    const browser = new PortalClient(h.url);
    await browser.signIn('owner-a@example.test', PASSWORD);
    const token = await browser.csrfToken();
    const keysBefore = await count('api_keys');
    const missing = await browser.request('POST', '/store/api-keys', { scopes: 'checkouts:read' });
    const wrong = await browser.request('POST', '/store/api-keys', { scopes: 'checkouts:read', _csrf: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` });
    const otherSession = new PortalClient(h.url);
    await otherSession.signIn('owner-a@example.test', PASSWORD);
    const foreign = await browser.request('POST', '/store/api-keys', { scopes: 'checkouts:read', _csrf: await otherSession.csrfToken() });
    expect([missing.status, wrong.status, foreign.status]).toEqual([403, 403, 403]);
    expect(await count('api_keys')).toBe(keysBefore);
    const usersBefore = await count('store_users');
    expect((await browser.request('POST', '/store/users', { email: 'csrf@example.test', role: 'owner' })).status).toBe(403);
    expect(await count('store_users')).toBe(usersBefore);

    const created = await browser.request('POST', '/store/api-keys', { scopes: ['checkouts:read', 'webhooks:write'], _csrf: token });
    expect(created.status).toBe(201);
    const key = /data-testid="revealed-value">(csk_[A-Za-z0-9_-]+)</.exec(created.text)?.[1];
    expect(key).toBeDefined();
    expect(await count('api_keys')).toBe(keysBefore + 1);
    // The key works against the API and is shown nowhere again.
    expect((await h.request('GET', '/v1/webhooks', { token: key! })).status).toBe(200);
    expect((await browser.get('/store/integration')).text).not.toContain(key!);
  });
});

describe('roles', () => {
  it('lets staff see and open orders but not payouts, integration or users (403, and hidden)', async () => {
    const owner = new PortalClient(h.url);
    await owner.signIn('owner-a@example.test', PASSWORD);
    const invited = await owner.request('POST', '/store/users', { email: 'staff-a@example.test', role: 'staff', _csrf: await owner.csrfToken() });
    expect(invited.status).toBe(201);
    const link = /data-testid="invitation-url">([^<]+)</.exec(invited.text)?.[1];
    expect(link).toBeDefined();
    const staff = new PortalClient(h.url);
    expect((await staff.request('POST', invitationPath(link!), { password: PASSWORD, confirm: PASSWORD })).status).toBe(303);
    await staff.signIn('staff-a@example.test', PASSWORD);

    const inbox = await staff.get('/store/orders');
    expect(inbox.status).toBe(200);
    expect(inbox.text).toContain('data-testid="nav-orders"');
    expect(inbox.text).not.toMatch(/nav-payouts|nav-integration|nav-users/);
    expect((await staff.get(`/store/orders/${releasedA}`)).status).toBe(200);
    for (const path of ['/store/payouts', '/store/payouts/statement?month=2026-11', '/store/payouts/statement.csv?month=2026-11', '/store/integration', '/store/users']) {
      const res = await staff.get(path);
      expect([path, res.status]).toEqual([path, 403]);
      expect(res.text).not.toContain('csk_');
    }
    const token = await staff.csrfToken();
    const keysBefore = await count('api_keys');
    expect((await staff.request('POST', '/store/api-keys', { scopes: 'checkouts:read', _csrf: token })).status).toBe(403);
    expect((await staff.request('POST', '/store/users', { email: 'sneaky@example.test', role: 'owner', _csrf: token })).status).toBe(403);
    expect(await count('api_keys')).toBe(keysBefore);
  });
});

describe('store isolation', () => {
  it("gives the owner of store B a 404 for everything of store A, and lists nothing of A", async () => {
    const ownerA = new PortalClient(h.url);
    await ownerA.signIn('owner-a@example.test', PASSWORD);
    const tokenA = await ownerA.csrfToken();
    const webhook = await ownerA.request('POST', '/store/webhooks', { url: 'http://127.0.0.1:9/hook', eventTypes: 'order.released', _csrf: tokenA });
    expect(webhook.status).toBe(201);
    const webhookId = /data-webhook-id="(wh_[0-9A-Z]{26})"/.exec(webhook.text)?.[1];
    const keyId = /data-key-id="(key_[0-9A-Z]{26})"/.exec((await ownerA.get('/store/integration')).text)?.[1];
    const staffId = /data-user-id="(su_[0-9A-Z]{26})" data-status="active"/.exec((await ownerA.get('/store/users')).text)?.[1];
    expect([webhookId, keyId, staffId].every((id) => id !== undefined)).toBe(true);

    const ownerB = new PortalClient(h.url);
    await ownerB.signIn('owner-b@example.test', PASSWORD);
    const tokenB = await ownerB.csrfToken();
    for (const path of [`/store/orders/${releasedA}`, `/store/webhooks/${webhookId}`]) expect([path, (await ownerB.get(path)).status]).toEqual([path, 404]);
    const posts: [string, Record<string, string>][] = [
      [`/store/api-keys/${keyId}/revoke`, {}],
      [`/store/webhooks/${webhookId}/test`, {}],
      [`/store/users/${staffId}/disable`, {}],
      [`/store/orders/${releasedA}/ship`, { carrierId: 'car_x', trackingNumber: '123' }],
    ];
    const deliveries = await count('api_keys');
    for (const [path, form] of posts) expect([path, (await ownerB.request('POST', path, { ...form, _csrf: tokenB })).status]).toEqual([path, 404]);
    expect(await count('api_keys')).toBe(deliveries);
    expect((await h.runtime.db.kysely.selectFrom('api_keys').select('revoked_at').where('id', '=', keyId!).executeTakeFirstOrThrow()).revoked_at).toBeNull();
    expect((await h.runtime.db.kysely.selectFrom('store_users').select('status').where('id', '=', staffId!).executeTakeFirstOrThrow()).status).toBe('active');

    const pages = await Promise.all(['/store/orders', '/store/payouts', '/store/integration', '/store/users'].map((p) => ownerB.get(p)));
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(page.text).not.toContain(releasedA);
      expect(page.text).not.toContain(webhookId!);
      expect(page.text).not.toContain('owner-a@example.test');
    }
    const csv = await ownerB.get('/store/payouts/statement.csv?month=' + new Date().toISOString().slice(0, 7));
    expect(csv.status).toBe(200);
    expect(csv.text).not.toContain(releasedA);
    const csvA = await ownerA.get('/store/payouts/statement.csv?month=' + new Date().toISOString().slice(0, 7));
    expect(csvA.text).toContain(releasedA);
  });

  it('answers malformed ids and forms with 4xx pages', async () => {
    const owner = new PortalClient(h.url);
    await owner.signIn('owner-a@example.test', PASSWORD);
    const token = await owner.csrfToken();
    expect((await owner.get('/store/orders/not-an-id')).status).toBe(400);
    expect((await owner.get('/store/orders?cursor=garbage')).status).toBe(400);
    expect((await owner.get('/store/payouts?status=nope')).status).toBe(400);
    expect((await owner.get('/store/payouts/statement?month=2026-13')).status).toBe(400);
    expect((await owner.request('POST', '/store/api-keys', { scopes: 'root', _csrf: token })).status).toBe(400);
    expect((await owner.request('POST', '/store/webhooks', { url: 'ftp://x', _csrf: token })).status).toBe(400);
    expect((await owner.request('POST', '/store/users', { email: 'x@example.test', role: 'admin', _csrf: token })).status).toBe(400);
  });
});

describe('shipping and cancelling', () => {
  it('lets staff cancel an escrowed order before acceptance (the hold is cancelled), and refuses bad tracking numbers', async () => {
    const checkoutId = await openCheckout(h, storeA.key, 'A-ESCROW', [{ name: 'Matcha 30 g', quantity: 1 }], true);
    await payAndRelease(h, checkoutId);
    const staff = new PortalClient(h.url);
    await inviteAndActivate(h, storeA.storeId, 'canceller@example.test', 'staff', PASSWORD);
    await staff.signIn('canceller@example.test', PASSWORD);
    const page = await staff.get(`/store/orders/${checkoutId}`);
    expect(page.text).toContain('data-testid="cancel-form"');
    const token = await staff.csrfToken(`/store/orders/${checkoutId}`);
    const carrierId = (await h.gateway.services.escrow.service.createCarrier({ code: 'sagawa', name: 'Sagawa Express' })).id;
    expect((await staff.request('POST', `/store/orders/${checkoutId}/ship`, { carrierId, trackingNumber: 'no spaces allowed', _csrf: token })).status).toBe(400);
    expect((await staff.request('POST', `/store/orders/${checkoutId}/cancel`, { reason: '', _csrf: token })).status).toBe(400);
    expect(await h.runtime.db.kysely.selectFrom('shipments').select('id').where('checkout_id', '=', checkoutId).execute()).toEqual([]);

    const cancelled = await staff.request('POST', `/store/orders/${checkoutId}/cancel`, { reason: 'Out of stock', _csrf: token });
    expect([cancelled.status, cancelled.location]).toEqual([303, `/store/orders/${checkoutId}?done=cancelled&lang=en`]);
    const hold = await h.runtime.db.kysely.selectFrom('escrow_holds').select('status').where('checkout_id', '=', checkoutId).executeTakeFirstOrThrow();
    expect(hold.status).toBe('cancelled');
    const after = await staff.get(`/store/orders/${checkoutId}?done=cancelled`);
    expect(after.text).toContain('Order cancelled.');
    expect(after.text).toContain('Cancelled (refunded)');
    expect(after.text).not.toContain('data-testid="cancel-form"');
    expect(after.text).not.toContain('data-testid="ship-form"');
  });
});

describe('live inbox stream', () => {
  const orderEvents = (client: SseClient) => client.events.filter((e) => e.event === 'order').map((e) => ({ id: e.id, ...(JSON.parse(e.data) as { checkoutId: string; html: string }) }));

  it('sends a release promptly through the update hub (no message announces the release itself), once, resumable by Last-Event-ID', async () => {
    const owner = new PortalClient(h.url);
    await owner.signIn('owner-a@example.test', PASSWORD);
    const cookie = { cookie: `${PORTAL_COOKIE}=${owner.cookie}` };
    const inbox = await owner.get('/store/orders');
    const streamPath = /data-inbox-stream="([^"]+)"/.exec(inbox.text)?.[1]?.replace(/&amp;/g, '&');
    expect(streamPath).toMatch(/^\/store\/orders\/events\?after=[A-Za-z0-9_-]+&lang=en$/);
    const checkoutId = await openCheckout(h, storeA.key, 'A-LIVE', [{ name: 'Hojicha', quantity: 1 }]);
    const stream = await SseClient.open(`${h.url}${streamPath}`, cookie);
    try {
      expect(stream.status).toBe(200);
      // The stream watches the store's open checkouts through the update hub.
      const deadline = Date.now() + 10_000;
      while (Number(((await h.runtime.redis.pubsub('NUMSUB', `coinstile:checkout-updates:${checkoutId}`)) as [string, number])[1]) === 0) {
        if (Date.now() > deadline) throw new Error('the stream did not watch the checkout');
        await new Promise((r) => setTimeout(r, 25));
      }
      const paidAt = Date.now();
      await payAndRelease(h, checkoutId);
      // The settlement was heard; the release that follows it is looked for again shortly after.
      await stream.waitFor((c) => orderEvents(c).length > 0, 4_000);
      expect(Date.now() - paidAt).toBeLessThan(4_000);
      expect(stream.retry).toBe(3_000);
      const [event] = orderEvents(stream);
      expect(event?.checkoutId).toBe(checkoutId);
      expect(event?.html).toContain('A-LIVE');
      expect(event?.html).toMatch(/^<tr data-testid="order-row"/);
      await publishCheckoutUpdate(h.runtime.redis, checkoutId);
      await new Promise((r) => setTimeout(r, 300));
      expect(orderEvents(stream)).toHaveLength(1);

      const resumed = await SseClient.open(`${h.url}/store/orders/events`, { ...cookie, 'Last-Event-ID': event!.id! });
      const replayed = await SseClient.open(`${h.url}${streamPath}`, cookie);
      try {
        await replayed.waitFor((c) => orderEvents(c).length > 0);
        expect(orderEvents(replayed).map((e) => e.checkoutId)).toEqual([checkoutId]);
        await new Promise((r) => setTimeout(r, 300));
        expect(orderEvents(resumed)).toEqual([]);
      } finally {
        resumed.close();
        replayed.close();
      }
    } finally {
      stream.close();
    }
    // Another store's owner never hears of it; no session, no stream.
    const ownerB = new PortalClient(h.url);
    await ownerB.signIn('owner-b@example.test', PASSWORD);
    const other = await SseClient.open(`${h.url}/store/orders/events`, { cookie: `${PORTAL_COOKIE}=${ownerB.cookie}` });
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(other.status).toBe(200);
      expect(orderEvents(other)).toEqual([]);
    } finally {
      other.close();
    }
    expect((await SseClient.open(`${h.url}/store/orders/events`)).status).toBe(401);
  });
});
