/// <reference lib="dom" />
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { BROWSER_PASSWORD, CHROMIUM_PATH, describeInBrowser, startBrowserPortal, textMatches } from '../utils/browser';
import { createTarget, loginAs, TEST_PIPELINES, uploadOne, waitForRun } from '../utils/test-app';

/**
 * Issue 13's evening in headless Chromium: a teacher posts an assignment on M13 to her class, two students start
 * it from /assignments (each in a browser of their own), one run succeeds and is handed in, the other fails, and the
 * teacher's progress table, open all along, shows both rows change without a reload.
 */
describeInBrowser('in a real browser: an assignment from posting to the progress table', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;
  const students: Array<{ context: BrowserContext; profile: string }> = [];
  let teacherPage: Page;
  let targetId: number;
  let assignmentId: number;
  const runs: Record<string, number> = {};

  /** A second and third browser (own profile, own cookies): each student works in their own. */
  async function studentBrowser(): Promise<Page> {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-chromium-student-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
      baseURL: browser.baseUrl,
    });
    context.setDefaultTimeout(15_000);
    students.push({ context, profile });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => browser.errors.push(`${page.url()}: ${error.message}`));
    return page;
  }

  beforeAll(async () => {
    browser = await startBrowserPortal({ pipelinesConfig: TEST_PIPELINES });
    const db = browser.portal.dataSource;
    await browser.createUser('ms-lee', 'teacher');
    await browser.createUser('ada', 'student');
    await browser.createUser('ben', 'student');
    const [{ id: classId }] = await db.query(`INSERT INTO classrooms (name, join_code) VALUES ('Year 11', 'BRASSIGN') RETURNING id`);
    for (const [username, role] of [['ms-lee', 'teacher'], ['ada', 'student'], ['ben', 'student']]) {
      await db.query(`INSERT INTO classroom_members (classroom_id, user_id, role) SELECT $1, id, $3 FROM users WHERE username = $2`, [classId, username, role]);
    }
    // The target and its frames through the app as the teacher (the upload pages have their own browser spec).
    const teacher = await loginAs(browser.portal.app.getHttpServer(), 'ms-lee', BROWSER_PASSWORD);
    targetId = await createTarget(teacher, { name: 'M13', ra: '250.42', dec: '36.46', visibility: 'public' });
    const frames = [await uploadOne(teacher, targetId, Buffer.from('frame one\n'), 'm13-1.txt', 'other'), await uploadOne(teacher, targetId, Buffer.from('frame two\n'), 'm13-2.txt', 'other')];
    await teacher.agent.post('/groups').type('form').send({ name: 'M13 tonight', productIds: frames.map(String), _csrf: teacher.csrf }).expect(303);
    await db.query(`UPDATE data_product_groups SET visibility = 'public' WHERE name = 'M13 tonight'`);
    teacherPage = await browser.context.newPage();
  }, 120_000);

  afterAll(async () => {
    for (const { context, profile } of students) {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    }
    await browser?.close();
  });

  it('the teacher posts the assignment from /assignments/new and opens its progress table', async () => {
    await browser.logIn(teacherPage, 'ms-lee');
    await teacherPage.getByRole('link', { name: 'Assignments', exact: true }).click();
    await teacherPage.getByRole('link', { name: 'New assignment' }).click();
    await teacherPage.locator('select[name=classId]').selectOption({ label: 'Year 11' });
    await teacherPage.locator('input[name=title]').fill('Measure M13 tonight');
    await teacherPage.locator('textarea[name=instructions]').fill('Tick **both** frames and run *Photometry maker*; hand in your run with the mean magnitude.');
    await teacherPage.locator('select[name=targetId]').selectOption({ label: 'M13 (public)' });
    await teacherPage.locator('select[name=groupId]').selectOption({ label: 'the group “M13 tonight”' });
    await teacherPage.getByLabel('Photometry maker').check();
    await teacherPage.getByLabel('Crasher').check();
    await Promise.all([teacherPage.waitForURL(/\/assignments\/\d+$/), teacherPage.getByRole('button', { name: 'Post to the class' }).click()]);
    assignmentId = Number(/\/assignments\/(\d+)$/.exec(teacherPage.url())![1]);
    await textMatches(teacherPage, '.flash', /Posted "Measure M13 tonight" to Year 11\./);
    expect(await teacherPage.locator('#instructions strong').textContent()).toBe('both');
    await Promise.all([teacherPage.waitForURL(/\/progress$/), teacherPage.locator('#progress-link').click()]);
    await eventuallyAttr(teacherPage, '#progress-table', 'data-live', 'joined');
    expect(await statusOf('ada')).toBe('not started');
    expect(await statusOf('ben')).toBe('not started');
    // Marks this page: a reload would lose it.
    await teacherPage.evaluate(() => ((window as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true));
  });

  it('two students start it from /assignments: one run succeeds, the other fails; the table follows without a reload', async () => {
    for (const [username, pipeline] of [['ada', 'Photometry maker'], ['ben', 'Crasher']]) {
      const page = await studentBrowser();
      await browser.logIn(page, username);
      await page.goto('/assignments');
      expect(await page.locator(`tr[data-assignment-id="${assignmentId}"] .assignment-status`).textContent()).toContain('not started');
      await page.getByRole('link', { name: 'Measure M13 tonight' }).click();
      await Promise.all([page.waitForURL(new RegExp(`/targets/${targetId}\\?assignment=${assignmentId}`)), page.locator('#start-assignment').click()]);
      // The group's frames are ticked.
      expect(await page.locator('input[name=productIds]:checked').count()).toBe(2);
      // The assignment's first pipeline (in the form's order: Crasher, then Photometry maker) comes chosen.
      expect(await page.locator('input[name=pipeline][value="Crasher"]').isChecked()).toBe(true);
      await page.locator(`input[name=pipeline][value="${pipeline}"]`).check();
      await Promise.all([page.waitForURL(/\/pipeline\/\d+$/), page.locator('#run-pipeline').click()]);
      runs[username] = Number(/\/pipeline\/(\d+)$/.exec(page.url())![1]);
    }
    await waitForRun(browser.portal, runs.ada, ['succeeded'], 60_000);
    await waitForRun(browser.portal, runs.ben, ['failed'], 60_000);
    await eventuallyStatus('ada', 'succeeded');
    await eventuallyStatus('ben', 'failed');
    expect(await rowOf('ben').locator('.failure').textContent()).toBeTruthy();
    expect(await rowOf('ada').locator('.points').textContent()).toMatch(/^\d+ points$/);
  });

  it('Ada hands in her run; the teacher sees it arrive live and gives feedback', async () => {
    const ada = students[0].context.pages()[0];
    await ada.goto(`/assignments/${assignmentId}`);
    await ada.locator('#hand-in-form textarea[name=answer]').fill('Mean magnitude about 12.4');
    await ada.locator('#hand-in-form input[name=value]').fill('12.4');
    await Promise.all([ada.waitForURL(new RegExp(`/assignments/${assignmentId}$`)), ada.getByRole('button', { name: 'Hand in' }).click()]);
    await textMatches(ada, '.flash', /^Handed in\./);

    await eventuallyStatus('ada', 'handed in');
    await textMatches(teacherPage, '#progress-counts', /^1 of 2 handed in; 1 with a failed run\./);
    expect(await rowOf('ada').locator('.answer').textContent()).toContain('Mean magnitude about 12.4');
    expect(await teacherPage.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    await browser.screenshot(teacherPage, 'assignments-progress-live');

    await rowOf('ada').locator('textarea[name=feedback]').fill('Good work: compare with the catalogue value.');
    await rowOf('ada').locator('input[name=grade]').fill('A');
    await Promise.all([teacherPage.waitForURL(/\/progress#student-/), rowOf('ada').getByRole('button', { name: 'Save' }).click()]);
    await ada.goto(`/assignments/${assignmentId}`);
    expect(await ada.locator('#my-feedback').textContent()).toContain('Good work: compare with the catalogue value.');
    expect(browser.errors).toEqual([]);
  });

  const rowOf = (username: string) => teacherPage.locator('#progress-table tbody tr', { hasText: username });
  const statusOf = async (username: string) => (await rowOf(username).locator('.progress-status .badge').textContent())?.trim();

  async function eventuallyStatus(username: string, status: string) {
    const deadline = Date.now() + 20_000;
    while ((await statusOf(username)) !== status) {
      if (Date.now() > deadline) throw new Error(`${username}'s row says "${await statusOf(username)}", not "${status}"`);
      await teacherPage.waitForTimeout(100);
    }
  }

  async function eventuallyAttr(page: Page, selector: string, name: string, value: string) {
    await page.waitForFunction(([s, n, v]) => document.querySelector(s)?.getAttribute(n) === v, [selector, name, value] as const);
  }
});
