import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, type RedisServer, startPostgres, startRedis } from '@coinstile/testkit';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type PagesHarness, startPagesHarness } from './support/pages-harness';

/**
 * The hosted page in Debian's Chromium (playwright-core drives the system binary; nothing is downloaded).
 * Screenshots go to COINSTILE_SCREENSHOT_DIR when set (to look at them), else to a temp dir removed after.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const PHONE = { width: 390, height: 844 };

// Browser globals used inside page.evaluate callbacks (the project compiles without the DOM lib).
declare const window: { innerWidth: number; coinstileMarker?: number };
declare const document: { documentElement: { scrollWidth: number } };
declare const navigator: { clipboard: { readText(): Promise<string> } };

let postgres: PostgresServer;
let redis: RedisServer;
let harness: PagesHarness;
let context: BrowserContext;
let userDataDir: string;
let shotsDir: string;
const keepShots = process.env.COINSTILE_SCREENSHOT_DIR !== undefined;
/** Console errors and uncaught exceptions of every page (a CSP violation shows up here). */
const pageProblems: string[] = [];

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  harness = await startPagesHarness(postgres, redis, { pollIntervalMs: 500 });
  userDataDir = mkdtempSync(join(tmpdir(), 'coinstile-chromium-'));
  shotsDir = process.env.COINSTILE_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'coinstile-pages-shots-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: harness.baseUrl });
}, 120_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (shotsDir && !keepShots) rmSync(shotsDir, { recursive: true, force: true });
  await harness?.close();
  await Promise.allSettled([postgres?.stop(), redis?.stop()]);
});

afterEach(() => {
  expect(pageProblems.splice(0)).toEqual([]);
});

async function openPage(path: string): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageProblems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => pageProblems.push(`pageerror: ${err.message}`));
  await page.goto(`${harness.baseUrl}${path}`);
  return page;
}

/** Nothing sticks out sideways: the page never scrolls horizontally on the phone. */
async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.viewport);
}

async function expectInsideViewport(page: Page, testIds: readonly string[]): Promise<void> {
  for (const testId of testIds) {
    const box = await page.getByTestId(testId).boundingBox();
    expect({ testId, box: box !== null }).toEqual({ testId, box: true });
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
  }
}

it('asset choice → payment view with QR and amount → settles live without a reload', async () => {
  const id = await harness.createCheckout({ amount: '4980', currency: 'JPY' });
  const page = await openPage(`/pay/${id}?lang=en`);
  await expect(page.getByTestId('state-choose_asset').isVisible()).resolves.toBe(true);
  await page.getByTestId('choose-BTC').click();
  await page.waitForURL(`**/pay/${id}?lang=en`);

  await page.getByTestId('state-pay').waitFor();
  const qr = page.locator('[data-testid="qr"] svg');
  await expect(qr.isVisible()).resolves.toBe(true);
  const qrBox = await qr.boundingBox();
  expect(qrBox!.width).toBeGreaterThanOrEqual(200);
  const amount = (await page.getByTestId('amount-due').textContent())!;
  expect(amount).toMatch(/^0\.000[0-9]+$/);
  await expect(page.getByTestId('price').textContent()).resolves.toBe('¥4,980');
  const href = await page.getByTestId('open-wallet').getAttribute('href');
  expect(href).toBe(`bitcoin:${await page.getByTestId('address').textContent()}?amount=${amount}`);
  await expectNoHorizontalScroll(page);
  await expectInsideViewport(page, ['price', 'qr', 'open-wallet', 'amount-due', 'copy-amount', 'address', 'copy-address', 'countdown']);

  const countdownBefore = await page.getByTestId('countdown').textContent();
  await page.waitForTimeout(1_100);
  expect(await page.getByTestId('countdown').textContent()).not.toBe(countdownBefore);

  await page.getByTestId('copy-amount').click();
  // The clipboard write is asynchronous: the button says so once it is done.
  await page.locator('[data-testid="copy-amount"].done').waitFor({ timeout: 5_000 });
  await expect(page.getByTestId('copy-amount').textContent()).resolves.toBe('Copied');
  await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(amount);
  await page.waitForTimeout(2_100);
  await page.screenshot({ path: join(shotsDir, 'payment-view-en.png'), fullPage: true });

  // Marks this document: a reload would lose it.
  await page.evaluate(() => (window.coinstileMarker = 42));
  await harness.waitForSubscription(id);
  const paid = await harness.pay(id, { confirmations: 6, publish: true });
  expect(paid.status).toBe('settled');

  await page.getByTestId('state-settled').waitFor({ timeout: 5_000 });
  await expect(page.evaluate(() => window.coinstileMarker)).resolves.toBe(42);
  await expect(page.locator('h1.state-title').textContent()).resolves.toBe('Paid — thank you');
  await expect(page.getByTestId('order-id').isVisible()).resolves.toBe(true);
  await expect(page.getByTestId('txids').textContent()).resolves.toContain(paid.txid);
  await expect(page.title()).resolves.toBe('Pay Kobe Tea House');
  await expectNoHorizontalScroll(page);
  await expectInsideViewport(page, ['price', 'order-id', 'state-settled', 'txids']);
  await page.screenshot({ path: join(shotsDir, 'settled-view-en.png'), fullPage: true });
  await page.close();
}, 60_000);

