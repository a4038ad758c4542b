import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import { PREVIEWS_QUEUE } from '../../src/queue/queue.module';
import { describeInBrowser, startBrowserPortal } from '../utils/browser';

// A file of its own (one app per Jest module registry, see teacher.e2e-spec.ts).
describeInBrowser('in a real browser: the runs overview and the queue dashboard', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;

  beforeAll(async () => {
    browser = await startBrowserPortal();
    await browser.createUser('tq', 'admin');
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('opens /runs and the Bull Board from the menu; the board draws under our CSP and its own actions work', async () => {
    const previews = browser.portal.app.get<Queue>(getQueueToken(PREVIEWS_QUEUE));
    await previews.add('browser-probe', { productId: 7 }, { delay: 3_600_000, jobId: 'browser-probe' });
    const page = await browser.context.newPage();
    await browser.logIn(page, 'tq');
    await page.getByRole('link', { name: 'Runs' }).first().click();
    await page.waitForURL(/\/runs$/);
    await page.locator('#runs-filter').waitFor();
    await browser.screenshot(page, '20-runs');

    await page.getByRole('link', { name: 'Queues' }).first().click();
    await page.waitForURL(/\/admin\/queues/);
    // The React app has drawn both queues (it fetched them from its API through our access check).
    await page.getByText('pipelines', { exact: true }).first().waitFor();
    await page.getByText('previews', { exact: true }).first().waitFor();
    await browser.screenshot(page, '21-queues');

    // One of the board's own writes, sent by the page as its JavaScript sends them (no CSRF token): accepted.
    const status = await page.evaluate(async () => (await fetch('api/queues/previews/pause', { method: 'PUT' })).status);
    expect(status).toBe(200);
    expect(await previews.isPaused()).toBe(true);
    await previews.resume();
    // No CSP violation, failed asset or script error on any page.
    expect(browser.errors).toEqual([]);
  });
});
