/// <reference lib="dom" />
// The page functions below run in Chromium, so they are typed against the DOM.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { UserRole } from '../../src/users/user.entity';
import { UsersService } from '../../src/users/users.service';
import { startTestPortal, TestPortal } from './test-app';

/** Debian's chromium unless CHROMIUM_PATH names another Chromium/Chrome binary. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
export const BROWSER_PASSWORD = 'browser-password-123';

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export const browserAvailable = executable(CHROMIUM_PATH);
let warned = false;

/**
 * `describe` when Chromium is there; otherwise the suite is skipped with one console line, or, under
 * REQUIRE_BROWSER=1 (CI), replaced by a failing test so a missing browser cannot pass unnoticed.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (browserAvailable) {
    describe(name, body);
    return;
  }
  const reason = `no Chromium at ${CHROMIUM_PATH} (install the chromium package or set CHROMIUM_PATH)`;
  if (process.env.REQUIRE_BROWSER === '1') {
    describe(name, () => {
      it('needs a browser (REQUIRE_BROWSER=1)', () => {
        throw new Error(`Browser tests required but ${reason}`);
      });
    });
    return;
  }
  // One line for the whole run: Jest gives each file its own modules and process.env, so the process's own marker
  // file (in the temp folder, named by pid) says whether an earlier file has said it already.
  const marker = path.join(os.tmpdir(), `portal-browser-skip-notice-${process.pid}`);
  if (!warned && !fs.existsSync(marker)) {
    warned = true;
    fs.writeFileSync(marker, '');
    process.stderr.write(`Browser tests skipped: ${reason}\n`);
  }
  describe.skip(name, body);
}

export interface BrowserPortal {
  portal: TestPortal;
  baseUrl: string;
  context: BrowserContext;
  /** Creates an account the browser can log in with (BROWSER_PASSWORD). */
  createUser(username: string, role: UserRole): Promise<void>;
  /** Logs in through the /login form in `page` and waits for the targets page. */
  logIn(page: Page, username: string): Promise<void>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real app listening on a free port of 127.0.0.1, and headless Chromium with a fresh profile of its own.
 * Pages' console errors and uncaught exceptions are collected in `errors` so a test can assert there were none.
 */
export async function startBrowserPortal(options: Parameters<typeof startTestPortal>[0] & { port?: number } = {}): Promise<BrowserPortal & { errors: string[] }> {
  const { port: wanted, ...portalOptions } = options;
  const portal = await startTestPortal(portalOptions);
  // A given port: for a PORTAL_URL set before the app started (remote pipelines' services call it back).
  await portal.app.listen(wanted ?? 0, '127.0.0.1');
  const { port } = portal.app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
      baseURL: baseUrl,
    });
  } catch (error) {
    await portal.close();
    fs.rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(15_000);
  const errors: string[] = [];
  context.on('page', (page) => watch(page, errors));
  for (const page of context.pages()) watch(page, errors);
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  return {
    portal,
    baseUrl,
    context,
    errors,
    createUser: async (username, role) => {
      await portal.app.get(UsersService).create(username, BROWSER_PASSWORD, role);
    },
    logIn: async (page, username) => {
      await page.goto('/login');
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(BROWSER_PASSWORD);
      await Promise.all([page.waitForURL(/\/targets/), page.getByRole('button', { name: 'Log in' }).click()]);
    },
    screenshot: async (page, name) => {
      const file = path.join(ARTIFACTS, `${name}.png`);
      // A full-page picture should show the thumbnails below the fold too: load the lazy images first.
      await page.evaluate(async () => {
        const images = Array.from(document.images);
        for (const image of images) image.loading = 'eager';
        const loading = images
          .filter((image) => !image.complete)
          .map((image) => new Promise((done) => ['load', 'error'].forEach((event) => image.addEventListener(event, done, { once: true }))));
        await Promise.race([Promise.all(loading), new Promise((done) => setTimeout(done, 10_000))]);
      });
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: async () => {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
      await portal.close();
    },
  };
}

function watch(page: Page, errors: string[]) {
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
  });
}

/**
 * Calls `read` until `done(value)` holds (or the time is up, which throws with the last value seen): the waiting
 * Playwright's own test runner would do, for Jest's plain expect.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the element's text matches `pattern`; returns the text. */
export function textMatches(page: Page, selector: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return eventually(
    async () => (await page.locator(selector).first().textContent({ timeout: timeoutMs }))?.trim() ?? '',
    (text) => pattern.test(text),
    `${selector} to match ${pattern}`,
    timeoutMs,
  );
}
