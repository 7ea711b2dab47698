import type { Page } from 'playwright-core';
import { ChromiumSession } from '../support/chromium-session';
import { activeStoreWithKey, type GatewayHarness, OPERATOR_TOKEN, startHarness } from '../support/gateway-harness';
import { openCheckout, payAndRelease } from './support/paid-order';
import { invitationPath, inviteAndActivate } from './support/portal-client';

/**
 * The store portal in Debian's Chromium against the real gateway on PostgreSQL and redis-server.
 * Screenshots go to COINSTILE_SCREENSHOT_DIR when set, else to a temp dir removed after.
 */
const OWNER_PASSWORD = 'owner password 0123456789';
const STAFF_PASSWORD = 'staff password 0123456789';

declare const window: { innerWidth: number; portalMarker?: number };
declare const document: { documentElement: { scrollWidth: number } };

let h: GatewayHarness;
let store: { storeId: string; key: string };
let browser: ChromiumSession;

beforeAll(async () => {
  // Plain http on 127.0.0.1, so the session cookie is not Secure-only (the HTTP test checks that it is behind https).
  h = await startHarness({ env: { PUBLIC_URL: 'http://127.0.0.1' }, portal: { scryptCost: { log2N: 10, r: 8, p: 1 }, inboxResyncMs: 1_000 } });
  store = await activeStoreWithKey(h, ['checkouts:read', 'checkouts:write']);
  await inviteAndActivate(h, store.storeId, 'owner@kobe-tea.example', 'owner', OWNER_PASSWORD);
  const carrier = await h.request('POST', '/v1/carriers', { token: OPERATOR_TOKEN, body: { code: 'yamato', name: 'Yamato Transport' } });
  if (carrier.status !== 201) throw new Error(`carrier ${carrier.status} ${carrier.text}`);
  browser = await ChromiumSession.launch('portal', { width: 1280, height: 900 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

afterEach(() => {
  expect(browser.problems.splice(0)).toEqual([]);
});

/** A refused request is reported on the console by Chromium: expected once, nothing else. */
function expectOneRefusal(status: number, text: string): void {
  expect(browser.problems.splice(0)).toEqual([`console: Failed to load resource: the server responded with a status of ${status} (${text})`]);
}

async function signIn(page: Page, email: string, password: string, lang: 'en' | 'ja'): Promise<void> {
  await page.goto(`${h.url}/store/?lang=${lang}`);
  expect(new URL(page.url()).pathname).toBe('/store/sign-in');
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('orders').waitFor({ state: 'attached' });
  expect(new URL(page.url()).pathname).toBe('/store/orders');
}

it('staff invited by the owner sign in, see a paid order arrive without reloading, and mark it shipped (desktop)', async () => {
  const page = await browser.newPage({ width: 1280, height: 900 });
  try {
    await signIn(page, 'owner@kobe-tea.example', OWNER_PASSWORD, 'en');
    await page.getByTestId('nav-users').click();
    await page.getByTestId('invite-email').fill('staff@kobe-tea.example');
    await page.getByTestId('invite-role').selectOption('staff');
    await page.getByTestId('invite-user-submit').click();
    const link = (await page.getByTestId('invitation-url').textContent()) ?? '';
    expect(link).toMatch(/\/store\/invitations\/[A-Za-z0-9_-]{43}$/);
    await page.getByTestId('sign-out').click();
    await page.getByTestId('sign-in-form').waitFor();

    // The invitee sets a password (the link names the public URL; this test's server listens elsewhere).
    await page.goto(`${h.url}${invitationPath(link)}`);
    await page.getByTestId('new-password').fill(STAFF_PASSWORD);
    await page.getByTestId('confirm-password').fill(STAFF_PASSWORD);
    await page.getByTestId('set-password').click();
    await page.getByTestId('flash').waitFor();
    expect(await page.getByTestId('flash').textContent()).toBe('Your password is set. Sign in with it.');

    await page.getByTestId('email').fill('staff@kobe-tea.example');
    await page.getByTestId('password').fill(STAFF_PASSWORD);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('no-orders').waitFor();
    expect(await page.getByTestId('nav-payouts').count()).toBe(0);
    expect(await page.getByTestId('nav-integration').count()).toBe(0);
    await page.locator('[data-live-status][data-state="open"]').waitFor();

    // A shopper pays; the order is released; the inbox shows it without a reload.
    const marker = await page.evaluate(() => (window.portalMarker = 7));
    const checkoutId = await openCheckout(h, store.key, 'KT-2041', [{ name: 'Gyokuro 50 g', quantity: 2 }, { name: 'Tea bowl', quantity: 1 }]);
    const txid = await payAndRelease(h, checkoutId);
    const row = page.locator(`[data-testid="order-row"][data-checkout-id="${checkoutId}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => window.portalMarker)).toBe(marker);
    expect(await row.textContent()).toContain('KT-2041');
    expect(await row.textContent()).toContain('¥4,980');
    expect(await row.textContent()).toContain('Gyokuro 50 g × 2, Tea bowl');
    expect(await page.getByTestId('no-orders').isHidden()).toBe(true);
    await page.screenshot({ path: browser.shot('portal-inbox-desktop.png'), fullPage: true });

    await row.getByTestId('order-link').click();
    await page.getByTestId('order-facts').waitFor();
    expect(await page.getByTestId('txid').textContent()).toBe(`${txid}:0`);
    expect(await page.getByTestId('confirmations').textContent()).toBe('3');
    expect(await page.getByTestId('receipt-jws').inputValue()).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await page.getByTestId('order-shipment').textContent()).toBe('Not shipped');
    await page.getByTestId('carrier').selectOption({ label: 'Yamato Transport' });
    await page.getByTestId('tracking-number').fill('4512-3367-8890');
    await page.getByTestId('ship-form-submit').click();
    await page.getByTestId('flash').waitFor();
    expect(await page.getByTestId('flash').textContent()).toBe('Marked shipped.');
    expect(await page.getByTestId('order-shipment').textContent()).toBe('Shipped · Yamato Transport 4512-3367-8890');
    expect(await page.getByTestId('ship-form').count()).toBe(0);
    const shipment = await h.runtime.db.kysely.selectFrom('shipments').select(['tracking_number', 'status', 'store_id']).where('checkout_id', '=', checkoutId).executeTakeFirstOrThrow();
    expect(shipment).toEqual({ tracking_number: '4512-3367-8890', status: 'registered', store_id: store.storeId });
    await page.screenshot({ path: browser.shot('portal-order-desktop.png'), fullPage: true });

    // Staff cannot reach payouts or API keys.
    await page.goto(`${h.url}/store/integration`);
    expectOneRefusal(403, 'Forbidden');
    expect(await page.getByTestId('message').textContent()).toBe('Your role does not allow this.');
    expect(await page.content()).not.toContain('csk_');
    await page.goto(`${h.url}/store/payouts`);
    expectOneRefusal(403, 'Forbidden');
  } finally {
    await page.close();
  }
});

it('works on a phone (390×844) in Japanese: integration and payouts for the owner, without sideways scrolling', async () => {
  const page = await browser.newPage({ width: 390, height: 844 });
  try {
    await signIn(page, 'owner@kobe-tea.example', OWNER_PASSWORD, 'ja');
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    await page.getByTestId('order-row').first().waitFor();
    const noSideways = async () => {
      const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
      expect(widths.scroll).toBeLessThanOrEqual(widths.viewport);
    };
    await noSideways();
    await page.screenshot({ path: browser.shot('portal-inbox-phone.png'), fullPage: true });

    await page.getByTestId('nav-integration').click();
    await page.getByTestId('scope-checkouts:read').check();
    await page.getByTestId('create-key-submit').click();
    const key = (await page.getByTestId('revealed-value').textContent()) ?? '';
    expect(key).toMatch(/^csk_[A-Za-z0-9_-]{43}$/);
    expect((await h.request('GET', '/v1/checkouts', { token: key })).status).toBe(200);
    expect(await page.locator('[data-testid="wallet-row"][data-asset="BTC"] [data-testid="next-index"]').textContent()).toBe('1');
    await noSideways();
    await page.screenshot({ path: browser.shot('portal-integration-phone.png'), fullPage: true });

    await page.getByTestId('nav-payouts').click();
    await page.getByTestId('payout-row').first().waitFor();
    await page.getByTestId('view-statement').click();
    await page.getByTestId('statement-heading').waitFor();
    expect(await page.getByTestId('statement-total').count()).toBe(1);
    await page.getByTestId('print').waitFor();
    await noSideways();
    await page.screenshot({ path: browser.shot('portal-statement-phone.png'), fullPage: true });
  } finally {
    await page.close();
  }
});
