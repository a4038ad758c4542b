/// <reference lib="dom" />
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import { CDPSession, Page } from 'playwright-core';
import { PREVIEWS_QUEUE } from '../../src/queue/queue.module';
import { describeInBrowser, eventually, startBrowserPortal, textMatches } from '../utils/browser';
import { FIXTURES } from '../utils/test-app';

const EIT = path.join(FIXTURES, 'eit-195-2004-03-01');
const FRAMES = ['efz20040301.000010_s.fits', 'efz20040301.010016_s.fits', 'efz20040301.020010_s.fits'].map((name) => path.join(EIT, name));
const PHOTOMETRY = 'time,magnitude,error,filter\n60000.1,12.31,0.02,V\n60000.2,12.42,0.02,V\n60000.3,12.35,0.02,V\n';

interface Progress {
  value: number;
  text: string;
}

/**
 * The target page's upload form in headless Chromium (issue 13, item 6): files dropped onto the form, the batch's
 * progress bar with bytes sent and time left up to 100%, the flash after it, a refusal shown in the page, the
 * thumbnails that were "preview pending" turning into images without a reload, and the light curve's CSV link
 * following the chart's view. The previews queue is paused while the batch is uploaded, so the page surely shows
 * the thumbnails pending first; the upload is slowed (Chromium's network emulation) so its progress can be seen.
 */
