import * as path from 'node:path';
import { describeInBrowser, startBrowserPortal } from '../utils/browser';
import { FIXTURES } from '../utils/test-app';

const COMPOSER_PIPELINES = path.join(FIXTURES, 'pipelines', 'workflow-composer.config.json');

// A file of its own: passport keeps its session (de)serialisers process-wide (see teacher.e2e-spec.ts).
describeInBrowser('in a real browser: the workflow composer', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;

  beforeAll(async () => {
    browser = await startBrowserPortal({ pipelinesConfig: COMPOSER_PIPELINES });
    await browser.createUser('tess', 'teacher');
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("shows a step's flags and parameters as its pipeline is chosen, keeps what was typed, and saves", async () => {
    const page = await browser.context.newPage();
    await browser.logIn(page, 'tess');
    await page.goto('/pipelines');
    await Promise.all([page.waitForURL(/\/pipelines\/new$/), page.getByRole('link', { name: 'Compose a workflow' }).click()]);
    // The script presses "Update" itself: the button is hidden.
    await expect(page.locator('button[data-update-step="1"]').isHidden()).resolves.toBe(true);

    await page.locator('input[name=name]').fill('Count twice');
    await page.locator('input[name=shortName]').fill('count_twice');
    await Promise.all([page.waitForURL(/#step-1$/), page.locator('select[name=s1_pipeline]').selectOption('Byte count')]);
    await page.locator('input[name=s1_param_everyKiB]').waitFor();
    // What was typed came back with the pipeline's fields.
    await expect(page.locator('input[name=name]').inputValue()).resolves.toBe('Count twice');
    await page.locator('input[name=s1_param_everyKiB]').fill('-5');
    await page.locator('input[name=s1_expose_everyKiB]').check();
    // Enter in a text field previews (the form's first, hidden button), it does not remove a step.
    await Promise.all([page.waitForLoadState('load'), page.locator('input[name=s1_param_everyKiB]').press('Enter')]);
    await expect(page.locator('[data-problem="steps.1.params.everyKiB"]').textContent()).resolves.toBe('A line every: must be at least 1 KiB');
    await page.locator('input[name=s1_param_everyKiB]').fill('50');

    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Add a step' }).click()]);
    await Promise.all([page.waitForURL(/#step-2$/), page.locator('select[name=s2_pipeline]').selectOption('FITS header summary')]);
    await page.locator('input[name=s2_flag_allHdus]').check();
    await page.locator('select[name=s2_inputs]').selectOption('run');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Preview', exact: true }).last().click()]);
    await page.locator('#workflow-preview').waitFor();
    await expect(page.locator('input[name=s1_param_everyKiB]').inputValue()).resolves.toBe('50');
    await browser.screenshot(page, '40-workflow-composer');

    await Promise.all([page.waitForURL(/\/workflows\/\d+$/), page.getByRole('button', { name: 'Save the workflow' }).click()]);
    await expect(page.locator('.flash').textContent()).resolves.toContain('Saved the workflow "Count twice", version 1.');
    await expect(page.locator('.workflow-steps').textContent()).resolves.toMatch(/Byte count[\s\S]*FITS header summary/);
    await browser.screenshot(page, '41-workflow-version');
    expect(browser.errors).toEqual([]);
  });
});
