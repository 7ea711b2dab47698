import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { type GatewayHarness, startHarness } from './support/gateway-harness';

/** `/docs` renders the OpenAPI document in Debian's Chromium under helmet's Content-Security-Policy. */
let h: GatewayHarness;
let browser: BrowserContext;
let profileDir: string;

beforeAll(async () => {
  h = await startHarness();
  profileDir = mkdtempSync(join(tmpdir(), 'coinstile-docs-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await h?.stop();
});

it('renders every operation of /openapi.json without a CSP violation or a request leaving the host', async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(h.url) && !r.url().startsWith('data:')) problems.push(`external request ${r.url()}`);
  });
  await page.goto(`${h.url}/docs`);
  await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
  expect(await page.textContent('.swagger-ui .info .title')).toContain('Coinstile API');
  await page.waitForSelector('.opblock', { timeout: 30_000 });
  const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')));
  expect(paths).toEqual(expect.arrayContaining(['/v1/checkouts', '/v1/stores/{id}/api-keys', '/v1/checkouts/{id}/cancel']));
  expect(problems).toEqual([]);
  await page.close();
}, 60_000);