describeInBrowser('in a real browser: uploads with progress, drag and drop, and live thumbnails', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;
  let page: Page;
  let cdp: CDPSession;
  let previews: Queue;
  let targetId: number;
  const progress: Progress[] = [];

  beforeAll(async () => {
    browser = await startBrowserPortal();
    await browser.createUser('uploader', 'teacher');
    previews = browser.portal.app.get<Queue>(getQueueToken(PREVIEWS_QUEUE));
    page = await browser.context.newPage();
    cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.enable');
    // Every change of the progress bar and its text, reported from the page as it happens.
    await page.exposeFunction('recordUploadProgress', (value: number, text: string) => progress.push({ value, text }));
  });

  afterAll(async () => {
    await previews?.resume().catch(() => undefined);
    await browser?.close();
  });

  /** Records the bar's value and text at each change, from now until the page goes away. */
  const watchProgress = () =>
    page.evaluate(() => {
      const bar = document.getElementById('upload-progress')!;
      const text = document.getElementById('upload-progress-text')!;
      const record = () => (window as unknown as { recordUploadProgress(v: number, t: string): void }).recordUploadProgress(Number(bar.getAttribute('value')), text.textContent ?? '');
      new MutationObserver(record).observe(bar, { attributes: true, attributeFilter: ['value'] });
      new MutationObserver(record).observe(text, { childList: true, characterData: true, subtree: true });
    });

  it('makes a public target and uploads a photometry file with the file input; the chart\'s CSV link follows its view', async () => {
    await browser.logIn(page, 'uploader');
    await page.getByRole('link', { name: 'New target' }).click();
    await page.locator('input[name=name]').fill('Live Sun');
    await page.locator('input[name=ra]').fill('10');
    await page.locator('input[name=dec]').fill('10');
    await page.locator('select[name=visibility]').selectOption('public');
    await Promise.all([page.waitForURL(/\/targets\/\d+$/), page.getByRole('button', { name: 'Create target' }).click()]);
    targetId = Number(/\/targets\/(\d+)$/.exec(page.url())![1]);

    expect(await page.locator('#upload-drop-hint').textContent()).toBe('or drop files here');
    await page.locator('#upload-form input[type=file]').setInputFiles({ name: 'sun_V.csv', mimeType: 'text/csv', buffer: Buffer.from(PHOTOMETRY) });
    expect(await page.locator('#upload-drop-hint').textContent()).toBe('1 file chosen: sun_V.csv');
    await page.locator('#upload-form select[name=productType]').selectOption('photometry');
    await Promise.all([page.waitForURL(new RegExp(`/targets/${targetId}#data$`)), page.locator('#upload-form button[type=submit]').click()]);
    expect(await textMatches(page, '.flash', /Uploaded/)).toBe('Uploaded 1 file. 3 photometry point(s) added, 0 already present.');
    expect(await page.locator('#products-table tbody').textContent()).toContain('sun_V.csv');

    // The CSV link is the chart's view: "Mine" at first, "Everyone" once the view switch says so.
    await page.locator('#light-curve[data-points="3"]').waitFor();
    expect(await page.locator('#light-curve-csv').getAttribute('href')).toBe(`/targets/${targetId}/light-curve.csv?view=mine`);
    await page.locator('#light-curve-views [data-view=everyone]').click();
    await page.locator('#light-curve[data-view="everyone"]').waitFor();
    const href = await page.locator('#light-curve-csv').getAttribute('href');
    expect(href).toBe(`/targets/${targetId}/light-curve.csv?view=everyone`);
    const csv = await page.evaluate(async (url) => (await fetch(url!)).text(), href);
    expect(csv.trim().split('\n')).toHaveLength(4);
    expect(csv).toContain(',12.42,0.02,V,');
  });

  it('takes frames dropped onto the form, shows the batch\'s progress with bytes and time left up to 100%, then the flash', async () => {
    await previews.pause();
    await page.goto(`/targets/${targetId}`);
    await watchProgress();
    // Three FITS frames dragged from the desktop: a drop event carrying files, as Chromium delivers one.
    const files = FRAMES.map((file) => ({ name: path.basename(file), base64: fs.readFileSync(file).toString('base64') }));
    const dataTransfer = await page.evaluateHandle((list) => {
      const transfer = new DataTransfer();
      for (const file of list) {
        const binary = atob(file.base64);
        const bytes = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
        transfer.items.add(new File([bytes], file.name, { type: 'application/fits' }));
      }
      return transfer;
    }, files);
    await page.dispatchEvent('#upload-form', 'dragenter', { dataTransfer });
    await page.dispatchEvent('#upload-form', 'dragover', { dataTransfer });
    expect(await page.locator('#upload-form').getAttribute('class')).toContain('dragging');
    await page.dispatchEvent('#upload-form', 'drop', { dataTransfer });
    expect(await page.locator('#upload-form').getAttribute('class')).not.toContain('dragging');
    expect(await page.locator('#upload-drop-hint').textContent()).toBe(`3 files chosen: ${files.map((file) => file.name).join(', ')}`);
    expect(await page.locator('#upload-form input[type=file]').evaluate((input: HTMLInputElement) => Array.from(input.files ?? []).map((file) => file.size))).toEqual(
      FRAMES.map((file) => fs.statSync(file).size),
    );
    await page.locator('#upload-form select[name=productType]').selectOption('fits_image');

    // About three seconds on the wire: the bar has time to move and to say what is left.
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 150 * 1024 });
    await Promise.all([page.waitForURL(new RegExp(`/targets/${targetId}#data$`)), page.locator('#upload-form button[type=submit]').click()]);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    expect(await textMatches(page, '.flash', /Uploaded/)).toBe('Uploaded 3 files.');

    const values = progress.map((step) => step.value);
    expect(values.length).toBeGreaterThan(2);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values[values.length - 1]).toBe(100);
    expect(values.some((value) => value > 0 && value < 100)).toBe(true);
    const total = fs.statSync(FRAMES[0]).size * 3;
    const texts = progress.map((step) => step.text);
    expect(texts[0]).toBe('Uploading 3 files…');
    // Bytes sent of the whole request (the files and the form around them), and the time left while it goes.
    expect(texts.some((text) => /^\d+(\.\d)? KiB of \d+(\.\d)? KiB sent \(\d{1,2}%\) · about (\d+ s|less than a second) left$/.test(text))).toBe(true);
    const done = texts.find((text) => text.includes('(100%)'))!;
    expect(done).toMatch(/^(\d+\.\d) KiB of \1 KiB sent \(100%\) · checking and storing 3 files…$/);
    expect(Number(/^(\d+\.\d) KiB/.exec(done)![1]) * 1024).toBeGreaterThan(total);
    expect(texts[texts.length - 1]).toBe('Uploaded 3 files.');
  }, 60_000);

  it('shows the new frames pending, then their thumbnails as the worker makes them, without a reload', async () => {
    expect(await page.locator('#products-table .preview-pending').count()).toBe(3);
    // Anything the page holds would be lost by a reload.
    await page.evaluate(() => ((window as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true));
    await browser.screenshot(page, 'uploads-01-pending');
    await previews.resume();

    await eventually(
      () => page.locator('#products-table img.product-thumb').evaluateAll((images) => (images as HTMLImageElement[]).map((image) => (image.complete ? image.naturalWidth : 0))),
      (widths) => widths.length === 3 && widths.every((width) => width > 0),
      'three loaded thumbnails',
      30_000,
    );
    expect(await page.locator('#products-table .preview-pending').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    const sources = await page.locator('#products-table img.product-thumb').evaluateAll((images) => (images as HTMLImageElement[]).map((image) => new URL(image.src).pathname));
    const ids: number[] = (await browser.portal.dataSource.query(`SELECT id FROM data_products WHERE product_type = 'fits_image' ORDER BY id`)).map((row: { id: number }) => row.id);
    expect(sources.sort()).toEqual(ids.map((id) => `/data-products/${id}/thumbnail.png`).sort());
    await browser.screenshot(page, 'uploads-02-thumbnails');
  }, 60_000);

  it('shows a refused batch\'s message in the page, keeping the page and the chosen files', async () => {
    await page.locator('#upload-form input[type=file]').setInputFiles({ name: 'not-a-frame.fits', mimeType: 'application/fits', buffer: Buffer.from('not a FITS file') });
    await page.locator('#upload-form select[name=productType]').selectOption('fits_image');
    await page.locator('#upload-form button[type=submit]').click();
    await page.locator('#upload-error').waitFor({ state: 'visible' });
    const message = await page.locator('#upload-error').textContent();
    expect(message).toMatch(/^Nothing was uploaded: fix these problems and try again\.not-a-frame\.fits: /);
    expect(await page.locator('#upload-status').isHidden()).toBe(true);
    expect(await page.locator('#upload-form button[type=submit]').isEnabled()).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    expect(await page.locator('#upload-form input[type=file]').evaluate((input: HTMLInputElement) => input.files?.[0]?.name)).toBe('not-a-frame.fits');
    await browser.screenshot(page, 'uploads-03-refused');
    // The refusal's own 400 is the only error the browser saw.
    expect(browser.errors.filter((error) => !/status of 400/.test(error))).toEqual([]);
  });
});
