import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, headless, offline, in a throwaway profile (playwright-core drives it; nothing is downloaded). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * One Chromium for a test file: a fresh profile, a screenshots folder (COINSTILE_SCREENSHOT_DIR when set,
 * to look at them, else a temp dir removed on close), and every page's console errors and uncaught
 * exceptions collected in `problems` (a CSP violation shows up there).
 */
export class ChromiumSession {
  readonly problems: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    private readonly userDataDir: string,
    readonly shotsDir: string,
    private readonly keepShots: boolean,
  ) {}

  static async launch(name: string, viewport: { width: number; height: number }): Promise<ChromiumSession> {
    const userDataDir = mkdtempSync(join(tmpdir(), 'coinstile-chromium-'));
    const keepShots = process.env.COINSTILE_SCREENSHOT_DIR !== undefined;
    const shotsDir = process.env.COINSTILE_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), `coinstile-${name}-shots-`));
    try {
      const context = await chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport });
      return new ChromiumSession(context, userDataDir, shotsDir, keepShots);
    } catch (err) {
      rmSync(userDataDir, { recursive: true, force: true });
      if (!keepShots) rmSync(shotsDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** A new page with no cookies, its problems collected. */
  async newPage(viewport: { width: number; height: number }): Promise<Page> {
    await this.context.clearCookies();
    const page = await this.context.newPage();
    await page.setViewportSize(viewport);
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => this.problems.push(`pageerror: ${err.message}`));
    return page;
  }

  /** Where a screenshot called `file` goes. */
  shot(file: string): string {
    return join(this.shotsDir, file);
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    rmSync(this.userDataDir, { recursive: true, force: true });
    if (!this.keepShots) rmSync(this.shotsDir, { recursive: true, force: true });
  }
}
