/// <reference lib="dom" />
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Page } from 'playwright-core';
import { ARTIFACTS, describeInBrowser, startBrowserPortal, textMatches } from '../utils/browser';
import { FIXTURES, waitForRun } from '../utils/test-app';

const BROWSER_PIPELINES = path.join(FIXTURES, 'pipelines', 'browser-pipelines.config.json');
const M13_FRAMES = [1, 2, 3, 4, 5].map((n) => path.join(FIXTURES, 'm13-blue-2013-05-05', `M13_blue_000${n}.fits.gz`));

/** Five students, two of them with a username of the teacher's choosing and three named by the portal. */
const ROSTER = ['name,username', 'Ada Lovelace,', 'Carl Sagan,', 'Vera Rubin,vrubin', 'Edwin Hubble,', 'Henrietta Leavitt,hleavitt'].join('\n');
const NAMES = ['Ada Lovelace', 'Carl Sagan', 'Vera Rubin', 'Edwin Hubble', 'Henrietta Leavitt'];
const CLASS_A = 'Year 10 Astronomy';
const CLUB = 'Astronomy club';
const CLASS_B = 'Physics 9B';
const PASSPHRASE = /^[a-z]+-[a-z]+-[a-z]+-\d{3}$/;
const FILTER = 'unfiltered instrumental';

interface Card {
  name: string;
  username: string;
  password: string;
}

/**
 * Issue 11's classroom story in headless Chromium against the real app, every step through the pages. Only the
 * two teachers' accounts are made through UsersService (an admin would make them on /admin/users).
 *
 * Teacher A makes "Year 10 Astronomy", imports five students from a pasted roster (preview, confirm) and prints
 * their login cards; she also makes "Astronomy club" and reads its join code. She creates the public target M13
 * and uploads five frames. Ada (a card) logs in, is held on the change-password page until she picks her own,
 * then joins the club by its code, runs aperture photometry on M13 and finds her series under "Mine". Carl (another
 * card, same class) does not see it under "My class" until Ada shares the run with Year 10 Astronomy; then he does.
 * Teacher B, with a class of her own, never sees the run, its outputs or its points.
 */
