import * as fs from 'node:fs';
import * as path from 'node:path';
import { BROWSER_PASSWORD, describeInBrowser, eventually, startBrowserPortal } from '../utils/browser';
import { createTarget, FIXTURES, loginAs, uploadOne } from '../utils/test-app';

const COMPOSER_PIPELINES = path.join(FIXTURES, 'pipelines', 'workflow-composer.config.json');

/**
 * Issue 15's story in headless Chromium: a teacher composes a two-step workflow in the browser and saves it; a
 * student runs it at once from a target's picker with a value of their own and watches both steps' logs arrive
 * in the steps' sections of the run page, without a reload.
 * (A file of its own: passport keeps its session (de)serialisers process-wide.)
 */
describeInBrowser('in a real browser: a teacher composes a workflow, a student runs it and watches its steps', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;

  beforeAll(async () => {
    browser = await startBrowserPortal({ pipelinesConfig: COMPOSER_PIPELINES });
    await browser.createUser('tom-teacher', 'teacher');
    await browser.createUser('sam-student', 'student');
  });
  afterAll(() => browser?.close());

  it('composes, saves, runs and shows each step live', async () => {
    const page = await browser.context.newPage();
    await browser.logIn(page, 'tom-teacher');
    await page.goto('/pipelines/new');
    await page.locator('input[name=name]').fill('Slow pair');
    await page.locator('input[name=shortName]').fill('slow_pair');
    await Promise.all([page.waitForURL(/#step-1$/), page.locator('select[name=s1_pipeline]').selectOption('Slow steps')]);
    await page.locator('input[name=s1_flag_loud]').check();
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Add a step' }).click()]);
    await Promise.all([page.waitForURL(/#step-2$/), page.locator('select[name=s2_pipeline]').selectOption('Byte count')]);
    await page.locator('select[name=s2_inputs]').selectOption('run');
    await page.locator('input[name=s2_flag_verbose]').check();
    await page.locator('input[name=s2_param_everyKiB]').fill('200');
    await page.locator('input[name=s2_expose_everyKiB]').check();
    await Promise.all([page.waitForURL(/\/workflows\/\d+$/), page.getByRole('button', { name: 'Save the workflow' }).click()]);
    await expect(page.locator('.flash').textContent()).resolves.toContain('Saved the workflow "Slow pair", version 1.');

    // The student: a target of theirs with a FITS frame, in a fresh session.
    const sam = await loginAs(browser.portal.app.getHttpServer(), 'sam-student', BROWSER_PASSWORD);
    const targetId = await createTarget(sam, { name: 'Horsehead for a workflow', ra: '85.2458', dec: '-2.4583' });
    await uploadOne(sam, targetId, path.join(FIXTURES, 'HorseHead.fits'), 'HorseHead.fits', 'fits_image');
    await browser.context.clearCookies();
    await browser.logIn(page, 'sam-student');
    await page.goto(`/targets/${targetId}`);
    await page.locator('#products-table input[name=productIds]').first().check();
    await page.getByRole('radio', { name: 'Slow pair' }).check();
    await expect(page.locator('[data-workflow="Slow pair"]').textContent()).resolves.toBe('A workflow in 2 steps: 1. Slow steps → 2. Byte count');
    // The exposed value, with the teacher's value as its default; the student asks for a line every 100 KiB.
    const everyKiB = page.locator('input[name="param:slow_pair:everyKiB"]');
    await expect(everyKiB.inputValue()).resolves.toBe('200');
    await everyKiB.fill('100');
    await Promise.all([page.waitForURL(/\/pipeline\/\d+$/), page.locator('#run-pipeline').click()]);
    // A reload would lose this mark: what is seen later came over the live connection.
    await page.evaluate(() => ((window as any).__sameDocument = true));

    // Step 1 runs: its section opens by itself and fills with its lines as they come.
    const step1 = page.locator('#step-1');
    const step2 = page.locator('#step-2');
    await eventually(() => step1.locator('[data-role="state"]').textContent(), (state) => state === 'running', 'step 1 running');
    await eventually(() => step1.locator('[data-role="log-section"]').evaluate((details: HTMLDetailsElement) => details.open), (open) => open, 'step 1 log open');
    await eventually(() => step1.locator('[data-role="log"] .log-line').count(), (count) => count >= 3, 'step 1 lines arriving');
    await eventually(() => step1.locator('[data-role="progress"]').evaluate((bar: HTMLProgressElement) => bar.position), (position) => position > 0, 'step 1 progress');
    await browser.screenshot(page, '42-workflow-step-1');
    // Then step 2, whose section opens in turn and gets its own lines only.
    await eventually(() => step2.locator('[data-role="log-section"]').evaluate((details: HTMLDetailsElement) => details.open), (open) => open, 'step 2 log open', 30_000);
    await eventually(() => page.locator('#run-state').textContent(), (state) => state === 'succeeded', 'the run succeeded', 30_000);
    await eventually(() => step2.locator('[data-role="log"]').textContent(), (text) => (text ?? '').includes('Finished: 2 data product(s)'), 'step 2 lines');
    const [first, second] = await Promise.all([step1.locator('[data-role="log"]').textContent(), step2.locator('[data-role="log"]').textContent()]);
    expect(first).toMatch(/^Step 1 of 2: Slow steps\n/);
    expect(first).toContain('Step 12/12: HorseHead.fits (loud)');
    expect(first).not.toContain('Byte count');
    expect(second).toMatch(/^Step 2 of 2: Byte count\n/);
    // Byte count with the student's value: a line each 100 KiB of the frame.
    const frameBytes = fs.statSync(path.join(FIXTURES, 'HorseHead.fits')).size;
    expect(second!.split('\n').filter((line) => /^ {2}HorseHead\.fits: \d+ bytes read$/.test(line))).toHaveLength(Math.ceil(frameBytes / (100 * 1024)));
    // Each section holds its step's lines once each, in order, and together they are the whole log.
    const seqs = await Promise.all([step1, step2].map((step) => step.locator('[data-role="log"] .log-line').evaluateAll((spans) => spans.map((span) => Number(span.getAttribute('data-seq'))))));
    const all = [...seqs[0], ...seqs[1]];
    expect(all).toEqual(all.map((_, i) => i + 1));
    expect(second).not.toContain('Step 12/12');
    for (const step of [step1, step2]) await expect(step.locator('[data-role="state"]').textContent()).resolves.toBe('succeeded');
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await browser.screenshot(page, '43-workflow-run');
    expect(browser.errors).toEqual([]);
  }, 120_000);
});