it('Japanese page follows a payment found only by the database poll: processing, then settled', async () => {
  const id = await harness.createCheckout({ amount: '12800', currency: 'JPY', asset: 'LTC' });
  const page = await openPage(`/pay/${id}?lang=ja`);
  await page.getByTestId('state-pay').waitFor();
  await expect(page.locator('html').getAttribute('lang')).resolves.toBe('ja');
  await expect(page.getByTestId('open-wallet').textContent()).resolves.toBe('ウォレットで開く');
  await expect(page.getByTestId('price').textContent()).resolves.toBe('￥12,800');
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: join(shotsDir, 'payment-view-ja.png'), fullPage: true });
  await page.evaluate(() => (window.coinstileMarker = 7));

  const seen = await harness.pay(id, { confirmations: 0, publish: false });
  await page.getByTestId('state-processing').waitFor({ timeout: 5_000 });
  await expect(page.locator('h1.state-title').textContent()).resolves.toBe('お支払いを受け取りました');
  await page.screenshot({ path: join(shotsDir, 'processing-view-ja.png'), fullPage: true });

  await harness.pay(id, { confirmations: 6, publish: false, txid: seen.txid });
  await page.getByTestId('state-settled').waitFor({ timeout: 5_000 });
  await expect(page.evaluate(() => window.coinstileMarker)).resolves.toBe(7);
  await expect(page.locator('h1.state-title').textContent()).resolves.toBe('お支払い完了 — ありがとうございました');
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: join(shotsDir, 'settled-view-ja.png'), fullPage: true });
  await page.close();
}, 60_000);

it('the quote runs out on screen, a new one is fetched from the page; a checkout running out shows what to do', async () => {
  const id = await harness.createCheckout({ amount: '4980', currency: 'JPY', asset: 'BTC' });
  await harness.db.kysely.updateTable('checkouts').set({ quote_expires_at: new Date(Date.now() + 3_000) }).where('id', '=', id).execute();
  const page = await openPage(`/pay/${id}?lang=en`);
  await page.getByTestId('state-pay').waitFor();
  expect(Number((await page.getByTestId('countdown').getAttribute('data-countdown-ms'))!)).toBeLessThanOrEqual(3_000);
  // The server pushes the expired-quote view at the deadline: no write, no reload.
  await page.getByTestId('state-quote_expired').waitFor({ timeout: 6_000 });
  await expect(page.getByTestId('address').count()).resolves.toBe(0);
  await page.screenshot({ path: join(shotsDir, 'quote-expired-en.png'), fullPage: true });
  await page.getByTestId('renew-quote').click();
  await page.waitForURL(`**/pay/${id}?lang=en`);
  await page.getByTestId('state-pay').waitFor();
  expect(Number((await page.getByTestId('countdown').getAttribute('data-countdown-ms'))!)).toBeGreaterThan(60_000);

  await harness.db.kysely.updateTable('checkouts').set({ expires_at: new Date(Date.now() + 2_000) }).where('id', '=', id).execute();
  await page.reload();
  await page.getByTestId('state-expired').waitFor({ timeout: 6_000 });
  await expect(page.locator('h1.state-title').textContent()).resolves.toBe('This checkout has expired');
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: join(shotsDir, 'expired-en.png'), fullPage: true });
  await page.close();
}, 60_000);

it('without the live stream, a page whose time ran out reloads itself into the next view', async () => {
  const id = await harness.createCheckout({ asset: 'BTC' });
  await harness.db.kysely.updateTable('checkouts').set({ quote_expires_at: new Date(Date.now() + 2_000) }).where('id', '=', id).execute();
  const page = await context.newPage();
  await page.route('**/events?**', (route) => route.abort());
  await page.goto(`${harness.baseUrl}/pay/${id}`);
  await page.getByTestId('state-pay').waitFor();
  await page.getByTestId('state-quote_expired').waitFor({ timeout: 12_000 });
  await page.close();
}, 60_000);

it('switches language from the page header', async () => {
  const id = await harness.createCheckout();
  const page = await openPage(`/pay/${id}`);
  await expect(page.locator('h1.state-title').textContent()).resolves.toBe('Choose how to pay');
  await page.getByTestId('lang-ja').click();
  await page.waitForURL(`**/pay/${id}?lang=ja`);
  await expect(page.locator('h1.state-title').textContent()).resolves.toBe('お支払い方法を選択してください');
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: join(shotsDir, 'choose-asset-ja.png'), fullPage: true });
  await page.close();
}, 60_000);