describeInBrowser('in a real browser: a class from roster import to a shared light curve', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;
  let page: Page;
  let targetId: number;
  let classAId: number;
  let clubId: number;
  let joinCode: string;
  let cards: Card[] = [];
  let ada: Card;
  let carl: Card;
  let runId: number;
  let runIdentifier: string;
  let outputGroupId: number;
  const adaPassword = 'ada-chose-this-1843';
  const carlPassword = 'pale-blue-dot-1990';
  const refusals: string[] = [];

  beforeAll(async () => {
    browser = await startBrowserPortal({ pipelinesConfig: BROWSER_PIPELINES });
    await browser.createUser('teacher-a', 'teacher');
    await browser.createUser('teacher-b', 'teacher');
    page = await browser.context.newPage();
    // Every refusal the story provokes, to tell them from a failure nobody asked for.
    browser.context.on('response', (response) => {
      if (response.status() >= 400) refusals.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('teacher A makes the public target M13 and uploads five frames to it', async () => {
    await browser.logIn(page, 'teacher-a');
    await page.getByRole('link', { name: 'New target' }).click();
    await page.locator('input[name=name]').fill('M13');
    await page.locator('input[name=ra]').fill('16:41:41.6');
    await page.locator('input[name=dec]').fill('+36:27:41');
    await page.locator('select[name=visibility]').selectOption('public');
    await Promise.all([page.waitForURL(/\/targets\/\d+$/), page.getByRole('button', { name: 'Create target' }).click()]);
    targetId = Number(/\/targets\/(\d+)$/.exec(page.url())![1]);
    await page.locator('#upload-form input[type=file]').setInputFiles(M13_FRAMES);
    await page.locator('#upload-form select[name=productType]').selectOption('fits_image');
    await Promise.all([page.waitForURL(/#data$/), page.locator('#upload-form button[type=submit]').click()]);
    await textMatches(page, '.flash', /5/);
    expect(await page.locator('#products-table tbody tr').count()).toBe(5);
    // Uploaded to her own public target, the frames are public too, so her students can run pipelines on them.
    expect(await page.locator('#products-table tbody td .badge-public').count()).toBe(5);
  });

  it('teacher A makes a class at /classes, pastes a roster, sees it line by line, confirms and prints the login cards', async () => {
    await page.getByRole('link', { name: 'Classes', exact: true }).click();
    await page.waitForURL(/\/classes$/);
    expect(await page.locator('#classes-table tbody').textContent()).toContain('No classes yet.');
    await page.locator('#create-class input[name=name]').fill(CLASS_A);
    await Promise.all([page.waitForURL(/\/classes\/\d+$/), page.getByRole('button', { name: 'Create class' }).click()]);
    classAId = Number(/\/classes\/(\d+)$/.exec(page.url())![1]);
    await textMatches(page, 'h1', new RegExp(`^${CLASS_A}$`));
    expect(await page.locator('.flash').textContent()).toMatch(new RegExp(`Created the class "${CLASS_A}"\\. Its join code is [A-Z0-9]{4}-[A-Z0-9]{4}\\.`));
    expect(await page.locator('#roster tbody').textContent()).toContain('No students yet');

    // Pasted, previewed: nothing is made yet, and each line says what will happen.
    await page.locator('#import-form textarea[name=csv]').fill(ROSTER);
    await Promise.all([page.waitForURL(new RegExp(`/classes/${classAId}/import`)), page.locator('#import-form').getByRole('button', { name: 'Preview' }).click()]);
    expect(squash(await page.locator('#preview-summary').textContent())).toContain('Nothing has been made yet. Confirming will create 5 account(s) and enrol 0 existing student(s)');
    const lines = await page.locator('#preview-lines tbody tr').evaluateAll((rows) =>
      rows.map((row) => Array.from(row.querySelectorAll('td')).map((cell) => cell.textContent!.replace(/\s+/g, ' ').trim())),
    );
    expect(lines).toEqual([
      ['2', 'Ada Lovelace', 'ada.lovelace', 'new account'],
      ['3', 'Carl Sagan', 'carl.sagan', 'new account'],
      ['4', 'Vera Rubin', 'vrubin', 'new account'],
      ['5', 'Edwin Hubble', 'edwin.hubble', 'new account'],
      ['6', 'Henrietta Leavitt', 'hleavitt', 'new account'],
    ]);
    expect(await countRows('SELECT count(*)::int AS count FROM users WHERE role = $1', ['student'])).toBe(0);
    await browser.screenshot(page, 'classes-01-import-preview');

    const [confirmed] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST' && new URL(response.url()).pathname === `/classes/${classAId}/import/confirm`),
      page.getByRole('button', { name: 'Import 5 new and 0 existing' }).click(),
    ]);
    expect(confirmed.status()).toBe(201);
    expect(confirmed.headers()['cache-control']).toBe('no-store');
    await page.waitForLoadState();
    await textMatches(page, '#cards-once', /5 new account\(s\)\. These passwords are shown only this once/);

    cards = await page.locator('#login-cards .login-card').evaluateAll((elements) =>
      elements.map((card) => ({
        name: card.querySelector('.login-card-name')!.textContent!.trim(),
        username: card.querySelector('.login-card-username')!.textContent!.trim(),
        password: card.querySelector('.login-card-password')!.textContent!.trim(),
      })),
    );
    expect(cards.map((card) => card.name)).toEqual(NAMES);
    expect(cards.map((card) => card.username)).toEqual(['ada.lovelace', 'carl.sagan', 'vrubin', 'edwin.hubble', 'hleavitt']);
    for (const card of cards) expect(card.password).toMatch(PASSPHRASE);
    expect(new Set(cards.map((card) => card.password)).size).toBe(5);
    expect(await page.locator('#login-cards .login-card-class').allTextContents()).toEqual(Array(5).fill(CLASS_A));
    [ada, carl] = cards;
    await browser.screenshot(page, 'classes-02-login-cards');

    // The accounts exist, students of the class, each to be changed at the first login.
    const made = await browser.portal.dataSource.query(
      `SELECT u.username, u.display_name AS "displayName", u.role, u.must_change_password AS "mustChange"
         FROM users u JOIN classroom_members m ON m.user_id = u.id AND m.classroom_id = $1 AND m.role = 'student'
        ORDER BY u.display_name`,
      [classAId],
    );
    expect(made).toEqual(
      [...cards].sort((a, b) => a.name.localeCompare(b.name)).map((card) => ({ username: card.username, displayName: card.name, role: 'student', mustChange: true })),
    );

    // "Print the cards" asks the browser to print (our CSP allows no inline handler, so a script wires it).
    await page.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => void (window as unknown as { printed: number }).printed++;
    });
    await page.getByRole('button', { name: 'Print the cards' }).click();
    expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);

    // On paper: all five cards and nothing else (no menu, no buttons, no "shown once" notice).
    await page.emulateMedia({ media: 'print' });
    const printed = await page.evaluate(() => ({
      cards: Array.from(document.querySelectorAll('.login-card')).map((card) => {
        const box = card.getBoundingClientRect();
        return { visible: getComputedStyle(card).display !== 'none' && getComputedStyle(card).visibility !== 'hidden' && box.width > 100 && box.height > 50, text: card.textContent! };
      }),
      shown: ['.topbar', '.no-print', '#cards-once', '[data-print]', '#login-cards'].map((selector) => document.querySelector(selector)!.checkVisibility()),
    }));
    expect(printed.cards).toHaveLength(5);
    printed.cards.forEach((card, i) => {
      expect(card.visible).toBe(true);
      expect(card.text).toContain(cards[i].username);
      expect(card.text).toContain(cards[i].password);
    });
    expect(printed.shown).toEqual([false, false, false, false, true]);
    await browser.screenshot(page, 'classes-03-login-cards-print');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'classes-login-cards.pdf'), pdf);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await page.emulateMedia({ media: 'screen' });

    // The class page lists the five, none of them with a password of their own yet.
    await page.goto(`/classes/${classAId}`);
    expect(await page.locator('#roster tbody tr').count()).toBe(5);
    expect(await page.locator('#roster tbody tr', { hasText: 'generated, not changed yet' }).count()).toBe(5);
    await textMatches(page, '.page-head .muted', /5 students/);
  });

  it('teacher A makes a second class and reads its join code from the class page', async () => {
    await page.goto('/classes');
    await page.locator('#create-class input[name=name]').fill(CLUB);
    await Promise.all([page.waitForURL(/\/classes\/\d+$/), page.getByRole('button', { name: 'Create class' }).click()]);
    clubId = Number(/\/classes\/(\d+)$/.exec(page.url())![1]);
    joinCode = (await page.locator('#join-code-value').textContent())!.trim();
    expect(joinCode).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(await page.locator('#join-code .badge').textContent()).toBe('on');
    expect(await page.locator('#signup-url').textContent()).toContain('/signup?code=');
    await browser.screenshot(page, 'classes-04-class-join-code');
    await page.goto('/classes');
    const rows = await page.locator('#classes-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.textContent!.replace(/\s+/g, ' ').trim()));
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.startsWith(CLASS_A))).toMatch(/ 5 [A-Z0-9]{4}-[A-Z0-9]{4} teacher$/);
    expect(rows.find((row) => row.startsWith(CLUB))).toContain(` 0 ${joinCode} teacher`);
    await logOut(page);
  });

  it('Ada logs in with her card, is held on the change-password page until she chooses her own, then joins the club by its code', async () => {
    await logInWith(page, ada.username, ada.password);
    await page.waitForURL(/\/profile\/password\?next=%2Ftargets$/);
    await textMatches(page, '#forced-change', /Choose your own before going on/);
    await browser.screenshot(page, 'classes-05-forced-password-change');

    // Every other page sends her back here, remembering where she was going.
    for (const wanted of ['/classes/join', `/targets/${targetId}`, '/runs']) {
      const response = await page.goto(wanted);
      expect(response!.status()).toBe(200);
      expect(page.url()).toBe(`${browser.baseUrl}/profile/password?next=${encodeURIComponent(wanted)}`);
      expect(await page.locator('#forced-change').count()).toBe(1);
    }
    // A write is refused outright.
    const refused = await page.evaluate(async (code) => {
      const csrf = document.querySelector('meta[name="csrf-token"]')!.getAttribute('content')!;
      const response = await fetch('/classes/join', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, code }) });
      return response.status;
    }, joinCode);
    expect(refused).toBe(403);
    expect(await countRows('SELECT count(*)::int AS count FROM classroom_members WHERE classroom_id = $1', [clubId])).toBe(1);

    // Sent here from /classes/join, she chooses a password and goes on to where she was heading.
    await page.goto('/classes/join');
    await page.locator('#password-form input[name=currentPassword]').fill(ada.password);
    await page.locator('#password-form input[name=newPassword]').fill(adaPassword);
    await page.locator('#password-form input[name=confirmPassword]').fill(adaPassword);
    await Promise.all([page.waitForURL(/\/classes\/join$/), page.getByRole('button', { name: 'Change password' }).click()]);
    await textMatches(page, '.flash', /Your new password is set/);
    expect(await countRows('SELECT count(*)::int AS count FROM users WHERE username = $1 AND must_change_password', [ada.username])).toBe(0);

    // The code as a student might type it: small letters, no dash.
    await page.locator('#join-form input[name=code]').fill(joinCode.replace('-', '').toLowerCase());
    await Promise.all([page.waitForURL(new RegExp(`/classes/${clubId}$`)), page.locator('#join-form').getByRole('button', { name: 'Join' }).click()]);
    await textMatches(page, '.flash', new RegExp(`You joined "${CLUB}"\\.`));
    await textMatches(page, '#class-facts', /You\s*student/);
    await page.goto('/classes');
    const rows = await page.locator('#classes-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')!.textContent!.trim()));
    expect(rows.sort()).toEqual([CLUB, CLASS_A].sort());
    await browser.screenshot(page, 'classes-06-student-classes');
  });

  it('Ada ticks the frames of M13, runs aperture photometry, and sees her own series under "Mine"', async () => {
    await page.goto(`/targets/${targetId}`);
    expect(await page.locator('#products-table tbody tr').count()).toBe(5);
    await page.locator('#products-form [data-select="all"]').click();
    expect(await page.locator('#products-table input[name=productIds]:checked').count()).toBe(5);
    await page.getByRole('radio', { name: 'Aperture photometry' }).check();
    await page.getByLabel(/Without a WCS/).check();
    await Promise.all([page.waitForURL(/\/pipeline\/\d+$/), page.locator('#run-pipeline').click()]);
    runId = Number(/\/pipeline\/(\d+)$/.exec(page.url())![1]);
    runIdentifier = (await page.locator('h1').textContent())!.trim();
    expect(runIdentifier).toMatch(/^aperture_photometry_/);
    await textMatches(page, '#run-state', /^succeeded$/, 180_000);
    await waitForRun(browser.portal, runId, ['succeeded'], 5_000);
    expect(await page.locator('#run-shared-with').textContent()).toBe('only its owner and their teachers');
    outputGroupId = Number(/\/groups\/(\d+)$/.exec((await page.locator('#run-outputs a').getAttribute('href'))!)![1]);
    await browser.screenshot(page, 'classes-07-run-succeeded');

    // Her points: five, owned by her, from this run, private until she shares them.
    const points = await browser.portal.dataSource.query(
      `SELECT u.username, r.visibility, r.source_kind AS kind, count(*)::int AS count
         FROM reduced_data r JOIN users u ON u.id = r.owner_id WHERE r.run_id = $1 GROUP BY 1, 2, 3`,
      [runId],
    );
    expect(points).toEqual([{ username: ada.username, visibility: 'private', kind: 'run', count: 5 }]);

    await page.goto(`/targets/${targetId}`);
    await page.waitForSelector('canvas#light-curve[data-view="mine"][data-points="5"]');
    expect(await page.locator('#light-curve-views [aria-current="true"]').textContent()).toBe('Mine');
    expect(await legend(page)).toEqual([`Ada Lovelace · run ${runIdentifier} · ${FILTER}`]);
    expect(await seriesList(page)).toEqual([`Ada Lovelace · run ${runIdentifier} · ${FILTER} (5 points, private)`]);
    await browser.screenshot(page, 'classes-08-student-light-curve-mine');
    await logOut(page);
  });

  it('Carl, a classmate, sees nothing of it under "My class" while it is private', async () => {
    await logInWith(page, carl.username, carl.password);
    await page.waitForURL(/\/profile\/password\?next=%2Ftargets$/);
    await page.locator('#password-form input[name=currentPassword]').fill(carl.password);
    await page.locator('#password-form input[name=newPassword]').fill(carlPassword);
    await page.locator('#password-form input[name=confirmPassword]').fill(carlPassword);
    await Promise.all([page.waitForURL(/\/targets$/), page.getByRole('button', { name: 'Change password' }).click()]);

    await page.goto(`/targets/${targetId}`);
    // No point he may see: the page has no chart at all, and every view of the JSON is empty.
    expect(await page.locator('canvas#light-curve').count()).toBe(0);
    expect(await seriesLabelsFromJson(page)).toEqual({ mine: [], class: [], everyone: [] });
    expect(await page.locator(`#runs-table tr[data-run-id="${runId}"]`).count()).toBe(0);
    expect((await page.goto(`/pipeline/${runId}`))!.status()).toBe(403);
    await browser.screenshot(page, 'classes-09-classmate-refused-run');
    await page.goto('/runs');
    expect(await page.locator(`#runs-table tr[data-run-id="${runId}"]`).count()).toBe(0);
    await logOut(page);
  });

  it('Ada shares the run with her class from the run page', async () => {
    await logInWith(page, ada.username, adaPassword);
    await page.waitForURL(/\/targets$/);
    await page.goto(`/pipeline/${runId}`);
    const options = await page.locator('#run-sharing option').allTextContents();
    expect(options).toEqual(expect.arrayContaining([`Class: ${CLASS_A}`, `Class: ${CLUB}`]));
    await page.locator('#run-sharing').selectOption({ label: `Class: ${CLASS_A}` });
    await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'POST' && new URL(response.url()).pathname === `/pipeline/${runId}/sharing`),
      page.getByRole('button', { name: 'Share run and outputs' }).click(),
    ]);
    await page.waitForLoadState();
    await textMatches(page, '.flash', new RegExp(`Shared the run and its outputs with .*${CLASS_A}`));
    expect(await page.locator('#run-shared-with').textContent()).toContain(CLASS_A);
    await browser.screenshot(page, 'classes-10-run-shared');
    const points = await browser.portal.dataSource.query(
      'SELECT visibility, classroom_id AS "classroomId", count(*)::int AS count FROM reduced_data WHERE run_id = $1 GROUP BY 1, 2',
      [runId],
    );
    expect(points).toEqual([{ visibility: 'class', classroomId: classAId, count: 5 }]);
    await logOut(page);
  });

  it('Carl now sees her series under "My class" (not under "Mine"), and her run', async () => {
    await logInWith(page, carl.username, carlPassword);
    await page.waitForURL(/\/targets$/);
    await page.goto(`/targets/${targetId}`);
    // "Mine" holds his own and the target owner's series: none.
    await page.waitForSelector('canvas#light-curve[data-view="mine"][data-points="0"]', { state: 'attached' });
    expect(await page.locator('#light-curve-empty').isVisible()).toBe(true);
    expect(await legend(page)).toEqual([]);

    await page.locator('#light-curve-views [data-view="class"]').click();
    await page.waitForSelector('canvas#light-curve[data-view="class"][data-points="5"]');
    expect(new URL(page.url()).searchParams.get('curve')).toBe('class');
    expect(await page.locator('#light-curve-views [aria-current="true"]').textContent()).toBe('My class');
    expect(await legend(page)).toEqual([`Ada Lovelace · run ${runIdentifier} · ${FILTER}`]);
    expect(await seriesList(page)).toEqual([`Ada Lovelace · run ${runIdentifier} · ${FILTER} (5 points, class)`]);
    // Not his to delete.
    expect(await page.locator('#light-curve-series .delete-series').count()).toBe(0);
    await browser.screenshot(page, 'classes-11-classmate-light-curve-class');

    expect((await page.goto(`/pipeline/${runId}`))!.status()).toBe(200);
    await textMatches(page, '#run-state', /^succeeded$/);
    expect(await page.locator('#run-sharing-form').count()).toBe(0);
    await logOut(page);
  });

  it('teacher B, with a class of her own, never sees the run, its outputs or its points', async () => {
    await browser.logIn(page, 'teacher-b');
    await page.goto('/classes');
    await page.locator('#create-class input[name=name]').fill(CLASS_B);
    await Promise.all([page.waitForURL(/\/classes\/\d+$/), page.getByRole('button', { name: 'Create class' }).click()]);
    await page.goto('/classes');
    expect(await page.locator('#classes-table tbody tr').allTextContents()).toEqual([expect.stringContaining(CLASS_B)]);

    // M13 is public, so she opens it; nothing of Ada's is on it.
    await page.goto(`/targets/${targetId}`);
    await textMatches(page, 'h1', /M13/);
    expect(await page.locator('canvas#light-curve').count()).toBe(0);
    expect(await seriesLabelsFromJson(page)).toEqual({ mine: [], class: [], everyone: [] });
    const csv = await page.evaluate(async (id) => (await fetch(`/targets/${id}/light-curve.csv?view=everyone`)).text(), targetId);
    expect(csv.trim().split('\n')).toHaveLength(1);
    expect(await page.locator(`#runs-table tr[data-run-id="${runId}"]`).count()).toBe(0);
    await page.locator('#products-filter select[name=scope]').selectOption('everyone');
    await Promise.all([page.waitForURL(/scope=everyone/), page.locator('#products-filter').getByRole('button', { name: 'Show' }).click()]);
    const files = await page.locator('#products-table tbody').textContent();
    expect(files).not.toContain('aperture_photometry');
    expect(await page.locator('#products-table tbody tr').count()).toBe(5);
    await browser.screenshot(page, 'classes-12-teacher-b-target');

    // The run, its output group and its provenance are refused; /runs does not list it, even asked by name.
    for (const url of [`/pipeline/${runId}`, `/groups/${outputGroupId}`, `/pipeline/${runId}/provenance.json`]) {
      const status = await page.evaluate(async (href) => (await fetch(href, { headers: { Accept: 'text/html' } })).status, url);
      expect([url, status]).toEqual([url, 403]);
    }
    const refused = await page.goto(`/pipeline/${runId}`);
    expect(refused!.status()).toBe(403);
    expect(await page.content()).not.toContain(runIdentifier);
    await browser.screenshot(page, 'classes-13-teacher-b-refused');
    for (const query of ['', `?user=${ada.username}`, '?target=M13']) {
      await page.goto(`/runs${query}`);
      expect(await page.locator(`#runs-table tr[data-run-id="${runId}"]`).count()).toBe(0);
      expect(await page.locator('#runs-table tbody').textContent()).toContain('No runs match.');
    }
    await browser.screenshot(page, 'classes-14-teacher-b-runs');
  });

  it('shows no script errors on any page it visited, and no refusal other than those asserted above', () => {
    expect(refusals).toEqual([
      '403 POST /classes/join',
      `403 GET /pipeline/${runId}`,
      `403 GET /pipeline/${runId}`,
      `403 GET /groups/${outputGroupId}`,
      `403 GET /pipeline/${runId}/provenance.json`,
      `403 GET /pipeline/${runId}`,
    ]);
    // Chromium logs each of those answers as a failed resource; anything else logged is an error.
    const failedResource = /: Failed to load resource: the server responded with a status of 403 \(Forbidden\)$/;
    expect(browser.errors.filter((error) => failedResource.test(error))).toHaveLength(refusals.length);
    expect(browser.errors.filter((error) => !failedResource.test(error))).toEqual([]);
  });

  /** Logs in through /login with a username and password; the caller waits for wherever that leads. */
  async function logInWith(target: Page, username: string, password: string) {
    await target.goto('/login');
    await target.getByLabel('Username').fill(username);
    await target.getByLabel('Password').fill(password);
    await Promise.all([target.waitForURL((url) => url.pathname !== '/login'), target.getByRole('button', { name: 'Log in' }).click()]);
  }

  async function logOut(target: Page) {
    await Promise.all([target.waitForURL(/\/login$/), target.locator('header .account').getByRole('button', { name: 'Log out' }).click()]);
  }

  /** The legend entries of the page's Chart.js chart (none when it drew no chart). */
  function legend(target: Page): Promise<string[]> {
    return target.evaluate(() => {
      const chart = (window as unknown as { lightCurveChart: { legend: { legendItems: Array<{ text: string }> } } | null }).lightCurveChart;
      return chart ? chart.legend.legendItems.map((item) => item.text) : [];
    });
  }

  /** The "Series in this view" list, one line per series. */
  async function seriesList(target: Page): Promise<string[]> {
    return (await target.locator('#light-curve-series li').allTextContents()).map((text) => text.replace(/Delete series$/, '').replace(/\s+/g, ' ').trim());
  }

  /** Each view's series labels from the light-curve JSON, fetched by the page with its own session. */
  function seriesLabelsFromJson(target: Page): Promise<Record<string, string[]>> {
    return target.evaluate(async (id) => {
      const views: Record<string, string[]> = {};
      for (const view of ['mine', 'class', 'everyone']) {
        const response = await fetch(`/targets/${id}/light-curve.json?view=${view}`, { headers: { Accept: 'application/json' } });
        if (!response.ok) throw new Error(`${view}: ${response.status}`);
        views[view] = ((await response.json()).series as Array<{ label: string }>).map((series) => series.label);
      }
      return views;
    }, targetId);
  }

  async function countRows(sql: string, params: unknown[]): Promise<number> {
    const [{ count }] = await browser.portal.dataSource.query(sql, params);
    return count;
  }
});

const squash = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').trim();
