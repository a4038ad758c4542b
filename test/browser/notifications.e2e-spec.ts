import { BROWSER_PASSWORD, describeInBrowser, eventually, startBrowserPortal } from '../utils/browser';
import { createTarget, LoggedIn, loginAs, TEST_PIPELINES, uploadOne } from '../utils/test-app';

// A file of its own: passport keeps its session (de)serialisers process-wide (see teacher.e2e-spec.ts).
describeInBrowser('in a real browser: the notifications bell', () => {
  let browser: Awaited<ReturnType<typeof startBrowserPortal>>;
  let script: LoggedIn;
  let target: number;
  let input: number;

  /** A run started by the same student from elsewhere (another tab, a script): the page below does nothing. */
  async function runElsewhere(): Promise<void> {
    const started = await script.agent
      .post(`/targets/${target}/pipeline-runs`)
      .type('form')
      .send({ pipeline: 'Byte count', productIds: String(input), _csrf: script.csrf })
      .expect(303);
    expect(started.headers.location).toMatch(/^\/pipeline\/\d+$/);
  }

  beforeAll(async () => {
    browser = await startBrowserPortal({ pipelinesConfig: TEST_PIPELINES });
    await browser.createUser('vera', 'student');
    script = await loginAs(browser.portal.app.getHttpServer(), 'vera', BROWSER_PASSWORD);
    target = await createTarget(script, { name: 'Bell sky', ra: '12', dec: '34' });
    input = await uploadOne(script, target, Buffer.from('bell bytes\n'), 'bell.txt', 'other');
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('counts up live when runs end, opens the list, and counts down when they are read', async () => {
    const page = await browser.context.newPage();
    await browser.logIn(page, 'vera');
    const bell = page.locator('#notification-bell');
    const count = page.locator('#notification-count');
    expect(await count.isHidden()).toBe(true);
    // The bell's script has its socket: from now on the count comes live, not from a reload.
    await eventually(
      () => page.evaluate(() => Boolean((window as unknown as { portalLiveSocket?: () => { connected: boolean } }).portalLiveSocket?.().connected)),
      (connected) => connected,
      "the bell's socket to connect",
    );

    await runElsewhere();
    await eventually(() => count.textContent(), (text) => text === '1', 'the bell to count 1', 30_000);
    expect(await count.isVisible()).toBe(true);
    expect(await bell.getAttribute('aria-label')).toBe('Notifications: 1 unread');
    await runElsewhere();
    await eventually(() => count.textContent(), (text) => text === '2', 'the bell to count 2', 30_000);
    await browser.screenshot(page, '30-notifications-bell');

    await Promise.all([page.waitForURL(/\/notifications$/), bell.click()]);
    expect(await page.locator('#notifications-list li.notification.unread').count()).toBe(2);
    expect(await page.locator('#notifications-list').textContent()).toContain('Your run of Byte count on Bell sky succeeded');
    await browser.screenshot(page, '31-notifications-page');

    // A second tab's bell follows what the first one reads.
    const other = await browser.context.newPage();
    await other.goto('/targets');
    expect(await other.locator('#notification-count').textContent()).toBe('2');
    await Promise.all([page.waitForURL(/\/notifications$/), page.getByRole('button', { name: 'Mark all read' }).click()]);
    await page.locator('.flash').waitFor();
    expect(await page.locator('.flash').textContent()).toContain('Marked 2 notifications read.');
    expect(await page.locator('#notification-count').isHidden()).toBe(true);
    await eventually(() => other.locator('#notification-count').isHidden(), (hidden) => hidden, "the other tab's bell to clear");
    expect(browser.errors).toEqual([]);
  });
});
