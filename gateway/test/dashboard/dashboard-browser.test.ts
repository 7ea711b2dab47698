import type { Page } from 'playwright-core';
import { ChromiumSession } from '../support/chromium-session';
import { failOneJob, OPERATOR_TOKEN, type DashboardHarness, seedDashboardData, startDashboardHarness } from './support/dashboard-harness';

/**
 * The dashboard in Debian's Chromium (playwright-core drives the system binary; nothing is downloaded).
 * Screenshots go to COINSTILE_SCREENSHOT_DIR when set (to look at them), else to a temp dir removed after.
 */

declare const window: { innerWidth: number; coinstileMarker?: number };
declare const document: { documentElement: { scrollWidth: number } };

let harness: DashboardHarness;
let browser: ChromiumSession;
let failedJobId: string;

beforeAll(async () => {
  // Plain http on 127.0.0.1 here, so the session cookie is not Secure-only (the HTTP test checks that).
  harness = await startDashboardHarness({ publicUrl: 'http://127.0.0.1' });
  await seedDashboardData(harness.runtime, 3);
  failedJobId = await failOneJob(harness.releaseQueue, harness.runtime.redisUrl, 'ledger refused: store payable account missing');
  browser = await ChromiumSession.launch('dashboard', { width: 1280, height: 900 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await harness?.stop();
});

afterEach(() => {
  expect(browser.problems.splice(0)).toEqual([]);
});

async function signIn(page: Page, lang: 'en' | 'ja'): Promise<void> {
  await page.goto(`${harness.url}/dashboard/?lang=${lang}`);
  expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
  await page.getByTestId('token').fill('wrong-token');
  await page.getByTestId('sign-in').click();
  await page.getByTestId('error').waitFor();
  // The refused sign-in answers 401, which Chromium reports on the console: expected, nothing else.
  expect(browser.problems.splice(0)).toEqual(['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  await page.getByTestId('token').fill(OPERATOR_TOKEN);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('count-checkouts_processing').waitFor();
}

it('signs in, shows the queue counts and oldest ages, and retries a failed job from the list (desktop)', async () => {
  const page = await browser.newPage({ width: 1280, height: 900 });
  try {
    await signIn(page, 'en');
    expect(await page.getByTestId('count-checkouts_processing').textContent()).toBe('1');
    expect(await page.getByTestId('age-checkouts_processing').textContent()).toBe('2h 0m');
    expect(await page.getByTestId('count-payouts_failed').textContent()).toBe('1');
    const row = page.locator(`[data-testid="failed-job"][data-job-id="${failedJobId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('ledger refused: store payable account missing');
    await page.screenshot({ path: browser.shot('dashboard-desktop.png'), fullPage: true });

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
    await page.screenshot({ path: browser.shot('bull-board-desktop.png') });
    // Offline, its stylesheet's Google fonts cannot load; nothing else may go wrong.
    browser.problems.splice(0, browser.problems.length, ...browser.problems.filter((p) => !/fonts\.(googleapis|gstatic)\.com|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(p)));

    await page.goto(`${harness.url}/dashboard/charts`);
    await page.getByTestId('chart-latency').waitFor();
    await page.screenshot({ path: browser.shot('dashboard-charts-desktop.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

it('works on a phone (390×844) in Japanese without sideways scrolling', async () => {
  const page = await browser.newPage({ width: 390, height: 844 });
  try {
    await signIn(page, 'ja');
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    expect(await page.getByTestId('age-checkouts_processing').textContent()).toBe('2時間 0分');
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.viewport);
    await page.screenshot({ path: browser.shot('dashboard-phone.png'), fullPage: true });
    await page.getByTestId('nav-checkouts').click();
    await page.getByTestId('checkouts').waitFor();
    await page.screenshot({ path: browser.shot('dashboard-checkouts-phone.png'), fullPage: true });
  } finally {
    await page.close();
  }
});
