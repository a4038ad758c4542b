import * as path from 'node:path';
import { describeInBrowser, startBrowserPortal } from '../utils/browser';
import { FIXTURES } from '../utils/test-app';

const BROWSER_PIPELINES = path.join(FIXTURES, 'pipelines', 'browser-pipelines.config.json');

// A file of its own: passport keeps its session (de)serialisers process-wide, so a second app started in the
// same Jest module registry after the first one closed would ask the closed app's database for the user.
describeInBrowser('in a real browser: the teacher', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;

  beforeAll(async () => {
    browser = await startBrowserPortal({ pipelinesConfig: BROWSER_PIPELINES });
    await browser.createUser('tess', 'teacher');
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('sees every pipeline on /pipelines and saves a preset there', async () => {
    const page = await browser.context.newPage();
    await browser.logIn(page, 'tess');
    await page.getByRole('link', { name: 'Pipelines' }).first().click();
    await page.waitForURL(/\/pipelines$/);
    const table = page.locator('#pipelines-table');
    const listed = await table.textContent();
    for (const name of ['Slow steps', 'Aperture photometry', 'FITS header summary']) expect(listed).toContain(name);
    const slowRow = table.locator('tr', { hasText: 'Slow steps' });
    await slowRow.locator('input[name=name]').fill('Loud');
    await slowRow.locator('input[name="flag:loud"]').check();
    await Promise.all([page.waitForURL(/\/pipelines/), slowRow.getByRole('button', { name: 'Save preset' }).click()]);
    expect(await table.locator('tr', { hasText: 'Slow steps' }).locator('.presets').textContent()).toContain('Loud');
    await browser.screenshot(page, '10-pipelines');
    expect(browser.errors).toEqual([]);
  });
});
