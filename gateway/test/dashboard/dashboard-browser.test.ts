import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { failOneJob, OPERATOR_TOKEN, type DashboardHarness, seedDashboardData, startDashboardHarness } from './support/dashboard-harness';

/**
 * The dashboard in Debian's Chromium (playwright-core drives the system binary; nothing is downloaded).
 * Screenshots go to COINSTILE_SCREENSHOT_DIR when set (to look at them), else to a temp dir removed after.
 */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

declare const window: { innerWidth: number; coinstileMarker?: number };
declare const document: { documentElement: { scrollWidth: number } };

let harness: DashboardHarness;
let context: BrowserContext;
let userDataDir: string;
let shotsDir: string;
let failedJobId: string;
const keepShots = process.env.COINSTILE_SCREENSHOT_DIR !== undefined;
const pageProblems: string[] = [];

beforeAll(async () => {
  // Plain http on 127.0.0.1 here, so the session cookie is not Secure-only (the HTTP test checks that).
  harness = await startDashboardHarness({ publicUrl: 'http://127.0.0.1' });
  await seedDashboardData(harness.runtime, 3);
  failedJobId = await failOneJob(harness.releaseQueue, harness.runtime.redisUrl, 'ledger refused: store payable account missing');
  userDataDir = mkdtempSync(join(tmpdir(), 'coinstile-chromium-'));
  shotsDir = process.env.COINSTILE_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'coinstile-dashboard-shots-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
}, 120_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (shotsDir && !keepShots) rmSync(shotsDir, { recursive: true, force: true });
  await harness?.stop();
});

afterEach(() => {
  expect(pageProblems.splice(0)).toEqual([]);
});

async function newPage(viewport: { width: number; height: number }): Promise<Page> {
  await context.clearCookies();
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageProblems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => pageProblems.push(`pageerror: ${err.message}`));
  return page;
}

async function signIn(page: Page, lang: 'en' | 'ja'): Promise<void> {
  await page.goto(`${harness.url}/dashboard/?lang=${lang}`);
  expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
  await page.getByTestId('token').fill('wrong-token');
  await page.getByTestId('sign-in').click();
  await page.getByTestId('error').waitFor();
  // The refused sign-in answers 401, which Chromium reports on the console: expected, nothing else.
  expect(pageProblems.splice(0)).toEqual(['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  await page.getByTestId('token').fill(OPERATOR_TOKEN);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('count-checkouts_processing').waitFor();
}

it('signs in, shows the queue counts and oldest ages, and retries a failed job from the list (desktop)', async () => {
  const page = await newPage({ width: 1280, height: 900 });
  try {
    await signIn(page, 'en');
    expect(await page.getByTestId('count-checkouts_processing').textContent()).toBe('1');
    expect(await page.getByTestId('age-checkouts_processing').textContent()).toBe('2h 0m');
    expect(await page.getByTestId('count-payouts_failed').textContent()).toBe('1');
    const row = page.locator(`[data-testid="failed-job"][data-job-id="${failedJobId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('ledger refused: store payable account missing');
    await page.screenshot({ path: join(shotsDir, 'dashboard-desktop.png'), fullPage: true });

    await row.getByTestId('retry-job').click();
    await page.getByTestId('flash').waitFor();
    expect(await page.getByTestId('flash').textContent()).toBe('Job moved back to waiting.');
    expect(await page.locator(`[data-testid="failed-job"][data-job-id="${failedJobId}"]`).count()).toBe(0);
    expect(await page.getByTestId('queue-release-order-waiting').textContent()).toBe('1');
    expect(await (await harness.releaseQueue.getJob(failedJobId))?.getState()).toBe('waiting');

    // The queue region refreshes itself every 10 s: a job failing now shows up without a reload.
    const marker = await page.evaluate(() => (window.coinstileMarker = 42));
    const laterJobId = await failOneJob(harness.releaseQueue, harness.runtime.redisUrl, 'payout provider timed out');
    await page.locator(`[data-testid="failed-job"][data-job-id="${laterJobId}"]`).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => window.coinstileMarker)).toBe(marker);

    // bull-board, behind the same session.
    await page.getByTestId('nav-bull-board').click();
    await page.getByText('release-order').first().waitFor();
    await page.screenshot({ path: join(shotsDir, 'bull-board-desktop.png') });
    // Offline, its stylesheet's Google fonts cannot load; nothing else may go wrong.
    pageProblems.splice(0, pageProblems.length, ...pageProblems.filter((p) => !/fonts\.(googleapis|gstatic)\.com|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(p)));

    await page.goto(`${harness.url}/dashboard/charts`);
    await page.getByTestId('chart-latency').waitFor();
    await page.screenshot({ path: join(shotsDir, 'dashboard-charts-desktop.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

it('works on a phone (390×844) in Japanese without sideways scrolling', async () => {
  const page = await newPage({ width: 390, height: 844 });
  try {
    await signIn(page, 'ja');
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    expect(await page.getByTestId('age-checkouts_processing').textContent()).toBe('2時間 0分');
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.viewport);
    await page.screenshot({ path: join(shotsDir, 'dashboard-phone.png'), fullPage: true });
    await page.getByTestId('nav-checkouts').click();
    await page.getByTestId('checkouts').waitFor();
    await page.screenshot({ path: join(shotsDir, 'dashboard-checkouts-phone.png'), fullPage: true });
  } finally {
    await page.close();
  }
});
