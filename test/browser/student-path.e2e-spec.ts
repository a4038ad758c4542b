import * as path from 'node:path';
import { Page } from 'playwright-core';
import { describeInBrowser, eventually, startBrowserPortal, textMatches } from '../utils/browser';
import { FIXTURES, waitForRun } from '../utils/test-app';

const BROWSER_PIPELINES = path.join(FIXTURES, 'pipelines', 'browser-pipelines.config.json');
const M13_FRAMES = [1, 2, 3, 4, 5].map((n) => path.join(FIXTURES, 'm13-blue-2013-05-05', `M13_blue_000${n}.fits.gz`));

/** The student's whole path in headless Chromium against the real app, with screenshots of each page. */
describeInBrowser('in a real browser: a student from log-in to light curve', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;
  let page: Page;
  let targetUrl: string;

  beforeAll(async () => {
    browser = await startBrowserPortal({ pipelinesConfig: BROWSER_PIPELINES });
    await browser.createUser('ada', 'student');
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('logs in on /login with the keyboard: Tab reaches the fields, Enter submits', async () => {
    await page.goto('/login');
    await browser.screenshot(page, '01-login');
    // From the top of the page, Tab walks to the username field and then the password field.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const focused: string[] = [];
    for (let i = 0; i < 6 && !focused.includes('username'); i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => document.activeElement?.getAttribute('name') ?? document.activeElement?.tagName ?? ''));
    }
    expect(focused).toContain('username');
    await page.keyboard.type('ada');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('password');
    // The focused field shows a visible outline.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.type('browser-password-123');
    await Promise.all([page.waitForURL(/\/targets$/), page.keyboard.press('Enter')]);
    expect(await textMatches(page, 'header .account', /ada/)).toContain('ada');
  });

  it('creates a target through the form and opens it', async () => {
    await page.getByRole('link', { name: 'New target' }).click();
    await page.locator('input[name=name]').fill('M13');
    await page.getByLabel('Aliases').fill('NGC 6205, Hercules cluster');
    await page.locator('input[name=ra]').fill('16:41:41.6');
    await page.locator('input[name=dec]').fill('+36:27:41');
    await page.locator('select[name=visibility]').selectOption('public');
    await Promise.all([page.waitForURL(/\/targets\/\d+$/), page.getByRole('button', { name: 'Create target' }).click()]);
    targetUrl = new URL(page.url()).pathname;
    await textMatches(page, 'h1', /M13/);
    await page.goto('/targets');
    await textMatches(page, '#targets-table', /NGC 6205/);
    await browser.screenshot(page, '02-targets');
  });

  it('uploads FITS frames through the upload form and sees them in the products table', async () => {
    await page.goto(targetUrl);
    await page.locator('#upload-form input[type=file]').setInputFiles(M13_FRAMES);
    await page.locator('#upload-form select[name=productType]').selectOption('fits_image');
    await Promise.all([page.waitForURL(new RegExp(`${targetUrl}#data$`)), page.locator('#upload-form button[type=submit]').click()]);
    await textMatches(page, '.flash', /5/);
    expect(await page.locator('#products-table tbody tr').count()).toBe(5);
    const table = await page.locator('#products-table').textContent();
    for (let n = 1; n <= 5; n++) expect(table).toContain(`M13_blue_000${n}.fits.gz`);
    // The worker makes thumbnails after the upload; a reload shows them.
    await eventually(
      async () => (await page.reload(), page.locator('#products-table img.product-thumb').count()),
      (count) => count === 5,
      'five thumbnails',
      30_000,
    );
    expect(await page.locator('#products-table img.product-thumb').first().evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  });

  it('opens a data product page with its preview and header', async () => {
    await page.locator('#products-table a', { hasText: 'M13_blue_0001.fits.gz' }).click();
    await page.waitForURL(/\/data-products\/\d+$/);
    await eventually(() => page.locator('#preview-image').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), (width) => width > 0, 'the preview');
    await textMatches(page, 'pre.header', /BITPIX/);
    await browser.screenshot(page, '04-data-product');
    await page.goto(targetUrl);
  });

  it('ticks frames, picks a pipeline and a flag, runs it, and watches the log arrive without a reload', async () => {
    await page.goto(targetUrl);
    const boxes = page.locator('#products-table input[name=productIds]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByRole('radio', { name: 'Slow steps' }).check();
    await page.getByLabel('Say it loudly').check();
    await Promise.all([page.waitForURL(/\/pipeline\/\d+$/), page.locator('#run-pipeline').click()]);
    const runId = Number(/\/pipeline\/(\d+)$/.exec(page.url())![1]);

    // Mark the document: a reload would lose this, so lines seen later arrived over the live connection.
    await page.evaluate(() => ((window as any).__sameDocument = true));
    const linesAtLoad = await page.locator('#run-log .log-line').count();
    expect(linesAtLoad).toBeLessThan(12);
    expect(await page.locator('#run-progress').isVisible()).toBe(true);
    await textMatches(page, '#run-status', /Step \d+\/12/);
    // Determinate: the bar's value follows "Step i/12".
    await eventually(() => page.locator('#run-progress-bar').evaluate((bar: HTMLProgressElement) => bar.position), (position) => position > 0, 'a determinate bar');
    await textMatches(page, '#run-elapsed', /\d+ s/);
    await eventually(() => page.locator('#run-log .log-line').count(), (count) => count > linesAtLoad, 'a log line after the page loaded');
    await browser.screenshot(page, '05-pipeline-running');

    await textMatches(page, '#run-state', /^succeeded$/, 30_000);
    const stored = await countLogLines(runId);
    await eventually(() => page.locator('#run-log .log-line').count(), (count) => count === stored, `${stored} log lines`);
    const texts = await page.locator('#run-log .log-line').allTextContents();
    expect(texts.filter((text) => /^Step \d+\/12: M13_blue_000\d\.fits\.gz \(loud\)/.test(text))).toHaveLength(12);
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    expect(texts.length).toBeGreaterThan(linesAtLoad);
    expect(await page.locator('#run-progress').isHidden()).toBe(true);
    expect(await page.locator('#cancel-form').count()).toBe(0);
    await browser.screenshot(page, '06-pipeline-finished');

    const run = await waitForRun(browser.portal, runId, ['succeeded'], 5_000);
    expect(run.flags).toEqual({ loud: true });

    // The output group holds steps.csv.
    await page.locator('#run-outputs a').click();
    await page.waitForURL(/\/groups\/\d+$/);
    await textMatches(page, 'h1', /_outputs$/);
    await textMatches(page, '#group-products', /steps\.csv/);
    await browser.screenshot(page, '07-output-group');
  });

  it('groups the frames in the gallery, runs aperture photometry from the group, and sees the light curve drawn', async () => {
    await page.goto(`${targetUrl}/gallery`);
    await page.locator('[data-select="all"]').click();
    expect(await page.locator('#gallery input[name=productIds]:checked').count()).toBe(5);
    await browser.screenshot(page, '08-target-gallery');
    await page.locator('#products-form input[name=name]').fill('m13-night');
    const [created] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/groups'),
      page.locator('#create-group').click(),
    ]);
    expect(created.status()).toBe(303);
    await page.waitForLoadState();
    await textMatches(page, '.flash', /Created group "m13-night" with 5 product/);

    await page.getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('link', { name: 'm13-night' }).click();
    await page.waitForURL(/\/groups\/\d+$/);
    expect(await page.locator('#gallery figure img').count()).toBe(5);
    await page.locator('[data-select="all"]').click();
    await browser.screenshot(page, '09-group-gallery');
    await page.getByRole('radio', { name: 'Aperture photometry' }).check();
    await page.getByLabel(/Without a WCS/).check();
    await Promise.all([page.waitForURL(/\/pipeline\/\d+$/), page.locator('#run-pipeline').click()]);
    await textMatches(page, '#run-state', /^succeeded$/, 90_000);

    await page.locator('#run-outputs a').click();
    await page.waitForURL(/\/groups\/\d+$/);
    await textMatches(page, '#group-products', /aperture_photometry_details\.csv/);

    await page.goto(targetUrl);
    const canvas = page.locator('canvas#light-curve');
    expect(await canvas.isVisible()).toBe(true);
    // The script fetches the points after the page loads; it marks the canvas once the chart is drawn.
    await page.waitForSelector('canvas#light-curve[data-points="5"]');
    expect(await page.locator('#light-curve-status').isHidden()).toBe(true);
    // Five points in one series, each drawn inside the plot area.
    const series = await page.evaluate(() => {
      const chart = (window as any).lightCurveChart;
      const area = chart.chartArea;
      return chart.data.datasets.map((dataset: any, i: number) => ({
        label: dataset.label,
        drawn: chart
          .getDatasetMeta(i)
          .data.filter((point: any) => point.x >= area.left && point.x <= area.right && point.y >= area.top && point.y <= area.bottom).length,
      }));
    });
    // One series: the student's run, one filter (its label names the student, the run and the filter).
    expect(series).toEqual([{ label: expect.stringMatching(/ · run aperture_photometry_.+ · unfiltered instrumental$/), drawn: 5 }]);
    // The canvas really has ink on it (axes, points), not a blank box.
    const inked = await canvas.evaluate((element: HTMLCanvasElement) => {
      const data = element.getContext('2d')!.getImageData(0, 0, element.width, element.height).data;
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++;
      return count;
    });
    expect(inked).toBeGreaterThan(1000);
    await browser.screenshot(page, '03-target');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    // On a phone the page does not scroll sideways: wide tables scroll inside their own box.
    const tooWide = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      return Array.from(document.querySelectorAll('body *'))
        .filter((element) => element.getBoundingClientRect().right > width + 1 && !element.closest('.table-wrap'))
        .map((element) => `${element.tagName.toLowerCase()}${element.id ? '#' + element.id : ''}.${element.className}`);
    });
    expect(tooWide).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await browser.screenshot(page, '11-target-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows no script errors on any page it visited', () => {
    expect(browser.errors).toEqual([]);
  });

  async function countLogLines(runId: number): Promise<number> {
    const [{ count }] = await browser.portal.dataSource.query('SELECT count(*)::int AS count FROM pipeline_log_lines WHERE run_id = $1', [runId]);
    return count;
  }
});
